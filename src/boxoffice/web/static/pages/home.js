// City and date → movies → shows.
import { get } from "../api.js";
import { isoDay, money, showDate, showTime } from "../format.js";
import { field, h, messageBox, render } from "../ui.js";

const DAYS = 7;

export default async function home(main) {
  const messages = messageBox("home");
  const params = new URLSearchParams(location.search);
  const [theatres, movies] = await Promise.all([
    get("/api/v1/theatres?limit=100", { auth: "none" }),
    get("/api/v1/movies?limit=100", { auth: "none" }),
  ]);
  const cities = [...new Set(theatres.items.map((t) => t.city))].sort();
  const city = h("select", { name: "city" }, cities.map((c) => h("option", { value: c }, c)));
  city.value = params.get("city") || cities[0] || "";
  const today = new Date();
  const days = Array.from({ length: DAYS }, (_, i) => new Date(today.getTime() + i * 86_400_000));
  const date = h("select", { name: "date" }, days.map((d) => h("option", { value: isoDay(d) }, showDate(d.toISOString(), "Asia/Kolkata"))));
  const asked = params.get("date");
  date.value = asked || isoDay(today);
  if (asked && date.value !== asked) {
    date.value = isoDay(today); // a date outside the week listed (an old link, a typo)
    messages.info("Shows are listed for the next 7 days, so here is today. Pick another day below.");
  }
  const list = h("div", { class: "movies" });
  const filters = h("form", { class: "filters", "aria-label": "Choose city and date" }, field("City", city), field("Date", date));
  render(main, "Now showing", filters, messages.element, list);

  const theatreById = new Map(theatres.items.map((t) => [t.id, t]));
  const movieById = new Map(movies.items.map((m) => [m.id, m]));

  async function load(autoAdvance = false) {
    history.replaceState(null, "", `/?city=${encodeURIComponent(city.value)}&date=${date.value}`);
    list.replaceChildren(h("p", { class: "muted" }, "Loading shows…"));
    let shows;
    try {
      shows = await get(`/api/v1/shows?city=${encodeURIComponent(city.value)}&date=${date.value}&upcoming=true&status=SCHEDULED&limit=100`, { auth: "none" });
    } catch (error) {
      list.replaceChildren();
      messages.error(error.message);
      return;
    }
    const byMovie = new Map();
    for (const show of shows.items) {
      if (!byMovie.has(show.movie_id)) byMovie.set(show.movie_id, []);
      byMovie.get(show.movie_id).push(show);
    }
    if (!byMovie.size && autoAdvance && date.selectedIndex < days.length - 1) {
      date.selectedIndex += 1; // late in the evening: today's shows have all started
      await load(true);
      return;
    }
    if (!byMovie.size) {
      list.replaceChildren(h("p", {}, `No more shows in ${city.value} on that day. Try another date.`));
      return;
    }
    list.replaceChildren(...[...byMovie].map(([movieId, movieShows]) => movieCard(movieById.get(movieId), movieShows, theatreById)));
  }
  city.addEventListener("change", () => { messages.clear(); load(); });
  date.addEventListener("change", () => { messages.clear(); load(); });
  await load(!params.get("date"));
}

function movieCard(movie, shows, theatreById) {
  const byTheatre = new Map();
  for (const show of shows) {
    if (!byTheatre.has(show.theatre_id)) byTheatre.set(show.theatre_id, []);
    byTheatre.get(show.theatre_id).push(show);
  }
  const title = movie ? movie.title : "Movie";
  const facts = movie ? `${movie.language} · ${movie.certificate} · ${movie.duration_minutes} min · ${movie.genres.join(", ")}` : "";
  return h("section", { class: "movie", "aria-label": title },
    h("h2", {}, title),
    h("p", { class: "muted" }, facts),
    [...byTheatre].map(([theatreId, theatreShows]) => {
      const theatre = theatreById.get(theatreId);
      return h("div", { class: "theatre" },
        h("h3", {}, theatre ? theatre.name : "Theatre"),
        h("ul", { class: "times" }, theatreShows.map((show) => {
          const from = Math.min(...Object.values(show.prices));
          const time = showTime(show.starts_at, show.timezone);
          return h("li", {}, h("a", {
            class: "time", href: `/shows/${show.id}`,
            "aria-label": `${title} at ${time}, ${theatre ? theatre.name : ""}, from ${money(from, show.currency)}`,
          }, time, h("small", {}, `from ${money(from, show.currency)}`)));
        })));
    }));
}
