// What's on: a city, a day of the week ahead (a strip of 7), a search by title, chips by
// language, format and time of day, and each movie's showtimes grouped by language and format
// (as BookMyShow does: "Hindi · 3D"), then by theatre, coloured by how full each show is.
import { get } from "../api.js";
import { isoDay, price, showDate, showTime } from "../format.js";
import { facetChips } from "../components/facets.js";
import { poster } from "../components/poster.js";
import { field, h, loads, messageBox, render } from "../ui.js";

const DAYS = 7;
// How full a show is, in words as well as colour: [below this share sold, class, words].
const FILL = [[0.5, "fill-low", "Available"], [0.85, "fill-mid", "Filling fast"], [1, "fill-high", "Almost full"], [Infinity, "fill-full", "Sold out"]];
// Parts of the day, in the theatre's own timezone: [from this hour, name].
const PARTS = [[0, "night"], [5, "morning"], [12, "afternoon"], [17, "evening"], [21, "night"]];
const PART_WORDS = { morning: "Morning", afternoon: "Afternoon", evening: "Evening", night: "Night" };

function partOfDay(show) {
  const hour = Number(new Intl.DateTimeFormat("en-GB", { hour: "numeric", hourCycle: "h23", timeZone: show.timezone }).format(new Date(show.starts_at)));
  return PARTS.filter(([from]) => hour >= from).at(-1)[1];
}

export default async function home(main) {
  const messages = messageBox("home");
  const params = new URLSearchParams(location.search);
  const [theatres, movies, formats] = await Promise.all([
    get("/api/v1/theatres?limit=100", { auth: "none" }),
    get("/api/v1/movies?limit=100", { auth: "none" }),
    get("/api/v1/formats", { auth: "none" }),
  ]);
  const formatOrder = formats.map((format) => format.code);
  const cities = [...new Set(theatres.items.map((t) => t.city))].sort();
  const city = h("select", { name: "city" }, cities.map((c) => h("option", { value: c }, c)));
  city.value = params.get("city") || cities[0] || "";
  if (!city.value) city.value = cities[0] || "";
  const search = h("input", { type: "search", name: "q", placeholder: "Movie title", autocomplete: "off", value: params.get("q") || "" });
  const today = new Date();
  const days = Array.from({ length: DAYS }, (_, i) => isoDay(new Date(today.getTime() + i * 86_400_000)));
  let day = params.get("date") || days[0];
  if (!days.includes(day)) {
    day = days[0]; // a date outside the week listed (an old link, a typo)
    messages.info("Shows are listed for the next 7 days, so here is today. Pick another day below.");
  }
  const strip = h("nav", { class: "date-strip", "aria-label": "Date" });
  const list = h("div", { class: "movies" });
  const filters = h("form", { class: "filters", role: "search", "aria-label": "Choose city and movie" }, field("City", city), field("Search by title", search));
  filters.addEventListener("submit", (event) => event.preventDefault());
  const facets = facetChips([
    { name: "language", label: "Language", of: (show) => show.language },
    { name: "format", label: "Format", of: (show) => show.format, order: formatOrder },
    { name: "time", label: "Time", of: partOfDay, order: ["morning", "afternoon", "evening", "night"], words: (part) => PART_WORDS[part] },
  ], {
    chosen: Object.fromEntries(["language", "format", "time"].map((name) => [name, (params.get(name) || "").split(",").filter(Boolean)])),
    onChange: () => { address(); draw(); },
  });
  render(main, "Now showing", filters, strip, facets.element, fillLegend(), messages.element, list);

  const theatreById = new Map(theatres.items.map((t) => [t.id, t]));
  const movieById = new Map(movies.items.map((m) => [m.id, m]));
  let shown = [];

  function drawStrip() {
    strip.replaceChildren(...days.map((iso, index) => {
      const [weekday, date] = index === 0 ? ["Today", dayOfMonth(iso)] : [showDate(`${iso}T12:00:00Z`, "UTC").split(",")[0], dayOfMonth(iso)];
      return h("button", { type: "button", class: "day", "aria-current": iso === day ? "date" : null, "aria-label": `${weekday}, ${date}`, onclick: () => { day = iso; messages.clear(); load(); } },
        h("span", {}, weekday), h("strong", {}, date));
    }));
  }

  function address() {
    const query = new URLSearchParams({ city: city.value, date: day, ...facets.params() });
    if (search.value.trim()) query.set("q", search.value.trim());
    history.replaceState(null, "", `/?${query}`);
  }

  function draw() {
    const wanted = search.value.trim().toLowerCase();
    const byMovie = new Map();
    for (const show of shown) {
      const movie = movieById.get(show.movie_id);
      if (wanted && !(movie?.title || "").toLowerCase().includes(wanted)) continue;
      if (!facets.matches(show)) continue;
      if (!byMovie.has(show.movie_id)) byMovie.set(show.movie_id, []);
      byMovie.get(show.movie_id).push(show);
    }
    if (byMovie.size) {
      list.replaceChildren(...[...byMovie].map(([movieId, movieShows]) => movieCard(movieById.get(movieId), movieShows, theatreById, formatOrder)));
    } else if (shown.length) {
      list.replaceChildren(h("p", {}, `No show matching your search and filters in ${city.value} that day. `,
        h("button", { type: "button", class: "link", onclick: () => { search.value = ""; facets.clear(); address(); draw(); } }, "Show all movies")));
    } else {
      list.replaceChildren(h("p", {}, `No more shows in ${city.value} that day. Try another date above.`));
    }
  }

  const started = loads();
  async function load(autoAdvance = false) {
    const latest = started();
    drawStrip();
    address();
    if (!city.value) {
      list.replaceChildren(h("p", {}, "No theatres are listed yet."));
      return;
    }
    list.replaceChildren(h("p", { class: "muted" }, "Loading shows…"));
    try {
      const query = new URLSearchParams({ city: city.value, date: day, upcoming: "true", status: "SCHEDULED", limit: "100" });
      const answer = await get(`/api/v1/shows?${query}`, { auth: "none" });
      if (!latest()) return;
      shown = answer.items;
    } catch (error) {
      if (!latest()) return;
      list.replaceChildren();
      messages.error(error.message);
      return;
    }
    facets.update(shown);
    const next = days[days.indexOf(day) + 1];
    if (!shown.length && autoAdvance && next) {
      day = next; // late in the evening: today's shows have all started
      await load(true);
      return;
    }
    draw();
  }
  city.addEventListener("change", () => { messages.clear(); load(); });
  search.addEventListener("input", () => { address(); draw(); });
  await load(!params.get("date"));
}

function dayOfMonth(iso) {
  return new Date(`${iso}T12:00:00Z`).toLocaleDateString("en-IN", { day: "numeric", month: "short", timeZone: "UTC" });
}

function fill(show) {
  const share = show.seat_count ? show.seats_sold / show.seat_count : 0;
  return FILL.find(([below]) => share < below) || FILL[FILL.length - 1];
}

function fillLegend() {
  return h("ul", { class: "fill-legend", "aria-label": "How full a show is" },
    FILL.map(([, cls, words]) => h("li", {}, h("span", { class: `dot ${cls}`, "aria-hidden": "true" }), words)));
}

function groupBy(items, key) {
  const groups = new Map();
  for (const item of items) {
    if (!groups.has(key(item))) groups.set(key(item), []);
    groups.get(key(item)).push(item);
  }
  return groups;
}

// A movie's shows of the day: a group per language and format (in the formats' own order),
// then per theatre.
function movieCard(movie, shows, theatreById, formatOrder) {
  const versions = [...groupBy(shows, (show) => `${show.language}\n${show.format}`).values()].sort((a, b) =>
    a[0].language.localeCompare(b[0].language) || formatOrder.indexOf(a[0].format) - formatOrder.indexOf(b[0].format));
  const title = movie ? movie.title : "Movie";
  const facts = movie ? `${movie.languages.join(", ")} · ${movie.certificate} · ${movie.duration_minutes} min · ${movie.genres.join(", ")}` : "";
  return h("section", { class: "movie", "aria-label": title },
    poster(movie),
    h("div", { class: "movie-head" }, h("h2", {}, title), h("p", { class: "muted" }, facts)),
    h("div", { class: "movie-shows" }, versions.map((versionShows) => {
      const { language, format } = versionShows[0];
      return h("div", { class: "version" },
        h("h3", { class: "version-name" }, `${language} · ${format}`),
        [...groupBy(versionShows, (show) => show.theatre_id)].map(([theatreId, theatreShows]) => theatreTimes(title, theatreById.get(theatreId), theatreShows)));
    })));
}

function theatreTimes(title, theatre, shows) {
  return h("div", { class: "theatre" },
    h("h4", {}, theatre ? theatre.name : "Theatre"),
    h("ul", { class: "times" }, shows.map((show) => {
      const from = price(Math.min(...Object.values(show.prices)), show.currency);
      const time = showTime(show.starts_at, show.timezone);
      const [, cls, words] = fill(show);
      return h("li", {}, h("a", {
        class: `time ${cls}`, href: `/shows/${show.id}`, "data-fill": words,
        "aria-label": `${title} at ${time}, ${theatre ? theatre.name : ""}, from ${from}, ${words.toLowerCase()}`,
      }, time, h("small", {}, `from ${from}`)));
    })));
}
