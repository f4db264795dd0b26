// The waiting page of a show sold through an on-sale's queue (a show's own queue is an on-sale
// of that one show): the visitor's place (position, how many are ahead, an estimate), live
// from the server's stream. The place is the on-sale queue's cookie, so a reload keeps it, and
// the waiting page of another show of the same on-sale finds the same place. Once admitted, the
// admission is kept for this tab, for every show of the on-sale, and the seat picker opens.
import { get, post } from "../api.js";
import { dateTime } from "../format.js";
import { keepAdmission } from "../components/admission.js";
import { go, h, notice, render } from "../ui.js";

const POLL_MS = 5000;
const MAX_POLL_MS = 60000;

export default async function queuePage(main, showId) {
  let show, onsale, base, place;
  try {
    show = await get(`/api/v1/shows/${showId}`, { auth: "none" });
    onsale = await get(`/api/v1/shows/${showId}/onsale`, { auth: "none" });
    base = `/api/v1/onsales/${onsale.id}/queue`;
    place = await get(`${base}/me`, { auth: "none" }).catch((error) => {
      if (error.status !== 403) throw error;
      return post(base, undefined, { auth: "none" }); // no place yet: take one
    });
  } catch (error) {
    if (error.type === "show-not-queued" || error.type === "onsale-not-found") {
      return go(`/shows/${showId}`);
    }
    if (error.status !== 404 && error.status !== 409 && error.status !== 422) throw error;
    notice(main, "Not on sale", error.message, [["See what's showing", "/"]]);
    return;
  }
  const state = h("p", { class: "lead", "data-queue-state": "", "aria-live": "polite" });
  const position = h("dd", { "data-queue-position": "" });
  const ahead = h("dd", { "data-queue-ahead": "" });
  const estimate = h("dd", { "data-queue-estimate": "" });
  render(main, `Queue: ${show.movie.title}`,
    h("p", { class: "muted" }, `${show.theatre.name} · ${dateTime(show.starts_at, show.timezone)}`),
    state,
    h("dl", { class: "queue-place", "aria-label": "Your place in the queue" },
      h("dt", {}, "Your position"), position,
      h("dt", {}, "Ahead of you"), ahead,
      h("dt", {}, "Estimated wait"), estimate),
    h("p", { class: "muted" }, "Keep this page open; reloading it keeps your place."));

  function draw(now) {
    position.textContent = now.position ?? "drawn at the opening";
    ahead.textContent = now.ahead ?? "–";
    estimate.textContent = now.estimate_seconds == null ? "–" : wait(now.estimate_seconds);
    state.dataset.queueState = now.state;
    if (now.state === "IN_DRAW") {
      state.textContent = `The sale opens at ${dateTime(now.opens_at, show.timezone)}. Everyone here before then gets a place in a random draw.`;
    } else if (now.state === "WAITING") {
      state.textContent = "You are in the queue.";
    } else if (now.state === "ADMITTED") {
      state.textContent = "It's your turn: choose your seats.";
      for (const id of onsale.show_ids) keepAdmission(id, now.admission_token, now.admission_expires_at);
      go(`/shows/${showId}`);
    } else if (now.state === "OPEN") {
      state.textContent = "The queue is over: seats are on sale to all.";
      go(`/shows/${showId}`);
    } else {
      state.textContent = "Your turn has passed. Join the queue again to get a new place.";
    }
  }
  draw(place);
  if (place.state === "IN_DRAW" || place.state === "WAITING") {
    follow(`${base}/stream`, draw, () => get(`${base}/me`, { auth: "none" }));
  }
}

// The place as the server sends it; EventSource reconnects by itself (the place comes again).
// A stream refused (too many open) closes for good: then the place is read every few seconds.
function follow(path, draw, read) {
  const source = new EventSource(path);
  source.addEventListener("place", (event) => {
    const now = JSON.parse(event.data);
    draw(now);
    if (now.state !== "IN_DRAW" && now.state !== "WAITING") source.close();
  });
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CLOSED) poll(read, draw);
  });
}

// Sooner as the turn nears: half the estimate, within POLL_MS and MAX_POLL_MS, spread a little
// so that a crowd's reads do not come together.
async function poll(read, draw) {
  const now = await read().catch(() => null);
  if (now) draw(now);
  if (now && now.state !== "IN_DRAW" && now.state !== "WAITING") return;
  const half = (now?.estimate_seconds ?? 0) * 500;
  const wait = Math.min(MAX_POLL_MS, Math.max(POLL_MS, half)) * (1 + Math.random() / 5);
  setTimeout(() => poll(read, draw), wait);
}

function wait(seconds) {
  if (seconds < 60) return "less than a minute";
  const minutes = Math.ceil(seconds / 60);
  return minutes < 90 ? `about ${minutes} minutes` : `about ${Math.round(minutes / 60)} hours`;
}
