// A screen's seat layout as a manager draws it: rows front (nearest the screen) to back, each
// with its seat type and number of seats, aisles after seats, wheelchair spaces and their
// companion seats, and the sweet spot best available aims for. Mouse: a click applies the tool
// chosen above the grid. Keyboard: one tab stop in the grid, arrow keys move, and keys act on
// the seat in focus (the list is drawn beside the grid). Every change calls `onChange`.
import { h } from "../ui.js";

export const WHEELCHAIR = "WHEELCHAIR";
export const COMPANION = "COMPANION";
const TOOLS = [
  ["aisle", "Aisle after the seat", "A"],
  ["wheelchair", "Wheelchair space", "W"],
  ["companion", "Companion seat", "C"],
  ["spot", "Sweet spot", "S"],
  ["remove", "Remove the seat", "Delete"],
  ["insert", "Add a seat after it", "+"],
];

// The editor's rows from a screen's seats (as GET /screens/{id} lists them).
export function rowsOfSeats(seats) {
  const byRow = new Map();
  for (const seat of [...seats].sort((a, b) => a.y - b.y || a.x - b.x)) {
    if (!byRow.has(seat.row)) byRow.set(seat.row, []);
    byRow.get(seat.row).push(seat);
  }
  return [...byRow].map(([label, list]) => ({
    label,
    seat_type: list[0].seat_type,
    seats: list.length,
    aisles: new Set(list.slice(0, -1).filter((s, i) => list[i + 1].x - s.x > 1).map((s) => s.number)),
    access: new Map(list.filter((s) => s.accessibility).map((s) => [s.number, s.accessibility])),
  }));
}

// Row labels as theatres write them: A…Z, then AA, AB…
export function rowLabel(index) {
  let label = "";
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) label = String.fromCharCode(65 + ((n - 1) % 26)) + label;
  return label;
}

// The seats the layout makes, placed as the server places them (x counts the aisle gaps to the
// seat's left, y the row), in the shape of a seat map: the shop's picker draws them.
export function seatsOf(rows, priceOf) {
  return rows.flatMap((row, y) => {
    let gaps = 0;
    return Array.from({ length: row.seats }, (_, i) => {
      const number = i + 1;
      if (row.aisles.has(number - 1)) gaps += 1;
      const label = `${row.label}${number}`;
      return { id: `preview-${label}`, label, row: row.label, number, seat_type: row.seat_type, x: i + gaps, y,
        price: priceOf(row.seat_type), status: "AVAILABLE", accessibility: row.access.get(number) || null };
    });
  });
}

export function layoutEditor({ rows, spot, types, onChange }) {
  let tool = "aisle";
  let focus = { row: 0, number: 1 };
  const grid = h("div", { class: "layout-grid", role: "group", "aria-label": "Seat layout: arrow keys move between seats; keys A, W, C, S, Delete and + act on the seat" });
  const status = h("p", { class: "layout-status", "aria-live": "polite" });
  const toolChoice = h("fieldset", { class: "tools" }, h("legend", {}, "A click on a seat"),
    TOOLS.map(([value, label, key]) => h("label", { class: "chip" },
      h("input", { type: "radio", name: "tool", value, checked: value === tool }),
      h("span", {}, `${label} (${key})`))));
  toolChoice.addEventListener("change", (event) => { tool = event.target.value; });
  const addRow = h("button", { type: "button" }, "Add a row at the back");
  addRow.addEventListener("click", () => {
    const last = rows[rows.length - 1];
    rows.push({ label: nextLabel(), seat_type: last ? last.seat_type : types[types.length - 1], seats: last ? last.seats : 10, aisles: new Set(last ? last.aisles : []), access: new Map() });
    changed(`Row ${rows[rows.length - 1].label} added at the back.`);
  });

  function nextLabel() {
    const used = new Set(rows.map((r) => r.label));
    for (let i = rows.length; ; i++) if (!used.has(rowLabel(i))) return rowLabel(i);
  }

  function describe(row, number) {
    const words = [`${row.label}${number}`, row.seat_type];
    const kind = row.access.get(number);
    if (kind === WHEELCHAIR) words.push("wheelchair space");
    if (kind === COMPANION) words.push("companion seat");
    if (spot && spot.row === row.label && spot.number === number) words.push("sweet spot");
    if (row.aisles.has(number)) words.push("aisle after");
    return words.join(", ");
  }

  function draw(keepFocus) {
    focus.row = Math.min(focus.row, rows.length - 1);
    if (focus.row >= 0) focus.number = Math.min(Math.max(focus.number, 1), rows[focus.row].seats);
    grid.replaceChildren(...rows.map((row, index) => drawRow(row, index)));
    if (keepFocus) grid.querySelector('[tabindex="0"]')?.focus();
  }

  function drawRow(row, index) {
    const type = h("select", { "aria-label": `Seat type of row ${row.label}` }, types.map((t) => h("option", { value: t }, t)));
    type.value = row.seat_type;
    type.addEventListener("change", () => { row.seat_type = type.value; changed(`Row ${row.label} is ${type.value}.`); });
    const label = h("input", { type: "text", value: row.label, size: 3, maxlength: 3, "aria-label": `Label of row ${row.label}` });
    label.addEventListener("change", () => {
      const wanted = label.value.trim().toUpperCase();
      if (!/^[A-Z]{1,3}$/.test(wanted) || rows.some((r) => r !== row && r.label === wanted)) {
        label.value = row.label;
        status.textContent = "A row label is 1 to 3 letters, different from the other rows'.";
        return;
      }
      if (spot && spot.row === row.label) spot.row = wanted;
      row.label = wanted;
      changed(`Row renamed ${wanted}.`);
    });
    const fewer = h("button", { type: "button", class: "small", "aria-label": `One seat fewer in row ${row.label}`, disabled: row.seats <= 1 }, "−");
    const more = h("button", { type: "button", class: "small", "aria-label": `One seat more in row ${row.label}`, disabled: row.seats >= 100 }, "+");
    const drop = h("button", { type: "button", class: "small", "aria-label": `Remove row ${row.label}`, disabled: rows.length <= 1 }, "✕");
    fewer.addEventListener("click", () => { removeSeat(row, row.seats); changed(`Row ${row.label} has ${row.seats} seats.`); });
    more.addEventListener("click", () => { insertSeat(row, row.seats); changed(`Row ${row.label} has ${row.seats} seats.`); });
    drop.addEventListener("click", () => {
      rows.splice(index, 1);
      if (spot && spot.row === row.label) spot = null;
      changed(`Row ${row.label} removed.`);
    });
    const cells = [];
    for (let number = 1; number <= row.seats; number++) {
      const kind = row.access.get(number);
      const isSpot = spot && spot.row === row.label && spot.number === number;
      const here = focus.row === index && focus.number === number;
      const cell = h("button", {
        type: "button", class: `seat seat-${row.seat_type.toLowerCase()}`, tabindex: here ? "0" : "-1",
        "aria-label": describe(row, number), dataset: { row: row.label, number: String(number) },
        "data-access": kind ? kind.toLowerCase() : null, "data-spot": isSpot ? "true" : null,
      }, kind === WHEELCHAIR ? "♿" : kind === COMPANION ? "C" : String(number));
      cells.push(cell);
      if (row.aisles.has(number) && number < row.seats) cells.push(h("span", { class: "aisle", "aria-hidden": "true" }));
    }
    return h("div", { class: "layout-row", role: "group", "aria-label": `Row ${row.label}`, dataset: { row: row.label } },
      h("span", { class: "row-tools" }, label, type, fewer, more, drop),
      h("span", { class: "row-seats" }, cells));
  }

  // Seat `number` removed: what followed it moves one place left.
  function removeSeat(row, number) {
    if (row.seats <= 1) return false;
    row.seats -= 1;
    row.aisles = new Set([...row.aisles].map((a) => (a >= number ? a - 1 : a)).filter((a) => a >= 1 && a < row.seats));
    row.access = new Map([...row.access].filter(([n]) => n !== number).map(([n, k]) => [n > number ? n - 1 : n, k]));
    if (spot && spot.row === row.label) {
      if (spot.number === number) spot = null;
      else if (spot.number > number) spot.number -= 1;
    }
    return true;
  }

  // A seat added after seat `number` (0: at the start of the row).
  function insertSeat(row, number) {
    if (row.seats >= 100) return false;
    row.seats += 1;
    row.aisles = new Set([...row.aisles].map((a) => (a > number ? a + 1 : a)));
    row.access = new Map([...row.access].map(([n, k]) => [n > number ? n + 1 : n, k]));
    if (spot && spot.row === row.label && spot.number > number) spot.number += 1;
    return true;
  }

  function apply(action, row, number) {
    const label = `${row.label}${number}`;
    if (action === "aisle") {
      if (number >= row.seats) return `No aisle after ${label}: it ends the row.`;
      if (row.aisles.has(number)) row.aisles.delete(number); else row.aisles.add(number);
      return row.aisles.has(number) ? `Aisle after ${label}.` : `No aisle after ${label}.`;
    }
    if (action === "wheelchair" || action === "companion") {
      const kind = action === "wheelchair" ? WHEELCHAIR : COMPANION;
      if (row.access.get(number) === kind) row.access.delete(number); else row.access.set(number, kind);
      return row.access.has(number) ? `${label} is a ${action === "wheelchair" ? "wheelchair space" : "companion seat"}.` : `${label} is an ordinary seat.`;
    }
    if (action === "spot") {
      spot = spot && spot.row === row.label && spot.number === number ? null : { row: row.label, number };
      return spot ? `The sweet spot is ${label}.` : "The sweet spot is the default: the middle of the row two thirds back.";
    }
    if (action === "remove") return removeSeat(row, number) ? `${label} removed; row ${row.label} has ${row.seats} seats.` : "A row keeps at least one seat: remove the row instead.";
    if (action === "insert") return insertSeat(row, number) ? `A seat added after ${label}.` : "A row has at most 100 seats.";
    return "";
  }

  function changed(message, keepFocus = false) {
    // A row's own control (its type, its seats) keeps the focus through the redraw.
    const active = document.activeElement;
    const control = !keepFocus && grid.contains(active) ? active.getAttribute("aria-label") : null;
    draw(keepFocus);
    if (control) [...grid.querySelectorAll("[aria-label]")].find((e) => e.getAttribute("aria-label") === control)?.focus();
    status.textContent = message;
    onChange({ rows, spot });
  }

  function cellOf(target) {
    const cell = target.closest("[data-number]");
    if (!cell) return null;
    const index = rows.findIndex((r) => r.label === cell.dataset.row);
    return { index, row: rows[index], number: Number(cell.dataset.number) };
  }

  grid.addEventListener("focusin", (event) => { // wherever the focus lands, keys act there
    const at = cellOf(event.target);
    if (at) focus = { row: at.index, number: at.number };
  });

  grid.addEventListener("click", (event) => {
    const at = cellOf(event.target);
    if (!at) return;
    focus = { row: at.index, number: at.number };
    changed(apply(tool, at.row, at.number), true);
  });

  const KEYS = { a: "aisle", w: "wheelchair", c: "companion", s: "spot", Delete: "remove", Backspace: "remove", "+": "insert", Insert: "insert" };
  grid.addEventListener("keydown", (event) => {
    const at = cellOf(event.target);
    if (!at || event.ctrlKey || event.metaKey || event.altKey) return;
    const { index, row, number } = at;
    const moves = { ArrowLeft: [index, number - 1], ArrowRight: [index, number + 1], ArrowUp: [index - 1, number], ArrowDown: [index + 1, number], Home: [index, 1], End: [index, row.seats] };
    if (moves[event.key]) {
      event.preventDefault();
      const [r, n] = moves[event.key];
      if (r < 0 || r >= rows.length) return;
      focus = { row: r, number: Math.min(Math.max(n, 1), rows[r].seats) };
      draw(true);
      status.textContent = describe(rows[focus.row], focus.number);
      return;
    }
    const digit = Number(event.key);
    if (Number.isInteger(digit) && digit >= 1 && digit <= types.length) {
      event.preventDefault();
      row.seat_type = types[digit - 1];
      changed(`Row ${row.label} is ${row.seat_type}.`, true);
      return;
    }
    const action = KEYS[event.key] || KEYS[event.key.toLowerCase()];
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      changed(apply(tool, row, number), true);
    } else if (action) {
      event.preventDefault();
      changed(apply(action, row, number), true);
    }
  });

  const keys = h("details", { class: "keys" }, h("summary", {}, "Keys"),
    h("ul", {}, [
      "Arrow keys, Home, End: move between seats",
      ...TOOLS.map(([, label, key]) => `${key}: ${label.toLowerCase()} (again: undo)`),
      ...types.map((t, i) => `${i + 1}: the row is ${t}`),
      "Enter or Space: what a click does",
    ].map((text) => h("li", {}, text))));
  draw(false);
  return {
    element: h("div", { class: "layout-editor" }, toolChoice,
      h("div", { class: "screen", "aria-hidden": "true" }, "Screen this way"),
      h("div", { class: "layout-scroll" }, grid), h("div", { class: "actions" }, addRow), status, keys),
    state: () => ({ rows, spot }),
  };
}

// The layout as the API takes it (PUT /screens/{id}/layout, POST /theatres/{id}/screens).
export function layoutBody(rows, spot) {
  const body = {
    rows: rows.map((row) => {
      const out = { label: row.label, seat_type: row.seat_type, seats: row.seats, aisles_after: [...row.aisles].sort((a, b) => a - b) };
      const of = (kind) => [...row.access].filter(([, k]) => k === kind).map(([n]) => n).sort((a, b) => a - b);
      if (of(WHEELCHAIR).length) out.wheelchair = of(WHEELCHAIR);
      if (of(COMPANION).length) out.companions = of(COMPANION);
      return out;
    }),
  };
  if (spot) body.sweet_spot = { row: spot.row, number: spot.number };
  return body;
}

// Wheelchair spaces with no companion seat beside them, by label.
export function alone(rows) {
  return rows.flatMap((row) => [...row.access].filter(([n, k]) => k === WHEELCHAIR
    && row.access.get(n - 1) !== COMPANION && row.access.get(n + 1) !== COMPANION).map(([n]) => `${row.label}${n}`));
}
