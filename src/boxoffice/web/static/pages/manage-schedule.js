// A theatre's week schedule: seven days from a chosen one, each with its screens side by side
// and its shows placed by time. Add a show, repeat a day's shows on the days after it (one
// all-or-nothing batch), open a show to block seats or cancel it. Whatever the server refuses is
// drawn where the show would have gone, with the reason in words.
import { get, post } from "../api.js";
import { isoDay } from "../format.js";
import { manageShell } from "../components/manage-shell.js";
import { openShow } from "../components/show-panel.js";
import { formatCodes, showForm } from "../components/show-form.js";
import { clock, dayName, daysFrom, minutesInto, showWords, weekBoard, zoneOffset } from "../components/week-board.js";
import { h, messageBox } from "../ui.js";

export default async function schedulePage(main) {
  const shell = await manageShell(main, "Week schedule", "/manage/schedule");
  if (!shell) return;
  const { theatre, body } = shell;
  const first = new URLSearchParams(location.search).get("from") || isoDay(new Date(), theatre.timezone);
  const days = daysFrom(first, 7);
  const [screenList, movieList, formats] = await Promise.all([
    get(`/api/v1/theatres/${theatre.id}/screens`, { auth: "none" }),
    get("/api/v1/movies?limit=100", { auth: "none" }),
    formatCodes(),
  ]);
  const screens = await Promise.all(screenList.items.map((s) => get(`/api/v1/screens/${s.id}`, { auth: "none" })));
  const movies = new Map(movieList.items.map((m) => [m.id, m]));
  const messages = messageBox("schedule");
  const formSlot = h("div", {});
  const boardSlot = h("div", {});
  let shows = [];
  let refused = [];

  const from = h("input", { type: "date", name: "from", value: first, "aria-label": "Week from" });
  from.addEventListener("change", () => { if (from.value) location.assign(`/manage/schedule?from=${from.value}`); });
  const week = (offset) => `/manage/schedule?from=${daysFrom(first, offset + 1)[offset]}`;
  const add = h("button", { type: "button", class: "primary" }, "Add a show");
  add.addEventListener("click", () => openForm(first));
  body.append(
    h("div", { class: "week-nav" },
      h("a", { class: "button", href: `/manage/schedule?from=${new Date(Date.parse(`${first}T12:00:00Z`) - 7 * 86_400_000).toISOString().slice(0, 10)}` }, "‹ Week before"),
      from, h("a", { class: "button", href: week(7) }, "Week after ›"), add),
    formSlot, messages.element, boardSlot);
  if (!screens.length) {
    boardSlot.replaceChildren(h("p", {}, "This theatre has no screens yet. ", h("a", { href: "/manage/screens/new" }, "Draw one first.")));
    return;
  }

  let form = null;
  function openForm(day) {
    if (!movies.size) {
      messages.error("There are no movies to schedule yet: add one under Movies.");
      return;
    }
    if (!form) {
      form = showForm({
        movies: [...movies.values()], screens, formats, timezone: theatre.timezone, day,
        onSubmit: addShow, onClose: () => { formSlot.replaceChildren(); form = null; add.focus(); },
      });
      formSlot.replaceChildren(form.element);
    }
    form.setDay(day);
    form.focus();
  }

  // A refusal as the board draws it: where the show would have been, and why.
  function refusal(item, problem) {
    const movie = movies.get(item.movie_id);
    const day = item.starts_at.slice(0, 10);
    const minutes = minutesInto(day, item.starts_at);
    return { screen_id: item.screen_id, day, starts: clock(item.starts_at), minutes, length: movie ? movie.duration_minutes : 120,
      title: showWords(item, movie), reason: reasonOf(problem) };
  }

  // The server's reason, with the shows it names (an overlap) named as a manager knows them.
  function reasonOf(problem) {
    const detail = problem.detail || problem.reason || problem.title || "Refused.";
    const others = (problem.conflicting_show_ids || []).map((id) => shows.find((s) => s.id === id)).filter(Boolean);
    if (!others.length) return detail;
    const named = others.map((s) => `${showWords(s, movies.get(s.movie_id))} ${clock(s.starts_at)}–${clock(s.ends_at)}`).join(", ");
    return `It overlaps ${named}. ${detail}`;
  }

  async function addShow(item) {
    const same = (r) => !(r.screen_id === item.screen_id && r.day === item.starts_at.slice(0, 10) && r.starts === clock(item.starts_at));
    refused = refused.filter(same);
    try {
      const made = await post("/api/v1/shows", item);
      await load();
      messages.info(`Scheduled ${showWords(made, movies.get(made.movie_id))} on ${dayName(made.starts_at.slice(0, 10))} at ${clock(made.starts_at)}.`);
      return null;
    } catch (error) {
      if (!error.problem || error.status < 400 || error.status >= 500 || !days.includes(item.starts_at.slice(0, 10))) return error.message;
      const miss = refusal(item, error.problem);
      refused.push(miss);
      draw();
      return `Not scheduled: ${miss.reason}`;
    }
  }

  // The day's scheduled shows again on each later day of the view, in one batch.
  async function repeat(day, button) {
    const source = shows.filter((s) => s.starts_at.slice(0, 10) === day && s.status === "SCHEDULED");
    const targets = days.filter((d) => d > day);
    if (!source.length || !targets.length) {
      messages.error(source.length ? "This is the last day shown: there is no later day to repeat it on." : "That day has no shows to repeat.");
      return;
    }
    const items = targets.flatMap((target) => source.map((s) => {
      const at = clock(s.starts_at);
      const item = { movie_id: s.movie_id, screen_id: s.screen_id, starts_at: `${target}T${at}:00${zoneOffset(theatre.timezone, target, at)}` };
      for (const key of ["format", "language", "subtitles"]) if (s[key]) item[key] = s[key];
      return item;
    }));
    button.disabled = true;
    refused = [];
    try {
      const answer = await post("/api/v1/shows/batch", { shows: items });
      await load();
      const made = (answer && (answer.items || answer.shows)) || items;
      messages.info(`${made.length} shows added: ${dayName(day)}'s ${source.length} show${source.length > 1 ? "s" : ""} on ${targets.length} more day${targets.length > 1 ? "s" : ""}.`);
    } catch (error) {
      const failures = failuresOf(error.problem);
      if (!failures.length) {
        messages.error(error.message);
        return;
      }
      refused = failures.filter((f) => items[f.index]).map((f) => refusal(items[f.index], f));
      draw();
      messages.error(`Nothing was added: ${failures.length} of the ${items.length} shows cannot be scheduled (each is marked on its day, with the reason).`);
    } finally {
      button.disabled = false;
    }
  }

  async function load() {
    const answers = await Promise.all(days.map((day) => get(`/api/v1/shows?theatre_id=${theatre.id}&date=${day}&limit=100`, { auth: "none" })));
    shows = answers.flatMap((answer) => answer.items);
    draw();
  }

  function draw() {
    boardSlot.replaceChildren(weekBoard({
      days, screens, shows, refused, movies,
      actions(day, today) {
        const more = h("button", { type: "button", class: "small", "aria-label": `Add a show on ${dayName(day)}` }, "Add");
        more.addEventListener("click", () => openForm(day));
        const again = h("button", { type: "button", class: "small", "aria-label": `Repeat ${dayName(day)}'s shows on the days after it`, disabled: !today.length || day === days[days.length - 1] }, "Repeat on the days after");
        again.addEventListener("click", () => repeat(day, again));
        return h("span", { class: "day-actions" }, more, again);
      },
      onShow(show) {
        openShow({ show, movie: movies.get(show.movie_id), screen: screens.find((s) => s.id === show.screen_id),
          async onChanged(text) { await load(); messages.info(text); } });
      },
    }));
  }
  await load();
}

// A batch refusal's failing items, [{index, detail, ...}], whatever the list is called.
function failuresOf(problem) {
  if (!problem) return [];
  const list = problem.failures || problem.items || problem.errors || [];
  return Array.isArray(list) ? list.filter((f) => Number.isInteger(f.index)) : [];
}
