// One booking: the confirmation with a ticket card per seat, what it cost and what cancelling
// gives back, cancelling all of it or some seats, the tickets' and the invoice's PDFs, and the
// refunds' progress.
import { download, get, post } from "../api.js";
import { BOOKING_STATUS, bySeat, money } from "../format.js";
import { loadBooking } from "../components/booking-loader.js";
import { bookingSummary } from "../components/summary.js";
import { ticketCard } from "../components/ticket-card.js";
import { busy, go, h, messageBox, render } from "../ui.js";

const REFUND = { PENDING: "on its way", PROCESSED: "refunded", FAILED: "failed; our team is retrying it" };

export default async function bookingPage(main, bookingId) {
  const messages = messageBox("booking");
  const booking = await loadBooking(main, bookingId);
  if (!booking) return;
  if (booking.status === "PENDING") {
    go(`/checkout/${bookingId}`);
    return;
  }
  const everBooked = booking.history.some((entry) => entry.to === "BOOKED");
  const [show, tickets] = await Promise.all([
    get(`/api/v1/shows/${booking.show_id}`, { auth: "none" }),
    everBooked ? get(`/api/v1/bookings/${bookingId}/tickets`).then((list) => list.items, (error) => { messages.error(error.message); return []; }) : [],
  ]);
  const title = booking.status === "BOOKED" ? "You're going to the movies!" : `Booking ${BOOKING_STATUS[booking.status] ? BOOKING_STATUS[booking.status].toLowerCase() : booking.status}`;

  const quote = booking.cancellation;
  const cancellable = booking.status === "BOOKED" && quote && quote.allowed;
  const cancel = h("button", { type: "button", class: "danger" }, "Cancel booking");
  const sure = h("button", { type: "button", class: "danger", hidden: true },
    cancellable ? `Yes, cancel and refund ${money(quote.refund_now, booking.currency)}` : "Yes, cancel");
  cancel.addEventListener("click", () => { sure.hidden = false; sure.focus(); });
  sure.addEventListener("click", () => busy(sure, messages, async () => {
    await post(`/api/v1/bookings/${bookingId}/cancel`);
    location.reload();
  }));
  const some = cancellable && booking.seats.length > 1 ? giveBack(booking, messages) : null;

  render(main, title,
    h("p", { class: "status", "data-booking-status": booking.status }, BOOKING_STATUS[booking.status] || booking.status),
    h("p", { class: "booking-ref" }, "Booking code ", h("strong", { class: "booking-code" }, booking.code)),
    booking.status === "BOOKED" && tickets.length ? h("div", { class: "actions" }, downloadButton(booking, messages)) : null,
    tickets.length ? h("section", { class: "tickets", "aria-label": "Tickets" }, [...tickets].sort(bySeat).map((ticket) => ticketCard(ticket, show, { code: booking.code }))) : null,
    bookingSummary(booking, show),
    givenBack(booking),
    everBooked ? invoiceLink(booking, messages) : null,
    refunds(booking),
    messages.element,
    cancellable ? h("div", { class: "actions" }, cancel, sure, some && some.open) : null,
    some && some.dialog,
    h("p", {}, h("a", { href: "/bookings" }, "All my bookings")));
}

// The tickets as a PDF (a page a seat, with its QR code), to print or keep offline.
function downloadButton(booking, messages) {
  const button = h("button", { type: "button", class: "download-button" }, "Download tickets (PDF)");
  button.addEventListener("click", () => busy(button, messages, () =>
    download(`/api/v1/bookings/${booking.id}/tickets.pdf`, `tickets-${booking.code}.pdf`, "application/pdf")));
  return button;
}

// What one seat would give back now: the tier's share of its ticket, rounded half up as the
// server does (its fee is kept).
function seatRefund(seat, quote) {
  return Math.floor((2 * seat.ticket_total * quote.refund_bp + 10000) / 20000);
}

// "Cancel some seats": a dialog to choose them, saying what they give back, with a way out.
function giveBack(booking, messages) {
  const quote = booking.cancellation;
  const cash = (amount) => money(amount, booking.currency);
  const boxes = [...booking.seats].sort(bySeat).map((seat) =>
    h("input", { type: "checkbox", name: "seat", value: seat.seat_id, "aria-label": `${seat.label}, ${cash(seatRefund(seat, quote))} back` }));
  const back = h("p", { "aria-live": "polite" });
  const confirm = h("button", { type: "button", class: "danger" }, "Cancel these seats");
  const keep = h("button", { type: "button" }, "Keep booking");
  const chosen = () => boxes.filter((box) => box.checked).map((box) => booking.seats.find((s) => s.seat_id === box.value));
  const update = () => {
    const seats = chosen();
    confirm.disabled = !seats.length || seats.length === booking.seats.length;
    back.textContent = seats.length
      ? `${cash(seats.reduce((sum, seat) => sum + seatRefund(seat, quote), 0))} back; the convenience fee is not refunded.`
      : "Choose the seats to give back.";
  };
  boxes.forEach((box) => box.addEventListener("change", update));
  const dialog = h("dialog", { class: "give-back", "aria-label": "Cancel some seats" },
    h("h2", {}, "Cancel some seats"),
    h("p", { class: "muted" }, "The rest of the booking stays as it is."),
    h("ul", {}, [...booking.seats].sort(bySeat).map((seat, index) =>
      h("li", {}, h("label", { class: "seat-choice" }, h("span", {}, boxes[index], ` ${seat.label} · ${seat.seat_type}`), h("span", {}, `${cash(seatRefund(seat, quote))} back`))))),
    back,
    h("div", { class: "actions" }, confirm, keep));
  keep.addEventListener("click", () => dialog.close());
  confirm.addEventListener("click", () => busy(confirm, messages, async () => {
    await post(`/api/v1/bookings/${booking.id}/cancel`, { seat_ids: chosen().map((seat) => seat.seat_id) });
    dialog.close();
    location.reload();
  }));
  update();
  const open = h("button", { type: "button" }, "Cancel some seats");
  open.addEventListener("click", () => dialog.showModal());
  return { open, dialog };
}

// The seats given back while the booking stayed confirmed, with what each returned.
function givenBack(booking) {
  if (!booking.cancelled_seats || !booking.cancelled_seats.length) return null;
  return h("section", { class: "panel", "aria-label": "Seats cancelled" },
    h("h2", {}, "Seats cancelled"),
    h("ul", { class: "booked-seats" }, [...booking.cancelled_seats].sort(bySeat).map((seat) =>
      h("li", {}, h("span", {}, `${seat.label} · ${seat.seat_type}`), h("span", {}, `${money(seat.refund, booking.currency)} back`)))));
}

// The invoice (or receipt) as a PDF, fetched with the customer's token and saved.
function invoiceLink(booking, messages) {
  const button = h("button", { type: "button", class: "download-button" }, "Download the invoice (PDF)");
  button.addEventListener("click", () => busy(button, messages, () =>
    download(`/api/v1/bookings/${booking.id}/invoice.pdf`, `invoice-${booking.code}.pdf`, "application/pdf")));
  return h("p", {}, button);
}

const REFUND_POLL_MS = 3000;

// The refunds, kept current while one is on its way.
function refunds(booking) {
  if (!booking.refunds.length) return null;
  const list = h("ul", { class: "refunds", "aria-label": "Refunds", "aria-live": "polite" });
  const draw = (items) => list.replaceChildren(...items.map((refund) =>
    h("li", { "data-refund-status": refund.status }, `Refund of ${money(refund.amount, booking.currency)}: ${REFUND[refund.status] || refund.status.toLowerCase()}`)));
  const follow = (items) => {
    draw(items);
    if (!items.some((refund) => refund.status === "PENDING")) return;
    setTimeout(() => get(`/api/v1/bookings/${booking.id}`).then((fresh) => follow(fresh.refunds), () => {}), REFUND_POLL_MS);
  };
  follow(booking.refunds);
  return list;
}
