// One booking: the confirmation with its QR tickets, cancelling, and the refund's progress.
import { get, imageUrl, post } from "../api.js";
import { BOOKING_STATUS, dateTime, money } from "../format.js";
import { loadBooking } from "../components/booking-loader.js";
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
  const show = await get(`/api/v1/shows/${booking.show_id}`, { auth: "none" });
  const { movie } = show;
  const everBooked = booking.history.some((entry) => entry.to === "BOOKED");
  const tickets = h("div", { class: "tickets" });
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
    h("section", { class: "panel", "aria-label": "Booking details" },
      h("h2", {}, movie.title),
      h("p", {}, dateTime(show.starts_at, show.timezone)),
      h("p", {}, `Seats ${booking.seats.map((s) => s.label).join(", ")} · ${money(booking.amount_total, booking.currency)}`),
      h("p", { class: "muted" }, `Booking ${booking.id}`),
      refunds(booking)),
    tickets,
    messages.element,
    booking.status === "BOOKED" ? h("div", { class: "actions" }, cancel, sure) : null,
    h("p", {}, h("a", { href: "/bookings" }, "All my bookings")));

  if (everBooked) {
    try {
      const list = await get(`/api/v1/bookings/${bookingId}/tickets`);
      tickets.replaceChildren(...list.items.map(ticketCard));
    } catch (error) {
      messages.error(error.message);
    }
  }
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

function ticketCard(ticket) {
  const image = h("img", { alt: `QR code of the ticket for seat ${ticket.seat_label}`, width: 160, height: 160 });
  imageUrl(`/api/v1/tickets/${ticket.id}/qr.svg`).then((url) => { image.src = url; }).catch(() => { image.alt = "The QR code could not be loaded; reload the page."; });
  const states = { VALID: "Valid", CHECKED_IN: "Checked in", REVOKED: "Cancelled" };
  return h("figure", { class: `ticket ticket-${ticket.status.toLowerCase()}`, "data-ticket-id": ticket.id, "data-qr": ticket.qr },
    image,
    h("figcaption", {}, h("strong", {}, `Seat ${ticket.seat_label}`), ` · ${ticket.seat_type} · ${states[ticket.status] || ticket.status}`));
}
