// One show of the schedule, in a dialog: what it is and how it sells, its seats not for sale
// (blocked: a camera, a broken seat, house seats) and its cancellation, asked twice since it
// refunds every booking.
import { get, post, put, remove } from "../api.js";
import { paise, rupees } from "./manage-shell.js";
import { price } from "../format.js";
import { seatPicker } from "./seatpicker.js";
import { busy, field, h, messageBox } from "../ui.js";
import { clock, dayName, showWords } from "./week-board.js";

export function openShow({ show, movie, screen, onChanged }) {
  const dialog = h("dialog", { class: "show-dialog", "aria-label": `${showWords(show, movie)} at ${clock(show.starts_at)}` });
  const messages = messageBox("show-panel");
  const close = h("button", { type: "button", onclick: () => dialog.close() }, "Close");
  const facts = [
    `${dayName(show.starts_at.slice(0, 10))}, ${clock(show.starts_at)} to ${clock(show.ends_at)}`,
    screen ? screen.name : "", show.subtitles ? `subtitles: ${show.subtitles}` : "",
    show.status === "CANCELLED" ? "Cancelled" : `${show.seats_sold ?? 0} of ${show.seat_count} seats sold`,
  ].filter(Boolean);
  const prices = Object.entries(show.prices || {}).map(([type, amount]) => `${type} ${price(amount, show.currency)}`).join(" · ");
  const blocks = h("div", { class: "blocks" });
  const cancelArea = h("div", {});
  dialog.append(
    h("h2", {}, showWords(show, movie)),
    h("p", {}, facts.join(" · ")),
    prices ? h("p", { class: "muted" }, `Prices (${show.day_type.toLowerCase()}): ${prices}`) : null,
    h("p", {}, h("a", { href: `/shows/${show.id}` }, "Open it in the shop")),
    show.status === "CANCELLED" ? null : blocks,
    show.status === "CANCELLED" ? null : cancelArea,
    messages.element,
    h("div", { class: "actions" }, close));
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  if (show.status === "CANCELLED") return;

  const cancel = h("button", { type: "button", class: "danger" }, "Cancel this show");
  cancel.addEventListener("click", () => {
    const sold = show.seats_sold ?? 0;
    const yes = h("button", { type: "button", class: "danger" }, "Yes, cancel and refund");
    const no = h("button", { type: "button" }, "Keep the show");
    cancelArea.replaceChildren(h("div", { class: "confirm", role: "alertdialog", "aria-label": "Cancel the show?" },
      h("p", { class: "warning" }, `Cancel ${showWords(show, movie)} at ${clock(show.starts_at)}? ${sold ? `Its ${sold} sold seat${sold > 1 ? "s are" : " is"} refunded in full, fees included, and the customers are told.` : "No seat is sold yet."} This cannot be undone.`),
      h("div", { class: "actions" }, yes, no)));
    no.addEventListener("click", () => { cancelArea.replaceChildren(cancel); cancel.focus(); });
    yes.addEventListener("click", () => busy(yes, messages, async () => {
      await post(`/api/v1/shows/${show.id}/cancel`);
      dialog.close();
      await onChanged(`${showWords(show, movie)} at ${clock(show.starts_at)} is cancelled and its bookings refunded.`);
    }));
    yes.focus();
  });
  cancelArea.append(cancel);
  dialog.insertBefore(ownPrices(show, messages, onChanged), blocks);
  drawBlocks(show, blocks, messages);
}

// The show's own prices (they beat every rate card): a seat type left empty sells at the card's.
function ownPrices(show, messages, onChanged) {
  const inputs = Object.entries(show.prices || {}).map(([type, amount]) => h("input", {
    type: "text", inputmode: "decimal", "aria-label": `${type} (₹, this show only)`, placeholder: rupees(amount), dataset: { seatType: type },
  }));
  get(`/api/v1/shows/${show.id}/prices`, { auth: "none" }).then((own) => {
    for (const o of own) {
      const input = inputs.find((i) => i.dataset.seatType === o.seat_type);
      if (input) input.value = rupees(o.amount);
    }
  }).catch(() => {});
  const save = h("button", { type: "button" }, "Save this show's prices");
  save.addEventListener("click", () => busy(save, messages, async () => {
    const body = [];
    for (const input of inputs) {
      if (!input.value.trim()) continue;
      const amount = paise(input.value);
      if (Number.isNaN(amount)) throw new Error(`${input.dataset.seatType}: give the price in rupees, like 250 or 250.50.`);
      body.push({ seat_type: input.dataset.seatType, amount });
    }
    await put(`/api/v1/shows/${show.id}/prices`, body);
    await onChanged(`The show's own prices are saved${body.length ? "" : ": it sells at the rate card's"}.`, true);
    messages.info("Saved.");
  }));
  return h("details", { class: "own-prices" }, h("summary", {}, "This show's own prices"),
    h("div", { class: "override-prices" }, inputs.map((input) => field(input.getAttribute("aria-label"), input))),
    h("div", { class: "actions" }, save));
}

// The show's seat map (the shop's picker): pick seats and take them off sale, or put blocked
// ones back.
async function drawBlocks(show, slot, messages) {
  const map = await get(`/api/v1/shows/${show.id}/seats`, { auth: "none" });
  let chosen = [];
  const reason = h("input", { type: "text", name: "reason", placeholder: "camera, broken seat, house seats" });
  const block = h("button", { type: "button", disabled: true }, "Take off sale");
  const picker = seatPicker({
    seats: map.seats, currency: map.currency, maxSeats: map.seats.length,
    onChange(seats) {
      chosen = seats;
      block.disabled = !seats.length;
      block.textContent = seats.length ? `Take ${seats.map((s) => s.label).join(", ")} off sale` : "Take off sale";
    },
    onRefused: (text) => messages.error(text),
  });
  block.addEventListener("click", () => busy(block, messages, async () => {
    await post(`/api/v1/shows/${show.id}/blocks`, { seat_ids: chosen.map((s) => s.id), reason: reason.value.trim() || "blocked by the theatre" });
    const done = chosen;
    picker.clear(); // first: a picked seat turning BLOCKED would read as taken by someone else
    picker.update(done.map((s) => ({ id: s.id, status: "BLOCKED" })));
    messages.info(`${done.map((s) => s.label).join(", ")} not for sale.`);
    await drawBlocked();
  }));
  const blockedList = h("ul", { class: "blocked-list", "aria-label": "Seats not for sale" });
  async function drawBlocked() {
    const now = await get(`/api/v1/shows/${show.id}/seats`, { auth: "none" });
    const blocked = now.seats.filter((s) => s.status === "BLOCKED");
    blockedList.replaceChildren(...blocked.map((seat) => {
      const back = h("button", { type: "button", class: "link", "aria-label": `Put ${seat.label} back on sale` }, "Put back on sale");
      back.addEventListener("click", () => busy(back, messages, async () => {
        await remove(`/api/v1/shows/${show.id}/blocks`, { seat_ids: [seat.id] });
        picker.update([{ id: seat.id, status: "AVAILABLE" }]);
        messages.info(`${seat.label} is on sale again.`);
        await drawBlocked();
      }));
      return h("li", {}, `${seat.label} `, back);
    }));
  }
  slot.replaceChildren(h("details", {}, h("summary", {}, "Seats not for sale"),
    picker.element, field("Why", reason), h("div", { class: "actions" }, block), blockedList));
  await drawBlocked();
}
