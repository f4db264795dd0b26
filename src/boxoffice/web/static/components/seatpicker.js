// The seat picker: drawn from the seat map's x/y (aisles are the gaps in x), the screen edge on
// top, seat types told apart by shape and pattern as well as colour, usable from the keyboard
// (one tab stop, arrow keys move, Enter/Space toggles) and on a phone (seats of at least 24 px,
// zoom, a hint where more seats lie off-screen). Hooks for automated browsers: every seat has
// data-seat-id, data-status (AVAILABLE, HELD, BOOKED, BLOCKED or SELECTED) and an aria-label.
// Accessible seats are marked whatever their type: a wheelchair space shows the wheelchair
// symbol, a companion seat its number double-underlined; both say so in their label and in the
// legend. A seat blocked from sale (BLOCKED) is drawn as taken and named "not for sale".
import { money, price } from "../format.js";
import { h } from "../ui.js";

const WORDS = { AVAILABLE: "available", HELD: "taken", BOOKED: "taken", BLOCKED: "not for sale", SELECTED: "selected" };
const OFF = new Set(["HELD", "BOOKED", "BLOCKED"]); // statuses that cannot be picked
const ACCESS = { WHEELCHAIR: "wheelchair space", COMPANION: "companion seat" };
const WHEELCHAIR_SYMBOL = "\u267F";
const ZOOMS = ["zoom-small", "zoom-medium", "zoom-large"];

export function seatPicker({ seats, currency, maxSeats, onChange, onRefused }) {
  const byId = new Map();
  const selected = new Set();
  const mine = new Set(); // seats this visitor already holds (an unpaid booking): drawn as theirs
  let quantity = 0; // "How many seats?": a tap then picks that many side by side
  const rows = groupRows(seats);
  const width = Math.max(...seats.map((s) => s.x)) + 1;
  const grid = h("div", { class: "seat-grid", role: "group", "aria-label": "Seats; use the arrow keys to move and Enter to pick" });
  grid.style.gridTemplateColumns = `var(--label) repeat(${width}, var(--seat)) var(--label)`;

  let line = 1;
  let previousType = null;
  for (const row of rows) {
    const type = row.seats[0].seat_type;
    if (type !== previousType) {
      const header = h("div", { class: "section" }, `${type} · ${price(row.seats[0].price, currency)}`);
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
      const access = seat.accessibility ? ` seat-${seat.accessibility.toLowerCase()}` : "";
      const face = seat.accessibility === "WHEELCHAIR" ? WHEELCHAIR_SYMBOL : String(seat.number);
      const button = h("button", { type: "button", class: `seat seat-${seat.seat_type.toLowerCase()}${access}`, tabindex: "-1", dataset: { seatId: seat.id } }, face);
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
    const { button, seat } = entry;
    const shown = selected.has(seat.id) ? "SELECTED" : entry.status;
    const yours = shown !== "SELECTED" && shown !== "AVAILABLE" && mine.has(seat.id);
    button.dataset.status = shown;
    button.toggleAttribute("data-mine", yours);
    const word = yours ? "held by you" : WORDS[shown] || shown.toLowerCase();
    const access = seat.accessibility ? `, ${ACCESS[seat.accessibility] || seat.accessibility.toLowerCase()}` : "";
    button.setAttribute("aria-label", `${seat.label}, ${seat.seat_type}${access}, ${money(seat.price, currency)}, ${word}`);
    button.setAttribute("aria-pressed", shown === "SELECTED" ? "true" : "false");
    button.setAttribute("aria-disabled", OFF.has(shown) ? "true" : "false");
  }

  function changed() {
    onChange([...selected].map((id) => byId.get(id).seat));
  }

  const free = (seat) => seat && byId.get(seat.id).status === "AVAILABLE" && !selected.has(seat.id);

  // The tapped seat and its free neighbours of the same type up to `count`, rightwards then
  // leftwards, never across an aisle (a gap in x) or a taken seat, nor onto an accessible seat
  // unless the tapped one is accessible too (a wheelchair space and its companion).
  function block(entry, count) {
    const at = new Map(entry.row.seats.map((s) => [s.x, s]));
    const picked = [entry.seat];
    for (const step of [1, -1]) {
      for (let x = entry.seat.x + step; picked.length < count; x += step) {
        const seat = at.get(x);
        if (!free(seat) || seat.seat_type !== entry.seat.seat_type) break;
        if (seat.accessibility && !entry.seat.accessibility) break;
        picked.push(seat);
      }
    }
    return picked;
  }

  function choose(entry) {
    if (selected.has(entry.seat.id)) {
      selected.delete(entry.seat.id);
      paint(entry);
    } else if (entry.status === "BLOCKED") {
      onRefused(`Seat ${entry.seat.label} is not for sale. Please pick another seat.`);
      return;
    } else if (entry.status !== "AVAILABLE") {
      onRefused(`Seat ${entry.seat.label} is already taken. Please pick another seat.`);
      return;
    } else if (quantity > 1 && (selected.size === 0 || selected.size >= quantity)) {
      const before = [...selected];
      selected.clear();
      before.forEach((id) => paint(byId.get(id)));
      for (const seat of block(entry, quantity)) {
        selected.add(seat.id);
        paint(byId.get(seat.id));
      }
      if (selected.size < quantity) onRefused(`Only ${selected.size} free seat${selected.size > 1 ? "s" : ""} together here: pick ${quantity - selected.size} more, or start from another seat.`);
    } else if (selected.size >= maxSeats) {
      onRefused(`You can pick up to ${maxSeats} seats in one booking.`);
      return;
    } else {
      selected.add(entry.seat.id);
      paint(entry);
    }
    changed();
  }

  grid.addEventListener("click", (event) => {
    const button = event.target.closest("[data-seat-id]");
    if (!button) return;
    const entry = byId.get(button.dataset.seatId);
    focus(entry);
    choose(entry);
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
    entry.button.focus({ preventScroll: true });
    entry.button.scrollIntoView({ block: "nearest", inline: "nearest" });
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

  const view = scrollView(grid, width);
  const key = legend(rows, currency);

  return {
    element: h("div", { class: "seat-picker" },
      h("div", { class: "screen", "aria-hidden": "true" }, "Screen this way"),
      view.element,
      key),

    // Live changes: [{id, status}]. Picked seats someone else took are dropped, and named.
    update(changes) {
      const lost = [];
      for (const { id, status } of changes) {
        const entry = byId.get(id);
        if (!entry) continue;
        entry.status = status;
        if (status === "AVAILABLE") mine.delete(id);
        else if (selected.delete(id)) lost.push(entry.seat.label);
        paint(entry);
      }
      if (lost.length) {
        changed();
        onRefused(`${lost.length === 1 ? `Seat ${lost[0]} was` : `Seats ${lost.join(", ")} were`} just taken by someone else and removed from your selection.`);
      }
    },

    // The seats of this visitor's own unpaid booking: drawn as theirs, not as "taken".
    markMine(ids) {
      mine.clear();
      ids.forEach((id) => mine.add(id));
      for (const entry of byId.values()) paint(entry);
      key.querySelector('[data-sample="MINE"]').parentElement.hidden = !mine.size;
    },

    // Picks these seats (those still free), as when changing the seats of a released hold.
    select(ids) {
      for (const id of ids) {
        const entry = byId.get(id);
        if (entry && entry.status === "AVAILABLE" && selected.size < maxSeats) selected.add(id);
        if (entry) paint(entry);
      }
      changed();
    },

    setQuantity(count) { quantity = count; },

    clear() {
      const ids = [...selected];
      selected.clear();
      ids.forEach((id) => paint(byId.get(id)));
      changed();
    },

    // Free seats a pick would leave on their own (between taken or picked seats, an aisle or
    // the row's end), that the pick itself caused.
    stranded() {
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

// The map's scrolling window: zoom out/in, "more seats" on each side where more lie off-screen
// (a press scrolls there), and a scroll that rests with a whole seat next to the row letters.
function scrollView(grid, width) {
  const scroller = h("div", { class: "seat-scroll" }, grid);
  const frame = h("div", { class: `seat-frame ${ZOOMS[1]}` }, scroller);
  let zoom = 1;
  const zoomOut = h("button", { type: "button", class: "zoom", "aria-label": "Zoom out" }, "−");
  const zoomIn = h("button", { type: "button", class: "zoom", "aria-label": "Zoom in" }, "+");
  const before = h("button", { type: "button", class: "more", hidden: true, "aria-label": "More seats to the left" }, "‹ More seats");
  const after = h("button", { type: "button", class: "more", hidden: true, "aria-label": "More seats to the right" }, "More seats ›");

  function hints() {
    const end = scroller.scrollWidth - scroller.clientWidth;
    before.hidden = scroller.scrollLeft <= 1;
    after.hidden = scroller.scrollLeft >= end - 1;
  }
  // Scrolled by c steps, column c of the seats starts just right of the row letters.
  function step() {
    const seat = grid.querySelector(".seat");
    const gap = parseFloat(getComputedStyle(grid).columnGap) || 0;
    return seat ? seat.getBoundingClientRect().width + gap : 1;
  }
  // The last scroll position, too, rests on a whole seat: the grid is padded on the right.
  function fit() {
    grid.style.paddingRight = "0px";
    const unit = step();
    const end = scroller.scrollWidth - scroller.clientWidth;
    grid.style.paddingRight = `${end > 0 ? (unit - (end % unit)) % unit : 0}px`;
  }
  function scrollTo(left) {
    const unit = step();
    scroller.scrollLeft = Math.max(0, Math.round(left / unit) * unit);
    hints();
  }
  const middle = () => (scroller.scrollLeft + scroller.clientWidth / 2) / (scroller.scrollWidth || 1);
  const centre = (fraction) => scrollTo(fraction * scroller.scrollWidth - scroller.clientWidth / 2);
  function setZoom(level) {
    const fraction = middle();
    zoom = Math.max(0, Math.min(ZOOMS.length - 1, level));
    frame.classList.remove(...ZOOMS);
    frame.classList.add(ZOOMS[zoom]);
    fit();
    zoomOut.disabled = zoom === 0;
    zoomIn.disabled = zoom === ZOOMS.length - 1;
    centre(fraction); // the same middle stays in view
  }
  zoomOut.addEventListener("click", () => setZoom(zoom - 1));
  zoomIn.addEventListener("click", () => setZoom(zoom + 1));
  before.addEventListener("click", () => scrollTo(scroller.scrollLeft - scroller.clientWidth * 0.7));
  after.addEventListener("click", () => scrollTo(scroller.scrollLeft + scroller.clientWidth * 0.7));
  scroller.addEventListener("scroll", hints, { passive: true });
  new ResizeObserver(() => { fit(); hints(); }).observe(scroller);
  // Opens on the middle of the hall (where the best seats are), a whole seat at the left edge.
  requestAnimationFrame(() => { fit(); centre(0.5); });

  const element = h("div", { class: "seat-view", dataset: { columns: width } },
    h("div", { class: "zoom-bar" }, before,
      h("span", { class: "zoom-buttons", role: "group", "aria-label": "Zoom the seat map" }, zoomOut, zoomIn), after),
    frame);
  return { element };
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
  const access = new Set();
  for (const row of rows) {
    for (const seat of row.seats) {
      if (!types.has(seat.seat_type)) types.set(seat.seat_type, seat.price);
      if (seat.accessibility) access.add(seat.accessibility);
    }
  }
  const sample = (cls, status, text, face = "") => h("li", {}, h("span", { class: `seat sample ${cls}`, "data-sample": status, "aria-hidden": "true" }, face), text);
  return h("ul", { class: "legend", "aria-label": "Legend" },
    [...types].map(([type, amount]) => sample(`seat-${type.toLowerCase()}`, "AVAILABLE", `${type} ${price(amount, currency)}`)),
    access.has("WHEELCHAIR") ? sample("seat-wheelchair", "AVAILABLE", "Wheelchair space", WHEELCHAIR_SYMBOL) : null,
    access.has("COMPANION") ? sample("seat-companion", "AVAILABLE", "Companion seat, next to a wheelchair space", "1") : null,
    sample("", "SELECTED", "Your pick"),
    h("li", { hidden: true }, h("span", { class: "seat sample", "data-sample": "MINE", "aria-hidden": "true" }), "Held by you"),
    sample("", "BOOKED", "Taken or not for sale"));
}
