// Live seat statuses: the server's event stream when it has one, else the seat map polled with
// its ETag every second (a 304 costs the server next to nothing).
//
// A stream that ends (the server ends each one after a while, or the network drops it) is
// reopened by EventSource itself, with the Last-Event-ID it last got: the server answers with
// what changed meanwhile. A stream refused (too many open: 429) or missing (404) closes for
// good: then the map is polled, and the stream tried again now and then.
import { conditional } from "../api.js";

const POLL_MS = 1000;
const STREAM_AGAIN_MS = 30000;

export function watchSeats(showId, { onSeats, onCancelled }) {
  const path = `/api/v1/shows/${showId}/seats`;
  let stopped = false;
  let polling = false;
  let timer = null;
  let retry = null;
  let source = null;
  let etag = null;

  const all = (map) => onSeats(map.seats.map((s) => ({ id: s.id, status: s.status })));

  async function poll() {
    if (stopped || !polling) return;
    try {
      const answer = await conditional(path, etag);
      etag = answer.etag;
      if (answer.changed) all(answer.body);
    } catch {
      // a missed poll is retried on the next tick
    }
    if (!stopped && polling) timer = setTimeout(poll, POLL_MS);
  }

  function startPolling() {
    if (polling || stopped) return;
    polling = true;
    poll();
  }

  function stopPolling() {
    polling = false;
    clearTimeout(timer);
    timer = null;
  }

  function fallBack() {
    source?.close();
    source = null;
    startPolling();
    clearTimeout(retry);
    retry = setTimeout(() => { if (!stopped) stream(); }, STREAM_AGAIN_MS);
  }

  function stream() {
    const opened = new EventSource(`${path}/stream`);
    source = opened;
    opened.addEventListener("open", stopPolling);
    opened.addEventListener("snapshot", (event) => all(JSON.parse(event.data)));
    opened.addEventListener("seats", (event) => onSeats(JSON.parse(event.data).seats));
    opened.addEventListener("show-cancelled", () => { opened.close(); onCancelled(); });
    opened.addEventListener("error", () => {
      if (source === opened && opened.readyState === EventSource.CLOSED) fallBack();
    });
  }

  if ("EventSource" in window) stream();
  else startPolling();

  return () => {
    stopped = true;
    source?.close();
    stopPolling();
    clearTimeout(retry);
  };
}
