// The box office (staff with the counter permission, managers, admins): open a shift with its
// float; pick a show, its seats on the shop's own picker (or the best N); take the money; see the
// change; print the tickets; refund; pay back the sales of cancelled shows; close the shift with
// the cash the drawer should hold.
//
// Fast from the keyboard: once the seats are picked (arrow keys, Enter), a sale is three actions
// at most: Tab (or Alt+1 cash, Alt+2 card, Alt+3 UPI) to the amount, type it (nothing for exact
// cash), Enter. After a sale, Enter on the focused "Print tickets" prints them.
import { ApiError, get, post, session } from "../api.js";
import { accountForm } from "../components/account-form.js";
import { watchSeats } from "../components/live.js";
import { seatPicker } from "../components/seatpicker.js";
import { shiftSummary } from "../components/shift-summary.js";
import { dateTime, money } from "../format.js";
import { busy, field, h, messageBox, meta, render } from "../ui.js";

const METHODS = [["CASH", "Cash"], ["CARD", "Card"], ["UPI", "UPI"]];
// Random, and unlike crypto.randomUUID also over plain http on a theatre's own network.
const newKey = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
const rupees = (text) => Math.round(Number(String(text).replace(/[₹,\s]/g, "")) * 100);

export default async function counterPage(main) {
  const user = session.user();
  if (!user || user.role === "customer") {
    render(main, "Box office", h("p", {}, "Sign in with a cashier's, manager's or admin account to sell at the counter."),
      accountForm(() => location.reload(), { allowRegister: false }));
    return;
  }
  let shift;
  try {
    shift = await get("/api/v1/counter/shifts/current");
  } catch (error) {
    if (!(error instanceof ApiError) || error.type !== "no-open-shift") throw error;
    await openShiftForm(main);
    return;
  }
  await counter(main, shift);
}

async function openShiftForm(main) {
  const messages = messageBox("shift");
  const { items: theatres } = await get("/api/v1/theatres?limit=100", { auth: "none" });
  const theatre = h("select", { name: "theatre" }, theatres.map((t) => h("option", { value: t.id }, `${t.name}, ${t.city}`)));
  const float = h("input", { name: "float", inputmode: "decimal", required: true, value: "0", autocomplete: "off" });
  const open = h("button", { type: "submit", class: "primary" }, "Open shift");
  const form = h("form", { class: "panel", "aria-label": "Open a shift" },
    field("Theatre", theatre), field("Cash float in the drawer (₹)", float), h("div", { class: "actions" }, open), messages.element);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(open, messages, async () => {
      await post("/api/v1/counter/shifts", { theatre_id: theatre.value, float: rupees(float.value) });
      location.reload();
    });
  });
  render(main, "Box office", h("p", { class: "lead" }, "Open your shift with the cash in the drawer."), form);
  float.focus();
  float.select();
}

async function counter(main, shift) {
  const messages = messageBox("counter");
  const shifted = h("div", { class: "shift-bar", "data-shift-id": shift.id });
  const stage = h("div", { class: "counter-stage" });
  const result = h("section", { class: "sale-result panel", "aria-live": "polite", hidden: true });
  const recent = h("ul", { class: "recent-sales", "aria-label": "Sales of this shift" });
  const lookup = h("input", { name: "booking", placeholder: "Booking code", autocomplete: "off", maxlength: 20 });
  const find = h("button", { type: "submit" }, "Find sale");
  const findForm = h("form", { class: "find-sale", "aria-label": "Look up a sale" }, field("Reprint or refund", lookup), find);
  const showSelect = h("select", { name: "show" });
  let stopWatching = () => {};

  async function drawShift() {
    shift = await get(`/api/v1/counter/shifts/${shift.id}`);
    shifted.replaceChildren(
      h("span", {}, `Shift opened ${dateTime(shift.opened_at)}`),
      h("span", { "data-expected-cash": shift.expected_cash }, `Cash expected: ${money(shift.expected_cash)}`),
      closeButton());
  }

  function closeButton() {
    const close = h("button", { type: "button" }, "Close shift…");
    close.addEventListener("click", () => {
      const confirm = h("button", { type: "button", class: "primary" }, "Confirm: close shift");
      confirm.addEventListener("click", () => busy(confirm, messages, async () => {
        stopWatching();
        const closed = await post(`/api/v1/counter/shifts/${shift.id}/close`);
        render(main, "Shift closed", shiftSummary(closed), h("div", { class: "actions" },
          h("a", { class: "button primary", href: "/counter" }, "Open a new shift")));
      }));
      close.replaceWith(confirm);
      confirm.focus();
    });
    return close;
  }

  const { items: shows } = await get(`/api/v1/shows?theatre_id=${shift.theatre_id}&upcoming=true&status=SCHEDULED&limit=100`, { auth: "none" });
  const titles = new Map();
  for (const movieId of new Set(shows.map((s) => s.movie_id))) {
    titles.set(movieId, (await get(`/api/v1/movies/${movieId}`, { auth: "none" })).title);
  }
  showSelect.replaceChildren(...shows.map((s) => h("option", { value: s.id }, `${dateTime(s.starts_at, s.timezone)} · ${titles.get(s.movie_id)}`)));
  showSelect.addEventListener("change", () => drawShow(showSelect.value));

  async function drawShow(showId) {
    stopWatching();
    if (!showId) {
      stage.replaceChildren(h("p", {}, "No upcoming shows at this theatre."));
      return;
    }
    const map = await get(`/api/v1/shows/${showId}/seats`, { auth: "none" });
    stage.replaceChildren(saleForm(showId, map));
  }

  function saleForm(showId, map) {
    const formMessages = messageBox("sale");
    const summary = h("p", { class: "summary", "aria-live": "polite" }, "Pick seats on the map, or ask for the best available.");
    let chosen = [];
    let saleKey = null;
    let keyed = null;
    const picker = seatPicker({
      seats: map.seats, currency: map.currency, maxSeats: Number(meta("max-seats")) || 10,
      onRefused: (text) => formMessages.error(text),
      onChange(seats) {
        formMessages.clear();
        chosen = seats;
        total = seats.reduce((sum, seat) => sum + seat.price, 0);
        summary.textContent = seats.length ? `${seats.map((s) => s.label).join(", ")} · ${money(total, map.currency)}` : "Pick seats on the map, or ask for the best available.";
        quantity.value = "";
        showChange();
      },
    });
    stopWatching = watchSeats(showId, { onSeats: (changes) => picker.update(changes), onCancelled: () => formMessages.error("This show was cancelled.") });
    let total = 0;
    const quantity = h("input", { name: "quantity", inputmode: "numeric", autocomplete: "off", size: 3, "aria-label": "Or the best available: how many seats" });
    const amount = h("input", { name: "amount", inputmode: "decimal", autocomplete: "off", "aria-describedby": "change-preview" });
    const amountLabel = h("span", {}, "Cash tendered (₹; empty: exact)");
    const change = h("p", { id: "change-preview", class: "change-preview", "aria-live": "polite" });
    const radios = METHODS.map(([value, label], index) => {
      const input = h("input", { type: "radio", name: "method", value, checked: index === 0 });
      input.addEventListener("change", methodChanged);
      return h("label", { class: "method" }, input, ` ${label} (Alt+${index + 1})`);
    });
    const sell = h("button", { type: "submit", class: "primary sell-button" }, "Sell");
    const method = () => radios.map((r) => r.querySelector("input")).find((i) => i.checked).value;

    function methodChanged() {
      const cash = method() === "CASH";
      amountLabel.textContent = cash ? "Cash tendered (₹; empty: exact)" : `${method() === "CARD" ? "Card slip" : "UPI"} reference`;
      amount.value = "";
      amount.inputMode = cash ? "decimal" : "text";
      showChange();
    }

    function showChange() {
      if (method() !== "CASH" || !amount.value || !total) {
        change.textContent = "";
        return;
      }
      const back = rupees(amount.value) - total;
      change.textContent = back >= 0 ? `Change: ${money(back, map.currency)}` : `Short by ${money(-back, map.currency)}`;
    }
    amount.addEventListener("input", showChange);

    const form = h("form", { class: "sale-form", "aria-label": "Take payment" },
      h("label", { class: "field amount-field" }, amountLabel, amount), change,
      h("fieldset", { class: "methods" }, h("legend", {}, "Paid by"), radios),
      h("div", { class: "actions" }, sell, h("label", { class: "field quantity" }, h("span", {}, "Or best available:"), quantity)),
      formMessages.element);
    form.addEventListener("keydown", shortcut);
    picker.element.addEventListener("keydown", shortcut);

    function shortcut(event) {
      const index = ["1", "2", "3"].indexOf(event.key);
      if (!event.altKey || index < 0) return;
      event.preventDefault();
      const radio = radios[index].querySelector("input");
      radio.checked = true;
      methodChanged();
      amount.focus();
    }

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const count = Number(quantity.value);
      if (!chosen.length && !count) {
        formMessages.error("Pick seats on the map, or say how many of the best available.");
        return;
      }
      const payment = { method: method() };
      if (payment.method === "CASH" && amount.value) payment.tendered = rupees(amount.value);
      if (payment.method !== "CASH") payment.reference = amount.value.trim() || undefined;
      const body = count ? { show_id: showId, quantity: count, payment } : { show_id: showId, seat_ids: chosen.map((s) => s.id), payment };
      // One key per sale: sent again only for the same sale whose answer was lost (a retry, a
      // second click), so that it cannot sell twice.
      const sending = JSON.stringify(body);
      if (!saleKey || sending !== keyed) [saleKey, keyed] = [newKey(), sending];
      busy(sell, formMessages, async () => {
        let sold;
        try {
          sold = await post("/api/v1/counter/sales", body, { headers: { "Idempotency-Key": saleKey } });
        } catch (error) {
          // Refused (4xx): nothing was sold, the next try is a new sale. No answer (the network,
          // a gateway's 5xx, a timeout or a 429), or the same key still being answered (409
          // in progress): the sale may have happened, so the retry sends the same key.
          if (error instanceof ApiError && refusedForGood(error)) saleKey = null;
          throw error;
        }
        saleKey = null;
        picker.clear();
        amount.value = "";
        change.textContent = "";
        showSold(sold);
        await drawShift();
      });
    });
    return h("div", { class: "counter-sale" }, picker.element, summary, form);
  }

  function refusedForGood(error) {
    if (error.status < 400 || error.status >= 500 || [408, 429].includes(error.status)) return false;
    return !(error.status === 409 && error.type === "idempotent-request-in-progress");
  }

  function showSold(sold) {
    const print = h("a", { class: "button primary print-link", href: `/counter/print/${sold.id}#print` }, "Print tickets");
    result.hidden = false;
    result.dataset.bookingId = sold.id;
    result.replaceChildren(
      h("p", { class: "headline" }, `Sold: ${sold.seats.map((s) => s.label).join(", ")} · ${money(sold.amount_total, sold.currency)}`),
      sold.change !== null ? h("p", { class: "change", "data-change": sold.change }, `Change to give: ${money(sold.change, sold.currency)}`) : null,
      h("p", {}, `Booking ${sold.code}`),
      h("div", { class: "actions" }, print));
    remember(sold);
    print.focus();
  }

  function remember(sold) {
    const item = h("li", { "data-booking-id": sold.id }, saleLine(sold));
    recent.prepend(item);
  }

  function saleLine(sold) {
    const boxes = sold.seats.map((seat) => h("label", { class: "refund-seat" },
      h("input", { type: "checkbox", value: seat.seat_id, "aria-label": `Refund seat ${seat.label}` }), ` ${seat.label}`));
    const refund = h("button", { type: "button" }, "Refund selected");
    const line = h("div", { class: "sale-line" },
      h("span", {}, `${sold.code} · ${money(sold.amount_total, sold.currency)} · ${sold.status}`),
      h("a", { href: `/counter/print/${sold.id}` }, "Reprint"), boxes, sold.seats.length ? refund : null,
      sold.owed ? payBackButton(sold.id, sold.code, () => line.replaceWith(saleLine({ ...sold, owed: 0 }))) : null);
    refund.addEventListener("click", () => busy(refund, messages, async () => {
      const seatIds = boxes.map((b) => b.querySelector("input")).filter((i) => i.checked).map((i) => i.value);
      if (!seatIds.length) throw new Error("Tick the seats to refund.");
      const after = await post(`/api/v1/counter/sales/${sold.id}/refund`, { seat_ids: seatIds });
      const back = after.movements.at(-1);
      messages.info(`Refunded ${seatIds.length} seat${seatIds.length > 1 ? "s" : ""}: give back ${money(back.amount, after.currency)} (${back.method}).`);
      line.replaceWith(saleLine(after));
      await drawShift();
    }));
    return line;
  }

  // Sales of shows the theatre cancelled, owed back whole: paid from this shift, as paid.
  const owed = h("ul", { class: "recent-sales", "aria-label": "Owed back" });
  const owedPanel = h("section", { class: "panel owed", hidden: true }, h("h2", {}, "Owed back: cancelled shows"), owed);

  async function drawOwed() {
    const { items } = await get(`/api/v1/counter/owed?theatre_id=${shift.theatre_id}&limit=100`);
    owed.replaceChildren(...items.map(owedLine));
    owedPanel.hidden = !items.length;
  }

  function owedLine(item) {
    const show = item.show ? ` · ${item.show.movie_title}, ${dateTime(item.show.starts_at, item.show.timezone)}` : "";
    return h("li", { class: "sale-line", "data-booking-id": item.booking_id },
      h("span", {}, `${item.code}${show} · ${item.seats.join(", ")} · ${money(item.amount, item.currency)} (${item.method})`),
      payBackButton(item.booking_id, item.code));
  }

  function payBackButton(bookingId, code, done = () => {}) {
    const payBack = h("button", { type: "button", "aria-label": `Pay back ${code}` }, "Pay back");
    payBack.addEventListener("click", () => busy(payBack, messages, async () => {
      const after = await post(`/api/v1/counter/sales/${bookingId}/refund`);
      const back = after.movements.at(-1);
      messages.info(`Paid back ${code}: give back ${money(back.amount, after.currency)} (${back.method}).`);
      done();
      await Promise.all([drawOwed(), drawShift()]);
    }));
    return payBack;
  }

  findForm.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(find, messages, async () => {
      const door = await get(`/api/v1/bookings/code/${encodeURIComponent(lookup.value.trim())}`);
      remember(await get(`/api/v1/counter/sales/${door.booking.id}`));
      lookup.value = "";
    });
  });

  await Promise.all([drawShift(), drawOwed()]);
  render(main, "Box office", shifted, messages.element, field("Show", showSelect), stage, result, owedPanel,
    h("section", { class: "panel" }, h("h2", {}, "Sales and refunds"), findForm, recent));
  await drawShow(showSelect.value);
}
