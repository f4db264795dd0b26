// Operators: the shows of a city and day with their occupancy and takings.
import { get } from "../api.js";
import { isoDay, money, percent, showTime } from "../format.js";
import { needsAdmin } from "../components/admin-gate.js";
import { field, h, messageBox, render } from "../ui.js";

export default async function adminPage(main) {
  if (needsAdmin(main, "Shows and occupancy")) return;
  const messages = messageBox("admin");
  const theatres = await get("/api/v1/theatres?limit=100", { auth: "none" });
  const movies = await get("/api/v1/movies?limit=100", { auth: "none" });
  const movieById = new Map(movies.items.map((m) => [m.id, m]));
  const theatre = h("select", { name: "theatre" }, theatres.items.map((t) => h("option", { value: t.id }, `${t.name}, ${t.city}`)));
  const date = h("input", { type: "date", name: "date", value: isoDay(new Date()) });
  const table = h("div", { class: "admin-shows" });
  render(main, "Shows and occupancy",
    h("p", {}, h("a", { href: "/admin/sales" }, "Sales report"), " · ", h("a", { href: "/checkin" }, "Check-in")),
    h("form", { class: "filters", "aria-label": "Choose theatre and date" }, field("Theatre", theatre), field("Date", date)),
    messages.element, table);

  async function load() {
    messages.clear();
    table.replaceChildren(h("p", { class: "muted" }, "Loading…"));
    try {
      const shows = await get(`/api/v1/shows?theatre_id=${theatre.value}&date=${date.value}&limit=100`, { auth: "none" });
      const reports = await Promise.all(shows.items.map((s) => get(`/api/v1/admin/shows/${s.id}/report`)));
      if (!shows.items.length) {
        table.replaceChildren(h("p", {}, "No shows on that day."));
        return;
      }
      table.replaceChildren(h("table", {},
        h("caption", {}, "Seats and money per show"),
        h("thead", {}, h("tr", {}, ["Time", "Movie", "Status", "Occupancy", "Booked", "Held", "Free", "Net"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, shows.items.map((show, i) => {
          const report = reports[i];
          const bar = h("span", { class: "bar" }, h("span", { class: "fill" }));
          bar.firstChild.style.width = percent(report.occupancy);
          return h("tr", { "data-show-id": show.id },
            h("td", {}, showTime(show.starts_at, show.timezone)),
            h("td", {}, movieById.get(show.movie_id)?.title || ""),
            h("td", {}, show.status),
            h("td", {}, bar, " ", percent(report.occupancy)),
            h("td", {}, report.booked), h("td", {}, report.held), h("td", {}, report.available),
            h("td", {}, money(report.net, show.currency)));
        }))));
    } catch (error) {
      table.replaceChildren();
      messages.error(error.message);
    }
  }
  theatre.addEventListener("change", load);
  date.addEventListener("change", load);
  await load();
}
