// A show's seat picker: "How many seats?" first (it also sets the best-available hold), then
// picking on the map, with the order bar (seats · total · Hold, and every message about the
// pick) always in view: at the bottom of a phone's screen, beside the map on a wide one.
import { get, post, session } from "../api.js";
import { dateTime, money } from "../format.js";
import { admission, admissionHeaders } from "../components/admission.js";
import { clockText, ticking } from "../components/countdown.js";
import { poster } from "../components/poster.js";
import { seatPicker } from "../components/seatpicker.js";
import { watchSeats } from "../components/live.js";
import { waitlistPanel } from "../components/waitlist.js";
import { busy, go, h, messageBox, meta, notice, render } from "../ui.js";

export default async function showPage(main, showId) {
  let show, map, held;
  try {
    [show, map, held] = await Promise.all([
      get(`/api/v1/shows/${showId}`, { auth: "none" }),
      get(`/api/v1/shows/${showId}/seats`, { auth: "none" }),
      heldForThisShow(showId),
    ]);
  } catch (error) {
    if (error.status !== 404 && error.status !== 422) throw error;
    notice(main, "Show not found", "This show is not listed: it may have been taken off, or the link is incomplete.",
      [["See what's showing", "/"], ["My bookings", "/bookings"]]);
    return;
  }
  const { movie, theatre } = show;
  if (show.queue_opens_at && show.status !== "CANCELLED" && !admission(showId)) {
    go(`/shows/${showId}/queue`); // sold through its queue: the picker is for the admitted
    return;
  }
  const maxSeats = Number(meta("max-seats")) || 10;
  const messages = messageBox("show");
  const strandWarning = messageBox("strand");
  const summary = h("p", { class: "summary", "aria-live": "polite" }, "Pick your seats on the map.");
  const hold = h("button", { type: "button", class: "primary hold-button", disabled: true }, "Hold seats");
  const clear = h("button", { type: "button", class: "link", hidden: true }, "Clear");

  const picker = seatPicker({
    seats: map.seats,
    currency: map.currency,
    maxSeats,
    onRefused: (text) => messages.error(text),
    onChange(chosen) {
      messages.clear();
      const total = chosen.reduce((sum, seat) => sum + seat.price, 0);
      const count = `${chosen.length} seat${chosen.length > 1 ? "s" : ""}`;
      summary.textContent = chosen.length ? `${count}: ${chosen.map((s) => s.label).join(", ")}` : "Pick your seats on the map.";
      hold.disabled = !chosen.length;
      hold.textContent = chosen.length ? `Hold ${count} · ${money(total, map.currency)}` : "Hold seats";
      hold.dataset.seatIds = chosen.map((s) => s.id).join(",");
      clear.hidden = !chosen.length;
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
      const booking = await post("/api/v1/bookings", { show_id: showId, seat_ids: seatIds }, { auth: "customer", headers: admissionHeaders(showId) });
      // The new seats replace the hold this visitor had: no stray hold (one that ran out meanwhile
      // needs no letting go, so a refusal here is no reason to stay).
      await resume.release().catch(() => {});
      go(`/checkout/${booking.id}`);
    } catch (error) {
      if (error.type === "admission-invalid" || error.type === "admission-required") {
        go(`/shows/${showId}/queue`); // the admission ran out: back to the queue
        return;
      }
      const taken = error.problem?.unavailable_seat_ids;
      if (!taken) throw error;
      // Someone was quicker: grey those seats and say which (nothing was held).
      picker.update(taken.map((id) => ({ id, status: "HELD" })));
    }
  }));
  clear.addEventListener("click", () => { picker.clear(); messages.clear(); });

  const resume = resumeHold(held, picker, messages);
  const soldOut = show.status !== "CANCELLED" && !map.seats.some((s) => s.status === "AVAILABLE");
  const ask = howMany({ showId, map, maxSeats, messages, onQuantity: (count) => picker.setQuantity(count) });
  const facts = [`${theatre.name}, ${show.screen.name}`, dateTime(show.starts_at, show.timezone), `${show.language} · ${show.format}`, movie.certificate];
  render(main, movie.title,
    h("div", { class: "show-head" }, poster(movie, "thumb"), h("p", { class: "muted" }, facts.join(" · "))),
    show.status === "CANCELLED" ? h("p", { class: "error", role: "alert" }, "This show has been cancelled.") : null,
    resume.element,
    soldOut ? waitlistPanel({ showId, map, maxSeats }) : null,
    ask,
    h("div", { class: "show-layout" },
      picker.element,
      h("aside", { class: "order-bar", "aria-label": "Your seats" },
        h("div", { class: "bar-messages" }, strandWarning.element, messages.element),
        h("div", { class: "bar-main" },
          h("div", { class: "bar-text" }, summary, clear),
          hold))));

  watchSeats(showId, {
    onSeats: (changes) => picker.update(changes),
    onCancelled: () => messages.error("This show has just been cancelled; no more seats can be held."),
  });
}

// This visitor's unpaid booking for the show, if any (a guest's or an account's).
async function heldForThisShow(showId) {
  if (!session.token()) return null;
  try {
    const mine = await get("/api/v1/me/bookings?limit=20");
    const now = Date.now();
    return mine.items.find((b) => b.show_id === showId && b.status === "PENDING" && new Date(b.expires_at).getTime() > now) || null;
  } catch {
    return null; // a token that ran out: the page works without it
  }
}

// Back on the show page with seats still held (Back from checkout, or a second visit): draws
// them as this visitor's, and offers to continue to checkout or to change them (which lets the
// old hold go, and picks its seats again to start from).
function resumeHold(held, picker, messages) {
  if (!held) return { element: null, release: async () => {} };
  const ids = held.seats.map((s) => s.seat_id);
  const labels = held.seats.map((s) => s.label).join(", ");
  const proceed = h("a", { class: "button primary", href: `/checkout/${held.id}` }, "Continue checkout");
  const change = h("button", { type: "button" }, "Change seats");
  const element = h("section", { class: "resume", "aria-label": "Your held seats" },
    h("p", {}, `You are holding seat${ids.length > 1 ? "s" : ""} ${labels} for this show.`),
    h("div", { class: "actions" }, proceed, change));
  picker.markMine(ids);
  let released = false;
  const stop = ticking(held.expires_at, (left) => { proceed.textContent = `Continue checkout (${clockText(left)} left)`; }, () => {
    element.replaceChildren(h("p", {}, `Your hold on ${labels} ran out; the seats went back on sale.`));
    picker.markMine([]);
  });
  async function release() {
    if (released) return;
    await post(`/api/v1/bookings/${held.id}/cancel`);
    released = true;
    stop();
    element.remove();
    picker.markMine([]);
    picker.update(ids.map((id) => ({ id, status: "AVAILABLE" })));
  }
  change.addEventListener("click", () => busy(change, messages, async () => {
    await release();
    picker.select(ids);
    messages.info(`Seats ${labels} are no longer held, and are picked for you again: change them, then hold.`);
  }));
  return { element, release };
}

// "How many seats?" as BookMyShow asks it: the answer makes a tap on the map pick that many
// side by side, and is the number the best-available hold asks the server for.
function howMany({ showId, map, maxSeats, messages, onQuantity }) {
  const chips = Array.from({ length: maxSeats }, (_, i) => {
    const input = h("input", { type: "radio", name: "quantity", value: i + 1 });
    return h("label", { class: "chip" }, input, h("span", {}, String(i + 1)));
  });
  const types = [...new Set(map.seats.map((s) => s.seat_type))];
  const seatType = h("select", { name: "seat_type", "aria-label": "Seat type" }, h("option", { value: "" }, "Any type"), types.map((t) => h("option", { value: t }, t)));
  const best = h("button", { type: "button", disabled: true }, "Hold the best seats");
  const chosen = () => Number(chips.map((chip) => chip.firstChild).find((input) => input.checked)?.value || 0);
  const group = h("fieldset", { class: "how-many" }, h("legend", {}, "How many seats?"), h("div", { class: "chips" }, chips));
  group.addEventListener("change", () => {
    const count = chosen();
    onQuantity(count);
    best.disabled = !count;
    best.textContent = `Hold the best ${count === 1 ? "seat" : `${count} seats`}`;
  });
  best.addEventListener("click", () => busy(best, messages, async () => {
    messages.clear();
    const body = { show_id: showId, quantity: chosen() };
    if (seatType.value) body.seat_type = seatType.value;
    const booking = await post("/api/v1/bookings", body, { auth: "customer", headers: admissionHeaders(showId) });
    go(`/checkout/${booking.id}`);
  }));
  return h("section", { class: "quantity", "aria-label": "How many seats" },
    group,
    h("div", { class: "best" }, seatType, best));
}
