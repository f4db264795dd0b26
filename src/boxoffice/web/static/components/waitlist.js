// The show's waiting list (issue 29), offered when no seat is free: how many, side by side or
// not, which type, and for a visitor without an account the email the offer goes to. When seats
// come back for the party the server holds them and emails a link to pay.
import { api, post, session } from "../api.js";
import { busy, field, h, messageBox } from "../ui.js";

export function waitlistPanel({ showId, map, maxSeats }) {
  const messages = messageBox("waitlist");
  const party = h("input", { type: "number", name: "party", min: 1, max: maxSeats, value: 2, inputmode: "numeric" });
  const together = h("input", { type: "checkbox", name: "together", checked: true });
  const types = [...new Set(map.seats.map((s) => s.seat_type))];
  const seatType = h("select", { name: "waitlist_seat_type" }, h("option", { value: "" }, "Any type"),
    types.map((t) => h("option", { value: t }, t)));
  const email = session.user() ? null : h("input", { type: "email", name: "email", autocomplete: "email" });
  const join = h("button", { type: "button", class: "primary" }, "Join the waiting list");
  join.addEventListener("click", () => busy(join, messages, async () => {
    messages.clear();
    if (email) {
      const address = email.value.trim();
      if (!address) {
        messages.error("Please give an email address: the offer is sent there.");
        email.focus();
        return;
      }
      await api("PATCH", "/api/v1/me", { body: { email: address }, auth: "customer" });
    }
    const body = { party: Number(party.value), together: together.checked };
    if (seatType.value) body.seat_type = seatType.value;
    const entry = await post(`/api/v1/shows/${showId}/waitlist`, body, { auth: "customer" });
    join.disabled = true;
    messages.info(`You're number ${entry.position} on the waiting list. When seats come back for you, we hold them and email you a link to pay.`);
  }));
  return h("section", { class: "panel waitlist", "aria-label": "Waiting list" },
    h("h2", {}, "Sold out? Join the waiting list"),
    field("How many seats", party),
    h("label", { class: "check" }, together, " Side by side"),
    field("Seat type", seatType),
    email ? field("Email for the offer", email) : null,
    join,
    messages.element);
}
