// At the door, a customer without their ticket (a flat phone) reads out the booking's short code:
// staff find the booking, its show, and each seat's ticket, with "Admit" for the valid ones.
import { get } from "../api.js";
import { BOOKING_STATUS, bySeat, showTime } from "../format.js";
import { field, h, messageBox } from "../ui.js";

const TICKET_STATES = { VALID: "Valid", CHECKED_IN: "Checked in", REVOKED: "Cancelled" };

// showOf(showId) → the show (cached by the page); admit(qr) checks a ticket in and says so.
export function doorLookup({ showOf, admit }) {
  const code = h("input", { name: "code", autocomplete: "off", spellcheck: "false", autocapitalize: "characters", maxlength: 20, placeholder: "e.g. K7M29QXA" });
  const find = h("button", { type: "submit" }, "Find");
  const messages = messageBox("door-booking");
  const result = h("div", { class: "door-booking", "aria-live": "polite" });
  const form = h("form", { class: "checkin", "aria-label": "Find a booking by its code" }, field("Booking code", code), find);

  async function look(typed) {
    messages.clear();
    find.disabled = true;
    try {
      const found = await get(`/api/v1/bookings/code/${encodeURIComponent(typed)}`);
      draw(found, await showOf(found.booking.show_id));
    } catch (error) {
      result.replaceChildren();
      messages.error(error.status === 404 ? "No booking has this code. Check it with the customer." : error.message);
    } finally {
      find.disabled = false;
    }
  }

  function draw({ booking, tickets }, show) {
    const about = show ? `${show.movie.title} · ${showTime(show.starts_at, show.timezone)} · ${show.screen.name}` : null;
    const seats = [...tickets].sort(bySeat).map((ticket) => h("li", { "data-ticket-status": ticket.status },
      h("span", {}, `Seat ${ticket.seat_label} · ${TICKET_STATES[ticket.status] || ticket.status}`),
      ticket.status === "VALID"
        ? h("button", { type: "button", class: "primary", onclick: async () => { await admit(ticket.qr); await look(booking.code); } }, `Admit seat ${ticket.seat_label}`)
        : null));
    result.replaceChildren(
      h("p", {}, h("strong", { class: "booking-code" }, booking.code), ` · ${BOOKING_STATUS[booking.status] || booking.status}`),
      about ? h("p", {}, about) : null,
      seats.length ? h("ul", { class: "door-tickets", "aria-label": "Tickets of this booking" }, seats) : h("p", {}, "No tickets: this booking was never paid."));
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const typed = code.value.trim();
    if (typed) look(typed);
  });
  return h("section", { class: "door-lookup", "aria-label": "Find a booking" },
    h("h2", {}, "No ticket to scan?"), h("p", { class: "muted" }, "Ask for the booking code: it is on the booking page, the tickets and the email."),
    form, messages.element, result);
}
