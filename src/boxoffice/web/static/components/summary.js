// What a booking is for, as one card: the movie, where (theatre, screen, address), when (in the
// theatre's own timezone), the seats in their natural order, what it costs (the tickets with
// the GST in them, the convenience fee and its GST, the total), and the cancellation rule: the
// policy it was held under, or once paid what cancelling now gives back.
import { bySeat, dateTime, money, showDate, showTime } from "../format.js";
import { h } from "../ui.js";

export function bookingSummary(booking, show) {
  const { movie, theatre } = show;
  const seats = [...booking.seats].sort(bySeat);
  return h("section", { class: "panel summary-card", "aria-label": "Your booking" },
    h("h2", {}, movie.title),
    h("p", { class: "facts" }, `${movie.language} · ${movie.certificate} · ${movie.duration_minutes} min`),
    h("p", {}, h("strong", {}, dateTime(show.starts_at, show.timezone)), timeZoneNote(show.timezone)),
    h("p", {}, `${theatre.name} · ${show.screen.name}`),
    h("p", { class: "muted" }, theatre.address),
    h("ul", { class: "booked-seats", "aria-label": "Seats" }, seats.map((s) =>
      h("li", {}, h("span", {}, `${s.label} · ${s.seat_type}`), h("span", {}, money(s.price, booking.currency))))),
    h("div", { class: "charges", "data-slot": "charges" }, charges(booking)),
    h("p", { class: "total" }, h("span", {}, "Total"), h("strong", {}, money(booking.amount_total, booking.currency))),
    h("p", { class: "policy muted", "data-slot": "cancellation" }, cancellation(booking, show)));
}

// The charges, itemised (the booking's sums of its seats' lines): tickets, the GST they carry,
// the convenience fee and the GST on it.
function charges(booking) {
  const { tickets, fees } = booking.charges || {};
  if (!tickets) return null;
  const cash = (amount) => money(amount, booking.currency);
  const row = (name, label, amount) =>
    h("li", { "data-charge": name }, h("span", {}, label), h("span", {}, cash(amount)));
  const ticketTax = tickets.cgst + tickets.sgst;
  const feeTax = fees.cgst + fees.sgst;
  return h("ul", { class: "charge-lines", "aria-label": "Charges" },
    row("tickets", "Tickets", tickets.total),
    ticketTax ? row("tickets-gst", `incl. GST (CGST ${cash(tickets.cgst)} + SGST ${cash(tickets.sgst)})`, ticketTax) : null,
    fees.total ? row("fee", "Convenience fee", fees.taxable) : null,
    feeTax ? row("fee-gst", "GST on the fee", feeTax) : null);
}

// One line: while held, the rule it will be cancellable under; once paid, what cancelling now
// gives back and until when.
function cancellation(booking, show) {
  const quote = booking.cancellation;
  if (quote) {
    if (!quote.allowed) return "Cancellation not available.";
    return `Cancellable until ${when(quote.until, show)}, ${money(quote.refund_now, booking.currency)} back.`;
  }
  const tiers = booking.cancellation_policy;
  if (booking.status !== "PENDING" || !tiers) return null;
  if (!tiers.length) return "Cancellation not available.";
  const parts = tiers.map((tier, index) =>
    `${tier.refund_bp / 100}%${index ? "" : " of the tickets back"} until ${before(tier.until_minutes_before)} before the show`);
  const fee = booking.charges && booking.charges.fees.total ? "; the convenience fee is not refunded" : "";
  return `Cancel for ${parts.join(", ")}${fee}.`;
}

function before(minutes) {
  if (minutes % 60) return minutes > 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${minutes} min`;
  return `${minutes / 60} h`;
}

// A moment of the show's day as its time; another day's with its date (theatre time).
function when(iso, show) {
  const sameDay = showDate(iso, show.timezone) === showDate(show.starts_at, show.timezone);
  return sameDay ? showTime(iso, show.timezone) : `${showDate(iso, show.timezone)}, ${showTime(iso, show.timezone)}`;
}

// Said only where the visitor's own clock runs on another timezone than the theatre's.
function timeZoneNote(timeZone) {
  const here = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return here === timeZone ? null : h("span", { class: "muted" }, ` (theatre time, ${timeZone})`);
}
