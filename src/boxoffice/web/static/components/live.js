// Live seat statuses: the server's event stream when it has one, else the seat map polled with
// its ETag every second (a 304 costs the server next to nothing).
import { conditional } from "../api.js";

const POLL_MS = 1000;

export function watchSeats(showId, { onSeats, onCancelled }) {
  const path = `/api/v1/shows/${showId}/seats`;
  let stopped = false;
  let timer = null;
  let source = null;
  let etag = null;

  const all = (map) => onSeats(map.seats.map((s) => ({ id: s.id, status: s.status })));

  async function poll() {
    if (stopped) return;
    try {
      const answer = await conditional(path, etag);
      etag = answer.etag;
      if (answer.changed) all(answer.body);
    } catch {
      // a missed poll is retried on the next tick
    }
    if (!stopped) timer = setTimeout(poll, POLL_MS);
  }

  function fallBack() {
    source?.close();
    source = null;
    if (!stopped && timer === null) poll();
  }

  if ("EventSource" in window) {
    let opened = false;
    source = new EventSource(`${path}/stream`);
    source.addEventListener("open", () => { opened = true; });
    source.addEventListener("snapshot", (event) => all(JSON.parse(event.data)));
    source.addEventListener("seats", (event) => onSeats(JSON.parse(event.data).seats));
    source.addEventListener("show-cancelled", () => { source.close(); onCancelled(); });
    // A stream the server does not have (404) closes for good: poll instead. A dropped stream
    // that had worked reconnects by itself (with Last-Event-ID).
    source.addEventListener("error", () => {
      if (source && (source.readyState === EventSource.CLOSED || !opened)) fallBack();
    });
  } else {
    poll();
  }

  return () => {
    stopped = true;
    source?.close();
    clearTimeout(timer);
  };
}
