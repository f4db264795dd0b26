// The form that puts a show on a screen: movie, screen, day and time, format, language (one the
// movie is released in), subtitles, and optional prices for this show only.
import { get } from "../api.js";
import { paise } from "./manage-shell.js";
import { field, h, messageBox } from "../ui.js";
import { zoneOffset } from "./week-board.js";

// The formats shows are given in (data: GET /formats), in their own order.
export async function formatCodes() {
  return (await get("/api/v1/formats", { auth: "none" })).map((format) => format.code);
}

export function languagesOf(movie) {
  return movie && movie.languages && movie.languages.length ? movie.languages : movie ? [movie.language] : [];
}

// onSubmit(body, facts) → a promise; facts names the show for messages and the board.
export function showForm({ movies, screens, formats, timezone, day, onSubmit, onClose }) {
  const messages = messageBox("show-form");
  const movie = h("select", { name: "movie_id", required: true }, movies.map((m) => h("option", { value: m.id }, m.title)));
  const screen = h("select", { name: "screen_id", required: true }, screens.map((s) => h("option", { value: s.id }, s.name)));
  const date = h("input", { type: "date", name: "date", value: day, required: true });
  const time = h("input", { type: "time", name: "time", required: true, step: 300 });
  const format = h("select", { name: "format" }, formats.map((f) => h("option", { value: f }, f)));
  const language = h("select", { name: "language" });
  const subtitles = h("input", { type: "text", name: "subtitles", placeholder: "none" });
  const prices = h("div", { class: "override-prices" });
  const fillLanguages = () => {
    const chosen = movies.find((m) => m.id === movie.value);
    language.replaceChildren(...languagesOf(chosen).map((l) => h("option", { value: l }, l)));
  };
  const fillPrices = () => {
    const chosen = screens.find((s) => s.id === screen.value);
    const types = chosen ? [...new Set(chosen.seats.map((s) => s.seat_type))] : [];
    prices.replaceChildren(...types.map((type) => field(`${type} (₹, this show only)`, h("input", { type: "text", inputmode: "decimal", name: `price-${type}`, dataset: { seatType: type }, placeholder: "rate card" }))));
  };
  movie.addEventListener("change", fillLanguages);
  screen.addEventListener("change", fillPrices);
  fillLanguages();
  fillPrices();
  const submit = h("button", { type: "submit", class: "primary" }, "Add the show");
  const close = h("button", { type: "button", onclick: onClose }, "Close");
  const form = h("form", { class: "panel show-form", "aria-label": "Add a show" },
    h("h2", {}, "Add a show"),
    h("div", { class: "form-grid" }, field("Movie", movie), field("Screen", screen), field("Day", date), field("Starts at", time),
      field("Format", format), field("Language", language), field("Subtitles", subtitles)),
    h("details", {}, h("summary", {}, "Prices for this show only"), prices),
    h("div", { class: "actions" }, submit, close), messages.element);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    messages.clear();
    const overrides = [];
    for (const input of prices.querySelectorAll("input")) {
      if (!input.value.trim()) continue;
      const amount = paise(input.value);
      if (Number.isNaN(amount)) {
        messages.error(`${input.dataset.seatType}: give the price in rupees, like 250 or 250.50.`);
        input.focus();
        return;
      }
      overrides.push({ seat_type: input.dataset.seatType, amount });
    }
    const body = {
      movie_id: movie.value, screen_id: screen.value,
      starts_at: `${date.value}T${time.value}:00${zoneOffset(timezone, date.value, time.value)}`,
      format: format.value, language: language.value,
    };
    if (subtitles.value.trim()) body.subtitles = subtitles.value.trim();
    if (overrides.length) body.price_overrides = overrides;
    submit.disabled = true;
    try {
      const error = await onSubmit(body);
      if (error) messages.error(error); else messages.info("Scheduled.");
    } finally {
      submit.disabled = false;
    }
  });
  return {
    element: form,
    focus() { time.focus(); },
    setDay(value) { date.value = value; },
  };
}
