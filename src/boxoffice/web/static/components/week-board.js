// A theatre's week on one board: a section per day, in it a lane per screen (side by side, one
// above the other), each show a block placed and sized by its time, and the shows the server
// refused drawn where they would have been, with the reason in words beside them.
import { h } from "../ui.js";

const HOUR = 60;

// The offset ("+05:30") of `timeZone` at that local day and time: what a show's starts_at carries.
export function zoneOffset(timeZone, day, time) {
  const guess = new Date(`${day}T${time}:00Z`);
  const offsetAt = (instant) => {
    const name = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" })
      .formatToParts(instant).find((part) => part.type === "timeZoneName").value;
    const found = /GMT([+-])(\d{2}):?(\d{2})?/.exec(name);
    return found ? (found[1] === "-" ? -1 : 1) * (Number(found[2]) * 60 + Number(found[3] || 0)) : 0;
  };
  const minutes = offsetAt(new Date(guess.getTime() - offsetAt(guess) * 60_000));
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

// `count` local days from `first` (YYYY-MM-DD), as YYYY-MM-DD.
export function daysFrom(first, count) {
  const start = new Date(`${first}T12:00:00Z`);
  return Array.from({ length: count }, (_, i) => new Date(start.getTime() + i * 86_400_000).toISOString().slice(0, 10));
}

export function dayName(day) {
  return new Date(`${day}T12:00:00Z`).toLocaleDateString("en-IN", { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" });
}

// Minutes from the local midnight of `day` to an instant written with the theatre's offset.
export function minutesInto(day, iso) {
  const midnight = new Date(`${day}T00:00:00${iso.slice(19) || "Z"}`);
  return Math.round((new Date(iso).getTime() - midnight.getTime()) / 60_000);
}

export const clock = (iso) => iso.slice(11, 16); // the theatre's local time, as the API writes it

export function showWords(show, movie) {
  const kind = [show.language, show.format].filter(Boolean).join(" ");
  return `${movie ? movie.title : "A movie"}${kind ? ` · ${kind}` : ""}`;
}

// days: [YYYY-MM-DD]; screens: [{id, name}]; shows: the API's, of those days; refused: shows not
// made, {screen_id, day, starts, minutes, title, reason}; onShow(show) opens one.
export function weekBoard({ days, screens, shows, refused, movies, actions, onShow }) {
  const board = h("div", { class: "week-board" });
  for (const day of days) {
    const today = shows.filter((s) => s.starts_at.slice(0, 10) === day);
    const missed = refused.filter((r) => r.day === day);
    const spans = [...today.map((s) => [minutesInto(day, s.starts_at), minutesInto(day, s.ends_at)]),
      ...missed.map((r) => [r.minutes, r.minutes + r.length])];
    const from = Math.min(9 * HOUR, ...spans.map(([start]) => Math.floor(start / HOUR) * HOUR));
    const to = Math.max(24 * HOUR, ...spans.map(([, end]) => Math.ceil(end / HOUR) * HOUR));
    const place = (block, start, end) => {
      block.style.left = `${((start - from) / (to - from)) * 100}%`;
      block.style.width = `${((end - start) / (to - from)) * 100}%`;
    };
    const ticks = h("div", { class: "ticks", "aria-hidden": "true" });
    for (let m = from; m < to; m += 3 * HOUR) {
      const tick = h("span", {}, `${String((m / HOUR) % 24).padStart(2, "0")}:00`);
      place(tick, m, m + 3 * HOUR);
      ticks.append(tick);
    }
    const lanes = screens.map((screen) => {
      const track = h("div", { class: "track" });
      const notes = h("ul", { class: "refusals" });
      for (const show of today.filter((s) => s.screen_id === screen.id)) {
        const movie = movies.get(show.movie_id);
        const sold = show.seats_sold === undefined ? "" : `, ${show.seats_sold} of ${show.seat_count} sold`;
        const block = h("button", {
          type: "button", class: "show-block", dataset: { showId: show.id, status: show.status },
          "aria-label": `${showWords(show, movie)}, ${clock(show.starts_at)} to ${clock(show.ends_at)}, ${screen.name}${show.status === "CANCELLED" ? ", cancelled" : sold}`,
        }, h("strong", {}, clock(show.starts_at)), " ", showWords(show, movie));
        place(block, minutesInto(day, show.starts_at), minutesInto(day, show.ends_at));
        block.addEventListener("click", () => onShow(show));
        track.append(block);
      }
      for (const miss of missed.filter((r) => r.screen_id === screen.id)) {
        const ghost = h("div", { class: "show-block refused", "data-refused": "true", "aria-hidden": "true" }, h("strong", {}, miss.starts), " ", miss.title);
        place(ghost, miss.minutes, miss.minutes + miss.length);
        track.append(ghost);
        notes.append(h("li", { class: "error", role: "alert", "data-refused": miss.starts }, `Not scheduled: ${miss.title} at ${miss.starts}. ${miss.reason}`));
      }
      return h("div", { class: "lane", role: "group", "aria-label": `${screen.name}, ${dayName(day)}` },
        h("span", { class: "lane-name" }, screen.name), track, notes.children.length ? notes : null);
    });
    board.append(h("section", { class: "board-day", "aria-label": dayName(day), dataset: { day } },
      h("div", { class: "day-head" }, h("h2", {}, dayName(day)), h("span", { class: "muted" }, `${today.filter((s) => s.status !== "CANCELLED").length} shows`), actions(day, today)),
      h("div", { class: "day-scroll" }, h("div", { class: "day-grid" }, h("div", { class: "lane lane-ticks" }, h("span", { class: "lane-name" }), ticks), lanes))));
  }
  return board;
}
