"""The live seat map: a show's seat changes as server-sent events (SPEC "Live seat map").

Each process keeps one `ShowFeed` per show that has subscribers here. It hears the one signal
that keeps the seat maps current, `SeatMaps.changed`: from this process's LISTEN connection for
writes made anywhere (PostgreSQL), from this process's own writes at once, and on SQLite, whose
writes all come through this process, after each commit. A feed does not trust the signal to
say what changed: it reads the map (one read for all its subscribers, through `SeatMaps`, at most
once per `SEAT_STREAM_COALESCE_SECONDS`) and sends what differs from what it sent last. So a
lost notification loses no change: the next read sends it, whether a later signal, the LISTEN
connection coming back (every feed reads then) or the check each feed makes every second.

- An event's id names a state of the seats, `{version}.{holds run out}`: the same in every
  process that saw that state. A reconnecting client's `Last-Event-ID` is looked up in the
  feed's ring of recent changes; what changed since comes as one `seats` event, or, when the id
  is not there (too old, or a state this process never saw), as a new `snapshot`.
- A hold running out writes nothing: a feed sleeps until its map's next `held_until`.
- Each subscriber has a bounded queue; one that overflows (a slow or dead client) is closed and
  forgotten, so it holds up no one, and its client reconnects to a snapshot. Publishing only
  appends to queues: the hold path, which raises the signal, never waits for a subscriber.
- A subscriber holds no database connection and no admission slot: only its feed reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import exc as sa_exc
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from boxoffice.catalogue.errors import ShowNotFound
from boxoffice.catalogue.seatmap import RenderedMap, Snapshot, row_status
from boxoffice.catalogue.streamquota import StreamQuota, refused
from boxoffice.clock import Clock
from boxoffice.config import Settings
from boxoffice.db.engine import DRIVER_ERRORS
from boxoffice.logs import get_logger

# The database failing a read: the feed waits a moment and reads again.
_READ_FAILED: tuple[type[Exception], ...] = (sa_exc.SQLAlchemyError, OSError, *DRIVER_ERRORS)

log = get_logger("boxoffice.catalogue.seatstream")

RING = 256  # recent changes a feed keeps for clients resuming with Last-Event-ID
CHECK_SECONDS = 1.0  # a feed reads at least this often, whatever it heard
LINGER_SECONDS = 30.0  # a feed outlives its last subscriber this long, for its reconnection
RETRY_SECONDS = 1.0  # after a failed read
EXPIRY_MARGIN = 0.005  # wake just after a hold runs out, never just before
KEEP_ALIVE = b": keep-alive\n\n"
ReadMap = Callable[[uuid.UUID, datetime], Awaitable[RenderedMap]]


def event(kind: str, event_id: str, data: bytes) -> bytes:
    return b"event: %s\nid: %s\ndata: %s\n\n" % (kind.encode(), event_id.encode(), data)


def state_id(snapshot: Snapshot, now: datetime) -> str:
    """The seats' state at `now`: the version and how many of its holds have run out (counted
    over every hold, so that any process reading this version names the state alike)."""
    ran_out = sum(
        1 for row in snapshot.seats if row[8] is not None and row[9] is not None and row[9] <= now
    )
    return f"{snapshot.version}.{ran_out}"


class Subscriber:
    """One open stream's queue of encoded events; closed when it overflows or the show ends."""

    __slots__ = ("_capacity", "closed", "events", "ready")

    def __init__(self, capacity: int) -> None:
        self.events: deque[bytes] = deque()
        self.ready = asyncio.Event()
        self.closed = False
        self._capacity = capacity

    def push(self, data: bytes) -> bool:
        """Queues `data`; False (and closed) when the queue was full."""
        if len(self.events) >= self._capacity:
            self.close()
            return False
        self.events.append(data)
        self.ready.set()
        return True

    def close(self, last: bytes = b"") -> None:
        self.closed = True
        self.events.clear()
        if last:
            self.events.append(last)
        self.ready.set()


class ShowFeed:
    """A show's state as last sent to this process's subscribers, and the task keeping it."""

    def __init__(self, feeds: SeatFeeds, rendered: RenderedMap, now: datetime) -> None:
        self.show_id = rendered.snapshot.show_id
        self.subscribers: set[Subscriber] = set()
        self._feeds = feeds
        self._ring: deque[tuple[str, dict[str, str] | None]] = deque(maxlen=RING)
        self._wake = asyncio.Event()
        self._last_read = self._last_sent = self._idle_since = time.monotonic()
        self._adopt(rendered, now)
        self._ring.append((self.event_id, {}))
        self._task = asyncio.create_task(self._run(), name=f"seat feed {self.show_id}")

    def _adopt(self, rendered: RenderedMap, now: datetime) -> None:
        snapshot = rendered.snapshot
        self.rendered = rendered
        self.event_id = state_id(snapshot, now)
        self.statuses = {str(row[0]): row_status(row, now) for row in snapshot.seats}
        # All a seat shows but its status.
        self.layout = [(*row[:8], row[11]) for row in snapshot.seats]
        self.cancelled = snapshot.cancelled

    # --- what a subscriber gets --------------------------------------------------------------

    def snapshot_event(self) -> bytes:
        return event("snapshot", self.event_id, self.rendered.body)

    def cancelled_event(self) -> bytes:
        return event(
            "show-cancelled", self.event_id, b'{"show_id":"%s"}' % str(self.show_id).encode()
        )

    def catch_up(self, last_event_id: str | None) -> bytes:
        """What a client that last saw `last_event_id` needs to be current: nothing, one `seats`
        event with every change since, or a snapshot when the ring does not reach back there."""
        if last_event_id is None:
            return self.snapshot_event()
        ids = [entry_id for entry_id, _ in self._ring]
        if last_event_id not in ids:
            return self.snapshot_event()
        since = len(ids) - ids[::-1].index(last_event_id)  # the newest entry with that id
        merged: dict[str, str] = {}
        for _, changes in list(self._ring)[since:]:
            if changes is None:  # something a delta cannot say (a price, the layout)
                return self.snapshot_event()
            merged.update(changes)
        return self._seats_event(merged) if merged else b""

    def _seats_event(self, changes: dict[str, str]) -> bytes:
        data = {
            "version": self.rendered.snapshot.version,
            "seats": [{"id": seat_id, "status": status} for seat_id, status in changes.items()],
        }
        return event("seats", self.event_id, json.dumps(data, separators=(",", ":")).encode())

    # --- keeping it current ------------------------------------------------------------------

    def wake(self) -> None:
        self._wake.set()

    def cancel(self) -> None:
        self._task.cancel()

    async def stop(self) -> None:
        self.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    def leave(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)
        if not self.subscribers:
            self._idle_since = time.monotonic()

    def _wanted(self) -> bool:
        """Someone listens, or listened moments ago and may be reconnecting (Last-Event-ID)."""
        idle = time.monotonic() - self._idle_since
        return not self.cancelled and (bool(self.subscribers) or idle < LINGER_SECONDS)

    async def _run(self) -> None:
        try:
            while self._wanted():
                await self._next_reason_to_read()
                if not self._wanted():
                    break
                if time.monotonic() - self._last_sent >= self._feeds.heartbeat_seconds:
                    self._broadcast(KEEP_ALIVE)
                now = self._feeds.clock.now()
                self._last_read = time.monotonic()
                try:
                    rendered = await self._feeds.read(self.show_id, now)
                except ShowNotFound:
                    self.end_all(b"")  # deleted: nothing more will come
                    break
                except _READ_FAILED as error:
                    log.warning(
                        "seat_feed_read_failed",
                        show_id=str(self.show_id),
                        error=type(error).__name__,
                    )
                    await asyncio.sleep(RETRY_SECONDS)
                    self._wake.set()
                    continue
                self._publish(rendered, now)
        finally:
            self._feeds.ended(self)

    async def _next_reason_to_read(self) -> None:
        """Waits for a change signal, the next hold to run out, or the periodic check; then, if
        it read moments ago, a little longer, so that a storm of writes costs one read for many."""
        timeout = min(CHECK_SECONDS, self._feeds.heartbeat_seconds)
        snapshot = self.rendered.snapshot
        now = self._feeds.clock.now()
        upcoming = [moment for moment in snapshot.expiries if moment > now]
        if upcoming:
            timeout = min(timeout, (upcoming[0] - now).total_seconds() + EXPIRY_MARGIN)
        try:
            async with asyncio.timeout(timeout):
                await self._wake.wait()
        except TimeoutError:
            pass
        pause = self._last_read + self._feeds.coalesce_seconds - time.monotonic()
        if pause > 0:
            await asyncio.sleep(pause)
        self._wake.clear()  # signals from here on are after the read starts: they read again

    def _publish(self, rendered: RenderedMap, now: datetime) -> None:
        before_id, before_statuses, before_layout = self.event_id, self.statuses, self.layout
        self._adopt(rendered, now)
        if self.cancelled:
            self.end_all(self.cancelled_event())
            return
        if self.event_id == before_id and self.layout == before_layout:
            return
        if self.layout != before_layout:
            self._ring.append((self.event_id, None))
            self._broadcast(self.snapshot_event())
            return
        changes = {
            seat_id: status
            for seat_id, status in self.statuses.items()
            if before_statuses.get(seat_id) != status
        }
        self._ring.append((self.event_id, changes))
        if changes:
            self._broadcast(self._seats_event(changes))

    def _broadcast(self, data: bytes) -> None:
        self._last_sent = time.monotonic()
        overflowed = [subscriber for subscriber in self.subscribers if not subscriber.push(data)]
        for subscriber in overflowed:
            self.leave(subscriber)
        if overflowed:
            log.info("seat_stream_dropped", show_id=str(self.show_id), subscribers=len(overflowed))

    def end_all(self, last: bytes) -> None:
        """Ends every subscriber's stream, after `last` (an event, or nothing)."""
        for subscriber in self.subscribers:
            subscriber.close(last)
        self.subscribers.clear()


class SeatFeeds:
    """This process's feeds, by show; an observer of `SeatMaps` (see the module docstring)."""

    def __init__(self, read: ReadMap, clock: Clock, settings: Settings, quota: StreamQuota) -> None:
        self.read = read
        self.clock = clock
        self.heartbeat_seconds = settings.seat_stream_heartbeat_seconds
        self.queue_events = settings.seat_stream_queue_events
        self.coalesce_seconds = settings.seat_stream_coalesce_seconds
        self.lifetime_seconds = settings.seat_stream_max_seconds
        self.shows_cap = settings.seat_stream_shows_per_process
        self.quota = quota
        self._feeds: dict[uuid.UUID, ShowFeed] = {}
        self._starting: dict[uuid.UUID, asyncio.Future[ShowFeed]] = {}

    def changed(self, show_id: uuid.UUID | None) -> None:
        """A show's seats changed (None: any show's may have, e.g. notifications were lost)."""
        feeds = self._feeds.values() if show_id is None else [self._feeds.get(show_id)]
        for feed in feeds:
            if feed is not None:
                feed.wake()

    def ended(self, feed: ShowFeed) -> None:
        if self._feeds.get(feed.show_id) is feed:
            del self._feeds[feed.show_id]
        feed.end_all(b"")

    async def stream(
        self, show_id: uuid.UUID, last_event_id: str | None, client: str
    ) -> EventStream:
        """A subscription to the show's seats for `client` (its address, as limits key it);
        raises ShowNotFound, or TooManyStreams past a cap, before anything is sent."""
        self.quota.admit(client)
        try:
            feed = self._feeds.get(show_id) or await self._start(show_id)
        except BaseException:
            self.quota.release(client)
            raise
        subscriber = Subscriber(self.queue_events)
        # No await from here on: the first events and the subscription are one step, so no
        # change falls between them.
        first = feed.catch_up(last_event_id)
        if feed.cancelled:
            subscriber.close(first + feed.cancelled_event())
        else:
            if first:
                subscriber.push(first)
            feed.subscribers.add(subscriber)
        # Each its own lifetime, so that streams opened together (an on-sale, a deploy) do not
        # all come back together.
        lifetime = self.lifetime_seconds * random.uniform(0.8, 1.0)
        return EventStream(subscriber, feed, lifetime, lambda: self.quota.release(client))

    async def _start(self, show_id: uuid.UUID) -> ShowFeed:
        """The show's new feed, from one read of its map however many subscribers arrive
        meanwhile (a thousand clients opening at once must not each take a connection)."""
        starting = self._starting.get(show_id)
        if starting is None:
            if len(self._feeds) + len(self._starting) >= self.shows_cap and not self._drop_idle():
                raise refused(
                    "shows",
                    "This server follows as many shows live as it can; retry later, or follow "
                    "the seat map without a stream.",
                )
            starting = self._starting[show_id] = asyncio.ensure_future(self._first_read(show_id))
            starting.add_done_callback(lambda _: self._starting.pop(show_id, None))
        return await asyncio.shield(starting)

    async def _first_read(self, show_id: uuid.UUID) -> ShowFeed:
        now = self.clock.now()
        rendered = await self.read(show_id, now)
        feed = self._feeds[show_id] = ShowFeed(self, rendered, now)
        return feed

    def _drop_idle(self) -> bool:
        """Stops one feed that nobody listens to (one lingering for reconnections) to make room;
        False when every feed has subscribers."""
        for show_id, feed in self._feeds.items():
            if not feed.subscribers:
                del self._feeds[show_id]
                feed.cancel()
                return True
        return False

    def close_all(self) -> None:
        """Ends every stream (the server is shutting down: clients reconnect elsewhere)."""
        for feed in list(self._feeds.values()):
            feed.end_all(b"")

    async def stop(self) -> None:
        self.close_all()
        for feed in list(self._feeds.values()):
            await feed.stop()


class EventStream(Response):
    """`text/event-stream` of one subscriber's queue (its feed queues the keep-alive comments
    too: one timer a show, not one a subscriber)."""

    media_type = "text/event-stream"

    def __init__(
        self,
        subscriber: Subscriber,
        feed: ShowFeed,
        lifetime_seconds: float,
        on_close: Callable[[], None],
    ) -> None:
        self.status_code = 200
        self.background = None
        self.init_headers({"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        self._subscriber = subscriber
        self._feed = feed
        self._lifetime = lifetime_seconds
        self._on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        subscriber = self._subscriber
        watcher = asyncio.create_task(self._until_disconnect(receive))
        try:
            # At the end of its lifetime the stream simply ends: the client reconnects with the
            # Last-Event-ID it has and gets what it missed (EventSource does it by itself).
            async with asyncio.timeout(self._lifetime):
                await self._send_events(send)
        except TimeoutError:
            with contextlib.suppress(OSError):
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:
            pass  # the client went away mid-send
        finally:
            watcher.cancel()
            self._feed.leave(subscriber)
            self._on_close()

    async def _send_events(self, send: Send) -> None:
        subscriber = self._subscriber
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        while True:
            if subscriber.events:
                chunk = b"".join(subscriber.events)
                subscriber.events.clear()
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                continue
            if subscriber.closed:
                break
            subscriber.ready.clear()
            await subscriber.ready.wait()
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _until_disconnect(self, receive: Receive) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        self._subscriber.close()
