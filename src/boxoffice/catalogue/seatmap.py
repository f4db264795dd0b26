"""The seat map, rendered once per change and served from each process's memory.

During an on-sale the map is the most requested page by far, and it changes far less often
than it is read. So each process keeps, per show, the seats as last read and the JSON bytes and
ETag rendered from them:

- An entry is served as it is for `TRUSTED_FOR` after its version was last read; past that, one
  small query checks the show's version before it is served again (and renders nothing when it
  did not change). So no map is ever more than that stale, whoever wrote the seats (another
  process, the worker, a process that crashed before it could tell anyone).
- Every writer of seats says so through `announce_seat_changes`, the one road: in its
  transaction, or once its write committed (the sale path's single statements). On
  PostgreSQL that notifies `boxoffice_seats` and `SeatMaps.changed` drops the show's entry in
  every process at once: a hold is the write whose staleness matters (a seat shown AVAILABLE
  that is taken). While the LISTEN connection is up, a request within the window runs no query
  at all, and a 304 renders nothing. Without notifications (SQLite, the connection down) every
  request checks.
- A hold running out changes a status but writes nothing. Each entry knows when the next of its
  holds runs out and re-renders itself from the rows it has (no query) once that instant passes,
  so a run-out hold reads AVAILABLE at once, as the hold path treats it.

`version` is the sum of the show's per-seat write counters: it grows with every committed seat
write, in whatever order writers commit. The ETag is the version and how many of the entry's
holds have run out: it changes whenever any status does.
"""

from __future__ import annotations

import asyncio
import bisect
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from boxoffice.db.notifications import announce

SEAT_CHANGES = "boxoffice_seats"  # the channel of "these shows' seats changed"
TRUSTED_FOR = 0.5  # seconds an entry is served without checking its version
# seat_id, label, row, number, seat_type, x, y, price, booking, until, blocked, accessibility
SeatRow = tuple[Any, ...]


@dataclass(frozen=True)
class Snapshot:
    """A show's seats as one query read them."""

    show_id: uuid.UUID
    currency: str
    version: int
    seats: Sequence[SeatRow]
    # When each hold among them runs out (or ran out), sorted: the instants a status changes.
    expiries: Sequence[datetime]
    cancelled: bool = False  # the show's, as read with the seats


@dataclass(frozen=True)
class RenderedMap:
    snapshot: Snapshot
    expired: int  # how many of the snapshot's holds had run out when this was rendered
    body: bytes
    etag: str
    checked: float = field(default_factory=time.monotonic)  # when its version was last read

    def trusted(self) -> bool:
        return time.monotonic() - self.checked < TRUSTED_FOR

    def current_at(self, now: datetime) -> bool:
        """Still what the snapshot shows at `now`: as many of its holds have run out."""
        return bisect.bisect_right(self.snapshot.expiries, now) == self.expired


def snapshot_of(
    show_id: uuid.UUID,
    currency: str,
    version: int,
    seats: Sequence[SeatRow],
    cancelled: bool = False,
) -> Snapshot:
    """Every hold's expiry is kept, those already past too: a map's ETag counts the holds run
    out, and must count them alike whenever (and in whichever process) the version was read, or
    a map read after a hold ran out would carry the ETag of the map that showed it held."""
    expiries = sorted(row[9] for row in seats if row[8] is not None and row[9] is not None)
    return Snapshot(show_id, currency, version, seats, expiries, cancelled)


def announce_seat_changes(
    show_ids: Iterable[uuid.UUID], via: AsyncSession | AsyncEngine
) -> Awaitable[None]:
    """Tells every process's seat maps (and their live streams) that these shows' seats changed:
    the one road for every writer of seats. `via` the writer's session: when its transaction
    commits, never if it rolls back. `via` the engine: the write has committed by itself (the
    sale path's single statements in autocommit), told now, at no round trip of the writer's
    (`boxoffice.db.notifications.announce`)."""
    return announce(via, SEAT_CHANGES, [str(show_id) for show_id in show_ids])


def seat_status(
    booking_id: object, held_until: datetime | None, now: datetime, blocked: bool = False
) -> str:
    """AVAILABLE, HELD, BOOKED or BLOCKED; a hold that ran out (`held_until <= now`) is
    AVAILABLE, as in bookings.repository.claim_seats, whether or not the sweeper has run. A
    blocked seat is off sale whatever else its row says (no claim takes it)."""
    if blocked:
        return "BLOCKED"
    if booking_id is None:
        return "AVAILABLE"
    if held_until is None:
        return "BOOKED"
    return "HELD" if held_until > now else "AVAILABLE"


def row_status(row: SeatRow, now: datetime) -> str:
    """The status of a seat of a snapshot at `now`."""
    return seat_status(row[8], row[9], now, row[10])


def render(snapshot: Snapshot, now: datetime) -> RenderedMap:
    expired = bisect.bisect_right(snapshot.expiries, now)
    document = {
        "show_id": str(snapshot.show_id),
        "currency": snapshot.currency,
        "version": snapshot.version,
        "seats": [
            {
                "id": str(seat_id),
                "label": label,
                "row": row,
                "number": number,
                "seat_type": seat_type,
                "x": x,
                "y": y,
                "price": price,
                "status": seat_status(booking_id, held_until, now, blocked),
                "accessibility": accessibility,
            }
            for (
                seat_id,
                label,
                row,
                number,
                seat_type,
                x,
                y,
                price,
                booking_id,
                held_until,
                blocked,
                accessibility,
            ) in snapshot.seats
        ],
    }
    body = json.dumps(document, separators=(",", ":")).encode()
    return RenderedMap(snapshot, expired, body, f'"{snapshot.version}.{expired}"')


class SeatMaps:
    """Per-process rendered maps; see the module docstring for when one is trusted.

    `changed` is the one signal that a show's seats changed, whoever wrote them; `observers`
    hear it too (the live streams, `boxoffice.catalogue.seatstream`), with None for "any show
    may have changed" (notifications started or stopped arriving)."""

    def __init__(self) -> None:
        self._maps: dict[uuid.UUID, RenderedMap] = {}
        # Bumped by every notification: a map read before one arrived is never kept after it.
        self._generations: dict[uuid.UUID, int] = {}
        # Shows whose version a request is checking now: the others keep serving what memory
        # has meanwhile, instead of all querying at once when an entry's half second is up.
        self._checking: set[uuid.UUID] = set()
        # The read of a show with nothing in memory, shared by every request that needs the
        # show's map meanwhile (during an on-sale every hold empties the entry, and a query
        # and a render a request were most of a sell-out's API CPU). Only requests that came
        # after the same change share it: a change announced since needs a read of its own.
        self._reads: dict[uuid.UUID, tuple[int, asyncio.Task[RenderedMap]]] = {}
        self.notified = False  # True while notifications are known to arrive
        self.observers: list[Callable[[uuid.UUID | None], None]] = []

    def changed(self, show_id: uuid.UUID) -> None:
        self._forget(show_id)
        for observe in self.observers:
            observe(show_id)

    def forget_all(self) -> None:
        """Notifications start or stop arriving: nothing cached can be trusted across that."""
        for show_id in list(self._generations):
            self._forget(show_id)
        self._maps.clear()
        for observe in self.observers:
            observe(None)

    def _forget(self, show_id: uuid.UUID) -> None:
        self._generations[show_id] = self._generations.get(show_id, 0) + 1
        self._maps.pop(show_id, None)

    def current(self, show_id: uuid.UUID, now: datetime) -> RenderedMap | None:
        """The show's map if memory is known to hold it current (notifications arriving, its
        version read moments ago), with no I/O at all; else None."""
        cached = self._maps.get(show_id) if self.notified else None
        if cached is None or not cached.trusted():
            return None
        if not cached.current_at(now):
            rendered = replace(render(cached.snapshot, now), checked=cached.checked)
            cached = self._keep(show_id, rendered)
        return cached

    async def get(
        self,
        show_id: uuid.UUID,
        now: datetime,
        read: Callable[[], Awaitable[Snapshot]],
        version: Callable[[], Awaitable[int | None]],
    ) -> RenderedMap:
        """The show's map at `now`: from memory when that is known to be current, else read."""
        trusted = self.current(show_id, now)
        if trusted is not None:
            return trusted
        generation = self._generations.get(show_id, 0)
        cached = self._maps.get(show_id)
        if cached is not None and show_id in self._checking:
            return cached if cached.current_at(now) else render(cached.snapshot, now)
        self._checking.add(show_id)
        try:
            if cached is not None and await version() == cached.snapshot.version:
                # Unchanged: served again, re-rendered only if a hold ran out meanwhile.
                rendered = cached if cached.current_at(now) else render(cached.snapshot, now)
                return self._keep(show_id, replace(rendered, checked=time.monotonic()), generation)
        finally:
            self._checking.discard(show_id)
        rendered = await self._shared_read(show_id, now, read, generation)
        return rendered if rendered.current_at(now) else render(rendered.snapshot, now)

    async def _shared_read(
        self,
        show_id: uuid.UUID,
        now: datetime,
        read: Callable[[], Awaitable[Snapshot]],
        generation: int,
    ) -> RenderedMap:
        reading = self._reads.get(show_id)
        if reading is None or reading[0] != generation:

            async def read_and_keep() -> RenderedMap:
                return self._keep(show_id, render(await read(), now), generation)

            reading = (generation, asyncio.create_task(read_and_keep()))
            self._reads[show_id] = reading
            reading[1].add_done_callback(lambda task: self._read_done(show_id, task))
        # Shielded: a client that goes away cancels its own wait, not the others' read.
        return await asyncio.shield(reading[1])

    def _read_done(self, show_id: uuid.UUID, task: asyncio.Task[RenderedMap]) -> None:
        reading = self._reads.get(show_id)
        if reading is not None and reading[1] is task:
            del self._reads[show_id]
        if not task.cancelled():
            task.exception()  # retrieved: every waiter got it already, or none is left

    def _keep(
        self, show_id: uuid.UUID, rendered: RenderedMap, generation: int | None = None
    ) -> RenderedMap:
        """Keeps `rendered` unless a change was announced since it was read (`generation`)."""
        if generation is None or self._generations.get(show_id, 0) == generation:
            self._maps[show_id] = rendered
        return rendered
