// One booking: the confirmation with a ticket card per seat, cancelling, and the refund's
// progress.
import { get, post } from "../api.js";
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

  const cancel = h("button", { type: "button", class: "danger" }, "Cancel booking");
  const sure = h("button", { type: "button", class: "danger", hidden: true }, `Yes, cancel and refund ${money(booking.amount_total, booking.currency)}`);
  cancel.addEventListener("click", () => { sure.hidden = false; sure.focus(); });
  sure.addEventListener("click", () => busy(sure, messages, async () => {
    await post(`/api/v1/bookings/${bookingId}/cancel`);
    location.reload();
  }));

  render(main, title,
    h("p", { class: "status", "data-booking-status": booking.status }, BOOKING_STATUS[booking.status] || booking.status),
    tickets.length ? h("section", { class: "tickets", "aria-label": "Tickets" }, [...tickets].sort(bySeat).map((ticket) => ticketCard(ticket, show))) : null,
    bookingSummary(booking, show),
    h("p", { class: "muted" }, `Booking ${booking.id}`),
    refunds(booking),
    messages.element,
    booking.status === "BOOKED" ? h("div", { class: "actions" }, cancel, sure) : null,
    h("p", {}, h("a", { href: "/bookings" }, "All my bookings")));
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
