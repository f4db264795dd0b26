"""All SQL of the bookings domain.

The inventory rows are `show_seats` (one per seat of a show). Holding, confirming and releasing
seats are single conditional UPDATEs of those rows, so the database itself decides who gets a
seat, with any number of API processes:

- A seat is free when it has no booking, or its hold ran out (`held_until <= now`), or it is
  already this booking's own (a late payment re-claiming its expired hold); and it is not blocked
  from sale (`catalogue.blocks`): no claim, a late payment's included, takes a blocked seat.
- On PostgreSQL the rows are locked in (show, seat) order by every statement that changes them
  (`_in_seat_order`), so holds, cancels and sweeps touching the same seats queue behind each
  other instead of deadlocking; under READ COMMITTED a waiting row lock re-checks "free" on the
  row it finally gets.
- On SQLite every transaction is BEGIN IMMEDIATE (db/engine.py), so writers are serialised.

A hold's own statements are its store's (`holds_postgres`, `holds_sqlite`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Table,
    Update,
    and_,
    bindparam,
    exists,
    insert,
    literal,
    not_,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from boxoffice.bookings.codes import id_prefix_of
from boxoffice.bookings.models import (
    Booking,
    BookingChannel,
    BookingSeat,
    BookingStatus,
    BookingTransition,
)
from boxoffice.catalogue.models import Seat, Show, ShowSeat, ShowStatus
from boxoffice.catalogue.seat_labels import seat_order
from boxoffice.catalogue.seatmap import announce_seat_changes
from boxoffice.db import read_once
from boxoffice.db.base import Base, random_uuid

# Kept for the transaction (`db.read_once`): the shows and the bookings' seats read.
_SHOWS, _SEATS = "bookings.shows", "bookings.seats"


async def claim_seats(
    session: AsyncSession,
    show_id: uuid.UUID,
    seat_ids: Sequence[uuid.UUID],
    booking_id: uuid.UUID,
    held_until: datetime | None,
    now: datetime,
    *,
    only_if: Sequence[ColumnElement[bool]] = (),
) -> Sequence[Row[uuid.UUID, str, str, int]]:
    """Gives the free ones among `seat_ids` to the booking; returns the rows it got.

    `held_until=None` confirms the seats (BOOKED); a time makes it a hold until then. With
    `only_if` it claims nothing unless those hold too (checked in the same statement: a hold's
    caps, which under the customer's row lock no concurrent hold can slip past). The caller
    must roll back unless every requested seat came back.
    """
    condition = and_(
        ShowSeat.show_id == show_id,
        ShowSeat.seat_id.in_(seat_ids),
        or_(
            ShowSeat.booking_id.is_(None),
            ShowSeat.booking_id == booking_id,
            ShowSeat.held_until <= now,
        ),
        not_(ShowSeat.blocked),
    )
    result = await session.execute(
        _in_seat_order(
            and_(condition, *only_if),
            booking_id=booking_id,
            held_until=held_until,
        ).returning(ShowSeat.seat_id, ShowSeat.label, ShowSeat.seat_type, ShowSeat.price)
    )
    claimed = result.all()
    if claimed:
        await announce_seat_changes([show_id], session)
    return claimed


async def release_seats(
    session: AsyncSession,
    booking_ids: Sequence[uuid.UUID],
    seat_ids: Sequence[uuid.UUID] | None = None,
) -> None:
    """Frees exactly the seats these bookings own now (only `seat_ids` of them, when given),
    never a seat re-held by someone else.

    The rows are found through booking_seats (show_seats has no index on booking_id: a seat
    write must change no indexed column to stay a HOT update)."""
    theirs = (
        select(Booking.show_id, BookingSeat.seat_id)
        .join(Booking, Booking.id == BookingSeat.booking_id)
        .where(BookingSeat.booking_id.in_(booking_ids))
    )
    if seat_ids is not None:
        theirs = theirs.where(BookingSeat.seat_id.in_(seat_ids))
    released = await session.scalars(
        _in_seat_order(
            and_(
                tuple_(ShowSeat.show_id, ShowSeat.seat_id).in_(theirs),
                ShowSeat.booking_id.in_(booking_ids),
            ),
            booking_id=None,
            held_until=None,
        ).returning(ShowSeat.show_id)
    )
    await announce_seat_changes(set(released), session)


async def record_given_back(
    session: AsyncSession,
    booking_id: uuid.UUID,
    refunded: Mapping[uuid.UUID, int],
    cancelled_at: datetime | None,
) -> None:
    """Writes what each of these seats of the booking gave back, and when it was given back
    while the booking stayed BOOKED (None: with the whole booking)."""
    read_once.kept(session, _SEATS).pop(booking_id, None)
    seats: Table = BookingSeat.__table__  # type: ignore[assignment]
    await session.execute(
        update(seats)
        .where(
            seats.c.booking_id == booking_id,
            seats.c.seat_id == bindparam("given_seat_id"),
        )
        .values(refunded=bindparam("given_back"), cancelled_at=cancelled_at),
        [{"given_seat_id": seat_id, "given_back": amount} for seat_id, amount in refunded.items()],
    )


def _in_seat_order(condition: ColumnElement[bool], **values: object) -> Update:
    """UPDATE of the show_seats rows matching `condition`, locked in (show, seat) order.

    Every statement that changes seats locks them in this one order, so a hold, a cancel and a
    sweep touching the same seats queue behind each other and never deadlock. The MATERIALIZED
    CTE makes PostgreSQL take the locks in the CTE's ORDER BY; SQLite serialises writers anyway.
    """
    target = (
        select(ShowSeat.show_id, ShowSeat.seat_id)
        .where(condition)
        .order_by(ShowSeat.show_id, ShowSeat.seat_id)
        .with_for_update()
        .cte("target")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    return (
        update(ShowSeat)
        .where(ShowSeat.show_id == target.c.show_id, ShowSeat.seat_id == target.c.seat_id)
        .values(**values, version=ShowSeat.version + 1)
        .execution_options(synchronize_session=False)
    )


def customer_filter(kind: str, customer_id: uuid.UUID) -> ColumnElement[bool]:
    """A customer's bookings: a user's, or a guest's not yet moved to an account."""
    if kind == "user":
        return Booking.user_id == customer_id
    return and_(Booking.guest_id == customer_id, Booking.user_id.is_(None))


async def get_show(session: AsyncSession, show_id: uuid.UUID) -> Show | None:
    shows = read_once.kept(session, _SHOWS)
    if show_id not in shows:
        shows[show_id] = await session.get(Show, show_id)
    show: Show | None = shows[show_id]
    return show


def column_values(entity: Base) -> dict[str, Any]:
    """An entity's column values, for a plain Core insert (no unit-of-work flush)."""
    return {column.key: getattr(entity, column.key) for column in entity.__table__.columns}


async def get_booking(
    session: AsyncSession, booking_id: uuid.UUID, *, for_update: bool = False
) -> Booking | None:
    statement = select(Booking).where(Booking.id == booking_id)
    if for_update:
        statement = statement.with_for_update()
        # Its seats as read before the lock may have changed meanwhile: read them again.
        read_once.kept(session, _SEATS).pop(booking_id, None)
    result = await session.execute(statement.execution_options(populate_existing=True))
    return result.scalar_one_or_none()


async def booking_by_code(session: AsyncSession, id_prefix: str) -> Booking | None:
    """The booking whose id begins with these 40 bits (`bookings.codes`): one at most."""
    statement = select(Booking).where(id_prefix_of(Booking.id) == id_prefix)
    return (await session.execute(statement)).scalar_one_or_none()


async def set_status(
    session: AsyncSession,
    booking: Booking,
    target: BookingStatus,
    now: datetime,
    *,
    expected: BookingStatus,
    expires_at: datetime | None = None,
) -> bool:
    """Compare-and-set of the status: False when another request changed it first."""
    result = await session.execute(
        update(Booking)
        .where(Booking.id == booking.id, Booking.status == expected)
        .values(status=target, updated_at=now, expires_at=expires_at)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    _written(booking, status=target, updated_at=now, expires_at=expires_at)
    return True


def _written(entity: Base, **values: object) -> None:
    """Sets what a statement just wrote on the loaded entity without making it dirty: as an
    attribute change, the flush would write it once more (an UPDATE a transition)."""
    for key, value in values.items():
        set_committed_value(entity, key, value)


async def mark_sold_at_counter(session: AsyncSession, booking: Booking) -> None:
    """The booking just claimed (in this transaction) is a counter sale."""
    await session.execute(
        update(Booking)
        .where(Booking.id == booking.id)
        .values(channel=BookingChannel.COUNTER)
        .execution_options(synchronize_session=False)
    )
    _written(booking, channel=BookingChannel.COUNTER)


async def seats_of(
    session: AsyncSession, booking_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[BookingSeat]]:
    """Each booking's seats, in seat order (H8 before H10), as they are now: seats are written
    by plain UPDATEs (`record_given_back`, which forgets what this transaction read of them),
    so a seat still loaded in the session is read afresh, never answered as it was; read once a
    transaction otherwise (and again after `get_booking(for_update=True)`; a lock taken another
    way, as `payments.repository.locked_booking_of_order`, comes before any read of them)."""
    kept = read_once.kept(session, _SEATS)
    missing = [booking_id for booking_id in booking_ids if booking_id not in kept]
    if missing:
        read: dict[uuid.UUID, list[BookingSeat]] = {booking_id: [] for booking_id in missing}
        result = await session.scalars(
            select(BookingSeat)
            .where(BookingSeat.booking_id.in_(missing))
            .execution_options(populate_existing=True)
        )
        for seat in sorted(result, key=lambda seat: seat_order(seat.label)):
            read[seat.booking_id].append(seat)
        kept.update(read)
    return {booking_id: list(kept[booking_id]) for booking_id in booking_ids}


async def history_of(
    session: AsyncSession, booking_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[BookingTransition]]:
    history: dict[uuid.UUID, list[BookingTransition]] = {b: [] for b in booking_ids}
    result = await session.scalars(
        select(BookingTransition)
        .where(BookingTransition.booking_id.in_(booking_ids))
        # A booking's first row (from nothing) first, even beside a change at the same instant
        # (a counter sale is held and sold at one `now`).
        .order_by(
            BookingTransition.at, BookingTransition.from_status.is_not(None), BookingTransition.id
        )
    )
    for transition in result:
        history[transition.booking_id].append(transition)
    return history


async def screen_has_bookings(session: AsyncSession, screen_id: uuid.UUID) -> bool:
    """Whether any booking, in any status, names a seat of this screen (the catalogue's
    `ports.SeatUse`: a screen's layout is fixed from then on)."""
    query = select(exists().where(BookingSeat.seat_id == Seat.id, Seat.screen_id == screen_id))
    return bool(await session.scalar(query))


async def list_for_customer(
    session: AsyncSession, kind: str, customer_id: uuid.UUID, limit: int, offset: int
) -> list[Booking]:
    result = await session.scalars(
        select(Booking)
        .where(customer_filter(kind, customer_id))
        .order_by(Booking.created_at.desc(), Booking.id)
        .limit(limit)
        .offset(offset)
    )
    return list(result)


async def list_for_show(
    session: AsyncSession, show_id: uuid.UUID, limit: int, offset: int
) -> list[Booking]:
    result = await session.scalars(
        select(Booking)
        .where(Booking.show_id == show_id)
        .order_by(Booking.created_at, Booking.id)
        .limit(limit)
        .offset(offset)
    )
    return list(result)


async def expire_batch(session: AsyncSession, now: datetime, limit: int) -> list[uuid.UUID]:
    """Marks up to `limit` run-out holds EXPIRED; returns their ids.

    The batch is picked with FOR UPDATE SKIP LOCKED, so several sweepers share the work instead of
    queueing on each other; the status is re-checked by the UPDATE itself.
    """
    batch = (
        select(Booking.id)
        .where(Booking.status == BookingStatus.PENDING, Booking.expires_at <= now)
        .order_by(Booking.expires_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("batch")
    )
    result = await session.execute(
        update(Booking)
        .where(Booking.id == batch.c.id, Booking.status == BookingStatus.PENDING)
        .values(status=BookingStatus.EXPIRED, updated_at=now)
        .returning(Booking.id)
        .execution_options(synchronize_session=False)
    )
    return list(result.scalars())


async def record_expiries(session: AsyncSession, booking_ids: Sequence[uuid.UUID]) -> None:
    """The PENDING -> EXPIRED history rows of a swept batch, built by the database itself.

    A server-side INSERT ... SELECT: a batch of hundreds costs one small statement, not a
    VALUES list with seven parameters a row for Python to build and the driver to send.
    """
    await session.execute(
        insert(BookingTransition).from_select(
            ["id", "booking_id", "from_status", "to_status", "at", "reason", "actor"],
            select(
                random_uuid(),
                Booking.id,
                literal(BookingStatus.PENDING.value),
                literal(BookingStatus.EXPIRED.value),
                Booking.expires_at,
                literal("hold expired"),
                literal("worker"),
            ).where(Booking.id.in_(booking_ids)),
        )
    )


async def insert_transitions(
    session: AsyncSession, transitions: Sequence[BookingTransition]
) -> None:
    """Many history rows in one statement, without the unit of work."""
    await session.execute(insert(BookingTransition).values([column_values(t) for t in transitions]))


async def link_guest_bookings(
    session: AsyncSession, guest_id: uuid.UUID, user_id: uuid.UUID
) -> int:
    """Moves every booking of a guest, pending ones included, to the user's account."""
    result = await session.execute(
        update(Booking).where(Booking.guest_id == guest_id).values(user_id=user_id)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def live_bookings_of_show(
    session: AsyncSession, show_id: uuid.UUID, now: datetime, limit: int
) -> list[Booking]:
    """A batch of BOOKED and unexpired PENDING bookings of a show, locked for the show's
    cancellation; rows another process has locked are skipped (it is cancelling them, or a
    customer is changing one, and the next pass sees it)."""
    result = await session.scalars(
        select(Booking)
        .where(Booking.show_id == show_id, _live(now))
        .order_by(Booking.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(result)


def _live(now: datetime) -> ColumnElement[bool]:
    return or_(
        Booking.status == BookingStatus.BOOKED,
        and_(Booking.status == BookingStatus.PENDING, Booking.expires_at > now),
    )


async def cancelled_shows_with_live_bookings(
    session: AsyncSession, now: datetime, limit: int
) -> list[uuid.UUID]:
    """Cancelled shows whose cancellation did not reach every booking (its process died)."""
    result = await session.scalars(
        select(Booking.show_id)
        .join(Show, Show.id == Booking.show_id)
        .where(Show.status == ShowStatus.CANCELLED, _live(now))
        .distinct()
        .limit(limit)
    )
    return list(result)
