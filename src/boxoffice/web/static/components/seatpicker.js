// The seat picker: drawn from the seat map's x/y (aisles are the gaps in x), the screen edge on
// top, seat types told apart by shape and pattern as well as colour, usable from the keyboard
// (one tab stop, arrow keys move, Enter/Space toggles). Hooks for automated browsers: every
// seat has data-seat-id, data-status (AVAILABLE, HELD, BOOKED or SELECTED) and an aria-label.
import { money } from "../format.js";
import { h } from "../ui.js";

const WORDS = { AVAILABLE: "available", HELD: "taken", BOOKED: "taken", SELECTED: "selected" };

export function seatPicker({ seats, currency, maxSeats, onChange, onRefused }) {
  const byId = new Map();
  const selected = new Set();
  const rows = groupRows(seats);
  const width = Math.max(...seats.map((s) => s.x)) + 1;
  const grid = h("div", { class: "seat-grid", role: "group", "aria-label": "Seats; use the arrow keys to move and Enter to pick" });
  grid.style.gridTemplateColumns = `2em repeat(${width}, var(--seat)) 2em`;

  let line = 1;
  let previousType = null;
  for (const row of rows) {
    const type = row.seats[0].seat_type;
    if (type !== previousType) {
      const header = h("div", { class: "section" }, `${type} · ${money(row.seats[0].price, currency)}`);
      header.style.gridRow = String(line++);
      header.style.gridColumn = `1 / ${width + 3}`;
      grid.append(header);
      previousType = type;
    }
    const rowWidth = Math.max(...row.seats.map((s) => s.x)) + 1;
    row.offset = Math.floor((width - rowWidth) / 2); // shorter rows sit in the middle
    for (const [column, side] of [[1, "left"], [width + 2, "right"]]) {
      const label = h("span", { class: `row-label ${side}`, "aria-hidden": "true" }, row.label);
      label.style.gridRow = String(line);
      label.style.gridColumn = String(column);
      grid.append(label);
    }
    for (const seat of row.seats) {
      const button = h("button", { type: "button", class: `seat seat-${seat.seat_type.toLowerCase()}`, tabindex: "-1", dataset: { seatId: seat.id } }, String(seat.number));
      button.style.gridRow = String(line);
      button.style.gridColumn = String(seat.x + row.offset + 2);
      byId.set(seat.id, { seat, row, status: seat.status, button });
      grid.append(button);
    }
    line++;
  }
  for (const entry of byId.values()) paint(entry);
  const first = [...byId.values()].find((e) => e.status === "AVAILABLE") || byId.values().next().value;
  if (first) first.button.tabIndex = 0;

  function paint(entry) {
    const shown = selected.has(entry.seat.id) ? "SELECTED" : entry.status;
    const { button, seat } = entry;
    button.dataset.status = shown;
    button.setAttribute("aria-label", `${seat.label}, ${seat.seat_type}, ${money(seat.price, currency)}, ${WORDS[shown] || shown.toLowerCase()}`);
    button.setAttribute("aria-pressed", shown === "SELECTED" ? "true" : "false");
    button.setAttribute("aria-disabled", shown === "HELD" || shown === "BOOKED" ? "true" : "false");
  }

  function changed() {
    onChange([...selected].map((id) => byId.get(id).seat));
  }

  grid.addEventListener("click", (event) => {
    const button = event.target.closest("[data-seat-id]");
    if (!button) return;
    const entry = byId.get(button.dataset.seatId);
    focus(entry);
    if (selected.has(entry.seat.id)) {
      selected.delete(entry.seat.id);
    } else if (entry.status !== "AVAILABLE") {
      onRefused(`Seat ${entry.seat.label} is already taken. Please pick another seat.`);
      return;
    } else if (selected.size >= maxSeats) {
      onRefused(`You can pick up to ${maxSeats} seats in one booking.`);
      return;
    } else {
      selected.add(entry.seat.id);
    }
    paint(entry);
    changed();
  });

  grid.addEventListener("keydown", (event) => {
    const button = event.target.closest("[data-seat-id]");
    if (!button) return;
    const next = neighbour(byId.get(button.dataset.seatId), event.key);
    if (!next) return;
    event.preventDefault();
    focus(next);
  });

  function focus(entry) {
    for (const other of byId.values()) other.button.tabIndex = -1;
    entry.button.tabIndex = 0;
    entry.button.focus();
  }

  function neighbour(entry, key) {
    const { row } = entry;
    const index = row.seats.indexOf(entry.seat);
    const pick = (seat) => seat && byId.get(seat.id);
    if (key === "ArrowLeft") return pick(row.seats[index - 1]);
    if (key === "ArrowRight") return pick(row.seats[index + 1]);
    if (key === "Home") return pick(row.seats[0]);
    if (key === "End") return pick(row.seats[row.seats.length - 1]);
    if (key !== "ArrowUp" && key !== "ArrowDown") return null;
    const other = rows[rows.indexOf(row) + (key === "ArrowUp" ? -1 : 1)];
    if (!other) return null;
    const column = entry.seat.x + row.offset;
    const nearest = other.seats.reduce((best, s) =>
      Math.abs(s.x + other.offset - column) < Math.abs(best.x + other.offset - column) ? s : best);
    return pick(nearest);
  }

  const scroller = h("div", { class: "seat-scroll" }, grid);
  // On a narrow phone the middle of the screen shows first; the sides scroll into view.
  requestAnimationFrame(() => { scroller.scrollLeft = (scroller.scrollWidth - scroller.clientWidth) / 2; });

  return {
    element: h("div", { class: "seat-picker" },
      h("div", { class: "screen", "aria-hidden": "true" }, "Screen this way"),
      scroller,
      legend(rows, currency)),

    // Live changes: [{id, status}]. Picked seats someone else took are dropped, and named.
    update(changes) {
      const lost = [];
      for (const { id, status } of changes) {
        const entry = byId.get(id);
        if (!entry) continue;
        entry.status = status;
        if (status !== "AVAILABLE" && selected.delete(id)) lost.push(entry.seat.label);
        paint(entry);
      }
      if (lost.length) {
        changed();
        onRefused(`${lost.length === 1 ? `Seat ${lost[0]} was` : `Seats ${lost.join(", ")} were`} just taken by someone else and removed from your selection.`);
      }
    },

    clear() {
      const ids = [...selected];
      selected.clear();
      ids.forEach((id) => paint(byId.get(id)));
      changed();
    },

    // Free seats a pick would leave on their own (between taken or picked seats, an aisle or
    // the row's end), that the pick itself caused.
    stranded() {
      const free = (seat) => seat && byId.get(seat.id).status === "AVAILABLE" && !selected.has(seat.id);
      const picked = (seat) => seat && selected.has(seat.id);
      const alone = [];
      for (const row of rows) {
        const at = new Map(row.seats.map((s) => [s.x, s]));
        for (const seat of row.seats) {
          if (!free(seat)) continue;
          const left = at.get(seat.x - 1);
          const right = at.get(seat.x + 1);
          if (!free(left) && !free(right) && (picked(left) || picked(right))) alone.push(seat.label);
        }
      }
      return alone;
    },
  };
}

function groupRows(seats) {
  const byY = new Map();
  for (const seat of seats) {
    if (!byY.has(seat.y)) byY.set(seat.y, { label: seat.row, seats: [] });
    byY.get(seat.y).seats.push(seat);
  }
  return [...byY.keys()].sort((a, b) => a - b).map((y) => {
    const row = byY.get(y);
    row.seats.sort((a, b) => a.x - b.x);
    return row;
  });
}

function legend(rows, currency) {
  const types = new Map();
  for (const row of rows) for (const seat of row.seats) if (!types.has(seat.seat_type)) types.set(seat.seat_type, seat.price);
  const sample = (cls, status, text) => h("li", {}, h("span", { class: `seat sample ${cls}`, "data-sample": status, "aria-hidden": "true" }), text);
  return h("ul", { class: "legend", "aria-label": "Legend" },
    [...types].map(([type, price]) => sample(`seat-${type.toLowerCase()}`, "AVAILABLE", `${type} ${money(price, currency)}`)),
    sample("", "SELECTED", "Your pick"),
    sample("", "BOOKED", "Taken"));
}
