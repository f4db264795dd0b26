// Operators: the shows of a city and day with their occupancy and takings.
import { get } from "../api.js";
import { isoDay, money, percent, showTime } from "../format.js";
import { needsAdmin } from "../components/admin-gate.js";
import { theatreChoice } from "../components/theatre-choice.js";
import { field, h, loads, messageBox, render } from "../ui.js";

const COLUMNS = ["Time", "Movie", "Status", "Occupancy", "Booked", "Held", "Free", "Net"];

// A show's status in words, with the clock's help: a scheduled show may be on now, or over.
function statusOf(show, now) {
  if (show.status === "CANCELLED") return "Cancelled";
  if (new Date(show.ends_at).getTime() <= now) return "Over";
  return new Date(show.starts_at).getTime() <= now ? "Showing now" : "Scheduled";
}

export default async function adminPage(main) {
  if (needsAdmin(main, "Shows and occupancy")) return;
  const messages = messageBox("admin");
  const [theatres, movies] = await Promise.all([
    get("/api/v1/theatres?limit=100", { auth: "none" }),
    get("/api/v1/movies?limit=100", { auth: "none" }),
  ]);
  const movieById = new Map(movies.items.map((m) => [m.id, m]));
  const theatre = theatreChoice(theatres.items);
  const date = h("input", { type: "date", name: "date", value: isoDay(new Date()) });
  const table = h("div", { class: "admin-shows" });
  render(main, "Shows and occupancy",
    h("p", {}, h("a", { href: "/admin/sales" }, "Sales report"), " · ", h("a", { href: "/checkin" }, "Check-in")),
    h("form", { class: "filters", "aria-label": "Choose theatre and date" }, field("Theatre", theatre), field("Date", date)),
    messages.element, table);

  const started = loads();
  async function load() {
    const latest = started();
    messages.clear();
    table.replaceChildren(h("p", { class: "muted" }, "Loading…"));
    try {
      const shows = await get(`/api/v1/shows?theatre_id=${theatre.value}&date=${date.value}&limit=100`, { auth: "none" });
      const reports = await Promise.all(shows.items.map((s) => get(`/api/v1/admin/shows/${s.id}/report`)));
      if (!latest()) return;
      if (!shows.items.length) {
        table.replaceChildren(h("p", {}, "No shows on that day."));
        return;
      }
      const now = Date.now();
      // On a phone each row is a card; each cell says what it is (data-label).
      table.replaceChildren(h("table", { class: "cards-on-phone" },
        h("caption", {}, "Seats and money per show"),
        h("thead", {}, h("tr", {}, COLUMNS.map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, shows.items.map((show, i) => {
          const report = reports[i];
          const bar = h("span", { class: "bar" }, h("span", { class: "fill" }));
          bar.firstChild.style.width = percent(report.occupancy);
          const cells = [
            showTime(show.starts_at, show.timezone), movieById.get(show.movie_id)?.title || "", statusOf(show, now),
            [bar, " ", percent(report.occupancy)], report.booked, report.held, report.available, money(report.net, show.currency),
          ];
          return h("tr", { "data-show-id": show.id }, cells.map((cell, column) => h("td", { "data-label": COLUMNS[column] }, cell)));
        }))));
    } catch (error) {
      if (!latest()) return;
      table.replaceChildren();
      messages.error(error.message);
    }
  }
  theatre.addEventListener("change", load);
  date.addEventListener("change", load);
  await load();
}
