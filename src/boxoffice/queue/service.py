"""The on-sale queue's rules: joining, the draw, the pace of admission, a visitor's place.

Times are computed, never pushed: a visitor's admission time is `opens_at + offset_us` (set by
the draw or the join), so every process, and a process after a restart, says the same of it with
no timer and no worker.
"""

from __future__ import annotations

import hashlib
import math
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.catalogue import onsale_repository
from boxoffice.catalogue import repository as catalogue_repository
from boxoffice.catalogue.errors import ShowNotFound
from boxoffice.catalogue.models import OnSale, Show, ShowStatus
from boxoffice.config import Settings
from boxoffice.queue import repository
from boxoffice.queue.errors import NotDrawn, NotQueued, OnSaleNotFound, QueueClosed
from boxoffice.queue.models import QueueDraw, QueueVisitor

ALGORITHM = (
    "positions 1, 2, ... in ascending order of SHA-256(seed || visitor_id), where seed is the "
    "32 bytes of the hex `seed` and visitor_id the 16 bytes of the visitor's UUID (RFC 4122 "
    "byte order)"
)
US = 1_000_000


class State:
    IN_DRAW = "IN_DRAW"  # before the opening: the place is drawn then
    WAITING = "WAITING"
    ADMITTED = "ADMITTED"
    EXPIRED = "EXPIRED"  # admitted, and the admission ran out
    OPEN = "OPEN"  # the on-sale was lifted: no admission needed


def draw_order(seed: bytes, visitor_ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    """The draw: the visitors in order of SHA-256(seed || id) (`ALGORITHM`)."""
    return sorted(visitor_ids, key=lambda visitor: hashlib.sha256(seed + visitor.bytes).digest())


def step_us(admit_per_second: float) -> int:
    """Microseconds between two admissions at this pace."""
    return max(1, round(US / admit_per_second))


def micros(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * US + delta.microseconds


@dataclass(frozen=True)
class Place:
    """What a visitor is told of its place (`schemas.PlaceOut`)."""

    onsale_id: uuid.UUID
    visitor_id: uuid.UUID
    state: str
    opens_at: datetime | None
    position: int | None = None
    ahead: int | None = None
    estimate_seconds: int | None = None
    admit_at: datetime | None = None
    admitted_at: datetime | None = None
    admission_expires_at: datetime | None = None
    step_us: int | None = None  # the queue's pace, for `moved`


def moved(place: Place, now: datetime) -> Place | None:
    """The place at `now`, computed from what it was (no database): still in the draw, or
    still waiting, with its estimate (and ahead) moved on; None when only the database can
    say (the draw or the admission is due)."""
    if place.state == State.IN_DRAW and place.opens_at is not None and now < place.opens_at:
        return replace(place, estimate_seconds=math.ceil(micros(place.opens_at - now) / US))
    if place.state != State.WAITING or place.admit_at is None or now >= place.admit_at:
        return None
    assert place.position is not None and place.step_us is not None
    wait_us = micros(place.admit_at - now)
    ahead = min(place.position - 1, max(0, math.ceil(wait_us / place.step_us) - 1))
    return replace(place, ahead=ahead, estimate_seconds=math.ceil(wait_us / US))


def place_in_queue(visitor: QueueVisitor, draw: QueueDraw, now: datetime) -> Place:
    """A visitor's place once it has one. Ahead: the places before it not yet admitted, counted
    from the pace (`ceil((admit_at - now) / step) - 1`): exact while the queue is backed up,
    which is when it matters; fewer when the queue ran dry and a late arrival came in at once."""
    assert visitor.position is not None and visitor.offset_us is not None
    admit_at = draw.opens_at + timedelta(microseconds=visitor.offset_us)
    place = Place(
        visitor.onsale_id,
        visitor.id,
        State.WAITING,
        draw.opens_at,
        position=visitor.position,
        admit_at=admit_at,
        step_us=draw.step_us,
    )
    return moved(place, now) or replace(place, state=State.ADMITTED, ahead=0, estimate_seconds=0)


@dataclass(frozen=True)
class Door:
    """The way a visitor came to a queue: by a show (which leads to the on-sale it sells
    through) or by the on-sale itself; `kind` as the routes' paths name it."""

    kind: str  # "shows" | "onsales"
    id: uuid.UUID

    @property
    def show_id(self) -> uuid.UUID | None:
        return self.id if self.kind == SHOWS else None


SHOWS, ONSALES = "shows", "onsales"


async def onsale_to_join(session: AsyncSession, door: Door, now: datetime) -> OnSale:
    """The on-sale a join by `door` takes a place in: in force, and the show (by a show), or
    one show of it (by the on-sale), still on sale; 404, 409 otherwise."""
    if door.kind == SHOWS:
        show = await catalogue_repository.get_show(session, door.id)
        if show is None:
            raise ShowNotFound()
        if show.status == ShowStatus.CANCELLED or show.starts_at <= now:
            raise QueueClosed("This show was cancelled or has started.")
        onsale = await onsale_repository.of_show(session, door.id)
    else:
        onsale = await onsale_repository.get(session, door.id)
        if onsale is None:
            raise OnSaleNotFound()
    if onsale is None or onsale.lifted_at is not None:
        raise NotQueued("This show is on sale to all: hold seats without queueing.")
    if door.kind == ONSALES and not any(
        on_sale(show, now) for show in await onsale_repository.shows_of(session, onsale.id)
    ):
        raise QueueClosed("Every show of this on-sale was cancelled or has started.")
    return onsale


def on_sale(show: Show, now: datetime) -> bool:
    return show.status == ShowStatus.SCHEDULED and show.starts_at > now


async def onsale_behind(session: AsyncSession, door: Door) -> uuid.UUID | None:
    """The on-sale `door` leads to (lifted too), for reads of a place or of the draw; None:
    none (no such show or on-sale, or a show sold through none)."""
    if door.kind == ONSALES:
        return door.id
    onsale = await onsale_repository.of_show(session, door.id)
    return None if onsale is None else onsale.id


async def draw_once(
    session: AsyncSession,
    onsale_id: uuid.UUID,
    opens_at: datetime,
    now: datetime,
    settings: Settings,
) -> QueueDraw:
    """The on-sale's draw, made now if nobody has made it (the first request after the
    opening, in any process: the insert of the draw's row decides, and the others wait for it).
    Everyone who joined before it gets a place in the order of `draw_order`, admitted `step`
    apart from the opening on."""
    draw = await repository.get_draw(session, onsale_id)
    if draw is not None:
        return draw
    seed = os.urandom(32)
    step = step_us(settings.queue_admit_per_second)
    won = await repository.insert_draw_if_absent(
        session,
        {
            "onsale_id": onsale_id,
            "opens_at": opens_at,
            "drawn_at": now,
            "seed": seed.hex(),
            "drawn": 0,
            "step_us": step,
            "last_position": 0,
            "last_offset_us": -step,
        },
    )
    if won:
        order = draw_order(seed, await repository.undrawn_visitors(session, onsale_id))
        places = [(visitor, index + 1, index * step) for index, visitor in enumerate(order)]
        await repository.set_places(session, places)
        await repository.record_draw(session, onsale_id, len(order), (len(order) - 1) * step)
    draw = await repository.get_draw(session, onsale_id)
    assert draw is not None
    return draw


def in_draw(
    onsale_id: uuid.UUID, visitor_id: uuid.UUID, opens_at: datetime, now: datetime
) -> Place:
    """A place before the opening: drawn then."""
    wait = math.ceil(micros(opens_at - now) / US)
    return Place(onsale_id, visitor_id, State.IN_DRAW, opens_at, estimate_seconds=wait)


async def draw_of(session: AsyncSession, door: Door) -> QueueDraw:
    onsale_id = await onsale_behind(session, door)
    draw = None if onsale_id is None else await repository.get_draw(session, onsale_id)
    if draw is None:
        raise NotDrawn()
    return draw


async def drawn_places(
    session: AsyncSession, door: Door, limit: int, offset: int
) -> list[tuple[int, uuid.UUID]]:
    onsale_id = await onsale_behind(session, door)
    if onsale_id is None:
        return []
    return await repository.drawn_places(session, onsale_id, limit, offset)


async def join(session: AsyncSession, door: Door, now: datetime, settings: Settings) -> Place:
    """A new place in the queue of the on-sale `door` leads to: in the draw before the
    opening, the next place after. One place a visitor, whichever show it came by."""
    onsale = await onsale_to_join(session, door, now)
    visitor_id = uuid.uuid4()
    if now < onsale.opens_at:
        await repository.add_visitor(session, visitor_id, onsale.id, now)
        return in_draw(onsale.id, visitor_id, onsale.opens_at, now)
    draw = await draw_once(session, onsale.id, onsale.opens_at, now, settings)
    place = await repository.next_place(session, onsale.id, micros(now - draw.opens_at))
    visitor = await repository.add_visitor(session, visitor_id, onsale.id, now, place)
    return await _with_admission(session, visitor, draw, now, settings)


async def place_of(
    session: AsyncSession, door: Door, visitor_id: uuid.UUID, now: datetime, settings: Settings
) -> Place | None:
    """The visitor's place now (the draw made first when it is due; a visitor the draw missed,
    having joined as it was made, takes the next place); when it has come, the admission is
    recorded (once) and runs `QUEUE_ADMISSION_TTL_SECONDS`. None: no such visitor in the queue
    `door` leads to."""
    found = await repository.visitor_with_draw(session, visitor_id)
    if found is None or found[0].onsale_id != await onsale_behind(session, door):
        return None
    visitor, draw = found
    onsale_id = visitor.onsale_id
    if visitor.position is None:
        onsale = await onsale_repository.get(session, onsale_id)
        assert onsale is not None
        if onsale.lifted_at is not None and draw is None:
            return Place(onsale_id, visitor_id, State.OPEN, None)
        if draw is None and now < onsale.opens_at:
            return in_draw(onsale_id, visitor_id, onsale.opens_at, now)
        if draw is None:
            draw = await draw_once(session, onsale_id, onsale.opens_at, now, settings)
        placed = await repository.get_visitor(session, visitor_id)  # by the draw?
        assert placed is not None
        visitor = placed
        if visitor.position is None:
            late = await repository.next_place(session, onsale_id, micros(now - draw.opens_at))
            visitor.position, visitor.offset_us = late
            await session.flush()
    assert draw is not None
    return await _with_admission(session, visitor, draw, now, settings)


async def _with_admission(
    session: AsyncSession, visitor: QueueVisitor, draw: QueueDraw, now: datetime, settings: Settings
) -> Place:
    """The visitor's place; once its time has come, with its admission, recorded the first
    time (`QUEUE_ADMISSION_TTL_SECONDS` from then)."""
    place = place_in_queue(visitor, draw, now)
    if place.state != State.ADMITTED:
        return place
    admitted_at = visitor.admitted_at or await repository.mark_admitted(session, visitor.id, now)
    return with_admission(place, admitted_at, now, settings)


def with_admission(place: Place, admitted_at: datetime, now: datetime, settings: Settings) -> Place:
    """An admitted place with its admission: from `admitted_at`, for the admission's life."""
    expires_at = admitted_at + timedelta(seconds=settings.queue_admission_ttl_seconds)
    state = State.ADMITTED if now < expires_at else State.EXPIRED
    return replace(place, state=state, admitted_at=admitted_at, admission_expires_at=expires_at)
