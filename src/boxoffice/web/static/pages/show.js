// A show's seat picker: pick seats (or let the server choose the best N), then hold them.
import { get, post } from "../api.js";
import { dateTime, money } from "../format.js";
import { seatPicker } from "../components/seatpicker.js";
import { watchSeats } from "../components/live.js";
import { busy, field, go, h, messageBox, meta, notice, render } from "../ui.js";

export default async function showPage(main, showId) {
  const messages = messageBox("show");
  let show, map;
  try {
    [show, map] = await Promise.all([
      get(`/api/v1/shows/${showId}`, { auth: "none" }),
      get(`/api/v1/shows/${showId}/seats`, { auth: "none" }),
    ]);
  } catch (error) {
    if (error.status !== 404 && error.status !== 422) throw error;
    notice(main, "Show not found", "This show is not listed: it may have been taken off, or the link is incomplete.",
      [["See what's showing", "/"], ["My bookings", "/bookings"]]);
    return;
  }
  const [movie, theatre] = await Promise.all([
    get(`/api/v1/movies/${show.movie_id}`, { auth: "none" }),
    get(`/api/v1/theatres/${show.theatre_id}`, { auth: "none" }),
  ]);
  const maxSeats = Number(meta("max-seats")) || 10;
  const summary = h("p", { class: "summary", "aria-live": "polite" }, "Pick your seats.");
  const strandWarning = messageBox("strand");
  const hold = h("button", { type: "button", class: "primary", disabled: true }, "Hold seats");
  const clear = h("button", { type: "button" }, "Clear selection");

  const picker = seatPicker({
    seats: map.seats,
    currency: map.currency,
    maxSeats,
    onRefused: (text) => messages.error(text),
    onChange(chosen) {
      const total = chosen.reduce((sum, seat) => sum + seat.price, 0);
      summary.textContent = chosen.length
        ? `${chosen.length} seat${chosen.length > 1 ? "s" : ""}: ${chosen.map((s) => s.label).join(", ")} · ${money(total, map.currency)}`
        : "Pick your seats.";
      hold.disabled = !chosen.length;
      hold.textContent = chosen.length ? `Hold ${chosen.length} seat${chosen.length > 1 ? "s" : ""} · ${money(total, map.currency)}` : "Hold seats";
      hold.dataset.seatIds = chosen.map((s) => s.id).join(",");
      const alone = picker.stranded();
      if (alone.length) {
        strandWarning.warn(`This pick would leave seat${alone.length > 1 ? "s" : ""} ${alone.join(", ")} on ${alone.length > 1 ? "their" : "its"} own. Consider moving over so no single seat is stranded.`);
      } else {
        strandWarning.clear();
      }
    },
  });

  hold.addEventListener("click", () => busy(hold, messages, async () => {
    messages.clear();
    const seatIds = hold.dataset.seatIds.split(",");
    try {
      const booking = await post("/api/v1/bookings", { show_id: showId, seat_ids: seatIds }, { auth: "customer" });
      go(`/checkout/${booking.id}`);
    } catch (error) {
      const taken = error.problem?.unavailable_seat_ids;
      if (!taken) throw error;
      // Someone was quicker: grey those seats and say which (nothing was held).
      picker.update(taken.map((id) => ({ id, status: "HELD" })));
    }
  }));
  clear.addEventListener("click", () => { picker.clear(); messages.clear(); });

  const types = [...new Set(map.seats.map((s) => s.seat_type))];
  const quantity = h("select", { name: "quantity" }, Array.from({ length: maxSeats }, (_, i) => h("option", { value: i + 1 }, String(i + 1))));
  quantity.value = "2";
  const seatType = h("select", { name: "seat_type" }, h("option", { value: "" }, "Any type"), types.map((t) => h("option", { value: t }, t)));
  const best = h("button", { type: "button" }, "Hold the best seats");
  best.addEventListener("click", () => busy(best, messages, async () => {
    messages.clear();
    const body = { show_id: showId, quantity: Number(quantity.value) };
    if (seatType.value) body.seat_type = seatType.value;
    const booking = await post("/api/v1/bookings", body, { auth: "customer" });
    go(`/checkout/${booking.id}`);
  }));

  render(main, movie.title,
    h("p", { class: "muted" }, `${theatre.name} · ${dateTime(show.starts_at, show.timezone)} · ${movie.language} · ${movie.certificate}`),
    show.status === "CANCELLED" ? h("p", { class: "error", role: "alert" }, "This show has been cancelled.") : null,
    h("div", { class: "show-layout" },
      picker.element,
      h("aside", { class: "panel", "aria-label": "Your seats" },
        h("h2", {}, "Your seats"),
        summary,
        strandWarning.element,
        messages.element,
        h("div", { class: "actions" }, hold, clear),
        h("form", { class: "best", "aria-label": "Best available seats" },
          h("h2", {}, "Or let us choose"),
          field("How many seats", quantity),
          field("Seat type", seatType),
          best))));

  watchSeats(showId, {
    onSeats: (changes) => picker.update(changes),
    onCancelled: () => messages.error("This show has just been cancelled; no more seats can be held."),
  });
}
