// What a booking is for, as one card: the movie, where (theatre, screen, address), when (in the
// theatre's own timezone), the seats in their natural order, and the total. The itemised
// charges and the cancellation rule have their places in it (filled once the booking carries
// them).
import { bySeat, dateTime, money } from "../format.js";
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
    h("div", { class: "charges", "data-slot": "charges" }),
    h("p", { class: "total" }, h("span", {}, "Total"), h("strong", {}, money(booking.amount_total, booking.currency))),
    h("p", { class: "policy muted", "data-slot": "cancellation" }));
}

// Said only where the visitor's own clock runs on another timezone than the theatre's.
function timeZoneNote(timeZone) {
  const here = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return here === timeZone ? null : h("span", { class: "muted" }, ` (theatre time, ${timeZone})`);
}
