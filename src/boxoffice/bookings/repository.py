"""All SQL of the bookings domain.

The inventory rows are `show_seats` (one per seat of a show). Holding, confirming and releasing
seats are single conditional UPDATEs of those rows, so the database itself decides who gets a
seat, with any number of API processes:

- A seat is free when it has no booking, or its hold ran out (`held_until <= now`), or it is
  already this booking's own (a late payment re-claiming its expired hold).
- On PostgreSQL the rows are locked in (show, seat) order by every statement that changes them
  (`_in_seat_order`), so holds, cancels and sweeps touching the same seats queue behind each
  other instead of deadlocking; under READ COMMITTED a waiting row lock re-checks "free" on the
  row it finally gets.
- On SQLite every transaction is BEGIN IMMEDIATE (db/engine.py), so writers are serialised.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import (
    ColumnElement,
    Row,
    ScalarSelect,
    Update,
    and_,
    func,
    insert,
    literal,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from boxoffice.accounts.models import Guest, User
from boxoffice.bookings.models import Booking, BookingSeat, BookingStatus, BookingTransition
from boxoffice.catalogue.models import Screen, Seat, Show, ShowSeat, ShowStatus
from boxoffice.catalogue.repository import announce_seat_changes
from boxoffice.db.base import Base
from boxoffice.db.engine import is_postgres


@dataclass(frozen=True)
class HoldCaps:
    """What a new hold must stay within; 0 turns a seat cap off, no `client_ip` the address's."""

    kind: str  # "user" | "guest"
    customer_id: uuid.UUID
    pending_bookings: int  # live holds of the customer in the show
    held_seats: int  # seats the customer holds over all shows
    client_ip: str | None
    held_seats_per_address: int  # seats held from that address in the show

    def conditions(
        self, show_id: uuid.UUID, requested: int, now: datetime
    ) -> list[ColumnElement[bool]]:
        conditions = [
            _live_holds_query(show_id, self.kind, self.customer_id, now) < self.pending_bookings
        ]
        if self.held_seats:
            held = held_seats_query(now, customer_filter(self.kind, self.customer_id))
            conditions.append(held + requested <= self.held_seats)
        if self.held_seats_per_address and self.client_ip:
            held = held_seats_query(now, *self.address_filter(show_id))
            conditions.append(held + requested <= self.held_seats_per_address)
        return conditions

    def address_filter(self, show_id: uuid.UUID) -> list[ColumnElement[bool]]:
        return [Booking.show_id == show_id, Booking.client_ip == self.client_ip]


async def claim_seats(
    session: AsyncSession,
    show_id: uuid.UUID,
    seat_ids: Sequence[uuid.UUID],
    booking_id: uuid.UUID,
    held_until: datetime | None,
    now: datetime,
    *,
    caps: HoldCaps | None = None,
) -> Sequence[Row[uuid.UUID, str, str, int]]:
    """Gives the free ones among `seat_ids` to the booking; returns the rows it got.

    `held_until=None` confirms the seats (BOOKED); a time makes it a hold until then. With
    `caps` it claims nothing once the hold would go past one of them (checked in the same
    statement, so under the customer's row lock no concurrent hold can slip past). The caller
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
    )
    if caps is not None:
        condition = and_(condition, *caps.conditions(show_id, len(seat_ids), now))
    result = await session.execute(
        _in_seat_order(
            condition,
            booking_id=booking_id,
            held_until=held_until,
        ).returning(ShowSeat.seat_id, ShowSeat.label, ShowSeat.seat_type, ShowSeat.price)
    )
    claimed = result.all()
    if claimed:
        await announce_seat_changes(session, [show_id])
    return claimed


async def release_seats(session: AsyncSession, booking_ids: Sequence[uuid.UUID]) -> None:
    """Frees exactly the seats these bookings own now, never a seat re-held by someone else.

    The rows are found through booking_seats (show_seats has no index on booking_id: a seat
    write must change no indexed column to stay a HOT update)."""
    theirs = (
        select(Booking.show_id, BookingSeat.seat_id)
        .join(Booking, Booking.id == BookingSeat.booking_id)
        .where(BookingSeat.booking_id.in_(booking_ids))
    )
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
    await announce_seat_changes(session, set(released))


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


async def existing_seat_ids(
    session: AsyncSession, show_id: uuid.UUID, seat_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    result = await session.scalars(
        select(ShowSeat.seat_id).where(ShowSeat.show_id == show_id, ShowSeat.seat_id.in_(seat_ids))
    )
    return set(result)


def customer_filter(kind: str, customer_id: uuid.UUID) -> ColumnElement[bool]:
    if kind == "user":
        return Booking.user_id == customer_id
    return and_(Booking.guest_id == customer_id, Booking.user_id.is_(None))


async def lock_customer_and_get_show(
    session: AsyncSession,
    kind: str,
    customer_id: uuid.UUID,
    show_id: uuid.UUID,
    client_ip: str | None = None,
) -> Show | None:
    """Reads the show and locks the customer's row, in one round trip.

    With `client_ip` (PostgreSQL), also takes a transaction lock on (show, address): holds from
    one address on one show queue, so the per-address cap that the claim checks cannot be raced
    past by many guests behind that address. SQLite serialises writers anyway.
    """
    customer = User if kind == "user" else Guest
    statement = select(Show)
    if client_ip and is_postgres(session):
        key = func.hashtextextended(func.concat(str(show_id), "|", client_ip), 0)
        statement = statement.add_columns(func.pg_advisory_xact_lock(key))
    result = await session.execute(
        statement.join(customer, and_(customer.id == customer_id, _can_hold(kind)))
        .where(Show.id == show_id)
        .with_for_update(of=customer)
    )
    return result.scalars().one_or_none()


def _can_hold(kind: str) -> ColumnElement[bool]:
    """A user, or a guest not linked to an account (linking spends the guest's token)."""
    return literal(True) if kind == "user" else Guest.linked_user_id.is_(None)


async def customer_can_hold(session: AsyncSession, kind: str, customer_id: uuid.UUID) -> bool:
    customer = User if kind == "user" else Guest
    found = await session.scalar(
        select(customer.id).where(customer.id == customer_id, _can_hold(kind))
    )
    return found is not None


def _live_holds_query(
    show_id: uuid.UUID, kind: str, customer_id: uuid.UUID, now: datetime
) -> ScalarSelect[int]:
    return (
        select(func.count())
        .select_from(Booking)
        .where(
            Booking.show_id == show_id,
            customer_filter(kind, customer_id),
            Booking.status == BookingStatus.PENDING,
            Booking.expires_at > now,
        )
        .scalar_subquery()
    )


def held_seats_query(now: datetime, *conditions: ColumnElement[bool]) -> ScalarSelect[int]:
    """Seats of live (PENDING, not run out) bookings matching `conditions`."""
    return (
        select(func.count())
        .select_from(BookingSeat)
        .join(Booking, Booking.id == BookingSeat.booking_id)
        .where(Booking.status == BookingStatus.PENDING, Booking.expires_at > now, *conditions)
        .scalar_subquery()
    )


async def held_seats(
    session: AsyncSession, now: datetime, conditions: Sequence[ColumnElement[bool]]
) -> tuple[int, datetime | None]:
    """How many seats live holds matching `conditions` have, and when the first runs out."""
    row = (
        await session.execute(
            select(func.count(), func.min(Booking.expires_at))
            .select_from(BookingSeat)
            .join(Booking, Booking.id == BookingSeat.booking_id)
            .where(Booking.status == BookingStatus.PENDING, Booking.expires_at > now, *conditions)
        )
    ).one()
    return int(row[0]), row[1]


async def live_holds(
    session: AsyncSession, show_id: uuid.UUID, kind: str, customer_id: uuid.UUID, now: datetime
) -> int:
    return int(
        await session.scalar(select(_live_holds_query(show_id, kind, customer_id, now))) or 0
    )


async def get_show(session: AsyncSession, show_id: uuid.UUID) -> Show | None:
    return await session.get(Show, show_id)


async def insert_booking(
    session: AsyncSession, booking: Booking, seats: Sequence[BookingSeat], first: BookingTransition
) -> None:
    """Writes a new booking, its seats and its first history row: one statement on PostgreSQL.

    Plain Core inserts of the objects' column values: the hot path pays for no unit-of-work
    flush, and the objects stay transient data for the response.
    """
    booking_insert = insert(Booking).values(_columns(booking))
    seats_insert = insert(BookingSeat).values([_columns(seat) for seat in seats])
    history_insert = insert(BookingTransition).values(_columns(first))
    if is_postgres(session):
        # Data-modifying CTEs: all three rows in one round trip.
        await session.execute(
            history_insert.add_cte(booking_insert.cte("new_booking")).add_cte(
                seats_insert.cte("new_seats")
            )
        )
        return
    for statement in (booking_insert, seats_insert, history_insert):
        await session.execute(statement)


def _columns(entity: Base) -> dict[str, Any]:
    return {column.key: getattr(entity, column.key) for column in entity.__table__.columns}


async def get_booking(
    session: AsyncSession, booking_id: uuid.UUID, *, for_update: bool = False
) -> Booking | None:
    statement = select(Booking).where(Booking.id == booking_id)
    if for_update:
        statement = statement.with_for_update()
    result = await session.execute(statement.execution_options(populate_existing=True))
    return result.scalar_one_or_none()


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
    booking.status, booking.updated_at, booking.expires_at = target, now, expires_at
    return True


async def seats_of(
    session: AsyncSession, booking_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[BookingSeat]]:
    seats: dict[uuid.UUID, list[BookingSeat]] = {booking_id: [] for booking_id in booking_ids}
    result = await session.scalars(
        select(BookingSeat)
        .where(BookingSeat.booking_id.in_(booking_ids))
        .order_by(BookingSeat.label)
    )
    for seat in result:
        seats[seat.booking_id].append(seat)
    return seats


async def history_of(
    session: AsyncSession, booking_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[BookingTransition]]:
    history: dict[uuid.UUID, list[BookingTransition]] = {b: [] for b in booking_ids}
    result = await session.scalars(
        select(BookingTransition)
        .where(BookingTransition.booking_id.in_(booking_ids))
        .order_by(BookingTransition.at, BookingTransition.id)
    )
    for transition in result:
        history[transition.booking_id].append(transition)
    return history


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
    new_id = (
        func.gen_random_uuid()
        if is_postgres(session)
        else func.lower(func.hex(func.randomblob(16)))  # how Uuid is stored on SQLite
    )
    await session.execute(
        insert(BookingTransition).from_select(
            ["id", "booking_id", "from_status", "to_status", "at", "reason", "actor"],
            select(
                new_id,
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
    await session.execute(insert(BookingTransition).values([_columns(t) for t in transitions]))


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


async def release_show(session: AsyncSession, show_id: uuid.UUID) -> None:
    """Frees every seat of a (cancelled) show."""
    await session.execute(
        _in_seat_order(
            and_(ShowSeat.show_id == show_id, ShowSeat.booking_id.is_not(None)),
            booking_id=None,
            held_until=None,
        )
    )
    await announce_seat_changes(session, [show_id])


# --- best available: the show's grid once, then its free seats per request ----------------------


async def seat_grid(executor: AsyncSession | AsyncConnection, show_id: uuid.UUID) -> list[Any]:
    """Every seat of the show with its place and type, each with the screen's sweet spot (row,
    number; null for the default). None of it changes while the show can have bookings."""
    result = await executor.execute(
        select(
            ShowSeat.seat_id,
            Seat.row,
            Seat.number,
            Seat.x,
            Seat.y,
            ShowSeat.seat_type,
            Screen.sweet_spot_row,
            Screen.sweet_spot_number,
        )
        .join(Seat, Seat.id == ShowSeat.seat_id)
        .join(Screen, Screen.id == Seat.screen_id)
        .where(ShowSeat.show_id == show_id)
    )
    return list(result.all())


async def sale_state(
    executor: AsyncSession | AsyncConnection, show_id: uuid.UUID
) -> Row[ShowStatus, datetime] | None:
    """The show's status and start, or None when there is no such show."""
    result = await executor.execute(select(Show.status, Show.starts_at).where(Show.id == show_id))
    return result.one_or_none()


# A seat is free as `claim_seats` and `boxoffice_hold` see it: no booking, or a run-out hold.
# As two arrays in one row: asyncpg decodes them in C, for about half the client CPU of a row
# a seat (measured: 0.26 against 0.46 ms for 300 seats).
FREE_SEATS = (
    "SELECT array_agg(seat_id), array_agg(price) FROM show_seats "
    "WHERE show_id = $1 AND (booking_id IS NULL OR held_until <= $2)"
)


async def free_seats(session: AsyncSession, show_id: uuid.UUID, now: datetime) -> dict[Any, int]:
    """The show's free seats now, seat id -> price: one statement, on the driver on PostgreSQL
    (the sale path's way: no ORM result processing for hundreds of rows)."""
    if is_postgres(session):
        return await free_seats_on(await driver_connection(session), show_id, now)
    result = await session.execute(
        select(ShowSeat.seat_id, ShowSeat.price).where(
            ShowSeat.show_id == show_id,
            or_(ShowSeat.booking_id.is_(None), ShowSeat.held_until <= now),
        )
    )
    return {seat_id: price for seat_id, price in result}


async def free_seats_on(connection: Any, show_id: uuid.UUID, now: datetime) -> dict[Any, int]:
    """`free_seats` on an asyncpg connection (PostgreSQL's autocommit hold)."""
    seat_ids, prices = await connection.fetchrow(FREE_SEATS, show_id, now)
    return dict(zip(seat_ids, prices, strict=True)) if seat_ids else {}


# --- PostgreSQL's sale path: one statement each (functions of migration 0004) ------------------
#
# A hold is the hottest write of an on-sale. Through the ORM it was three statements plus BEGIN
# and COMMIT, each paying SQLAlchemy's statement building and result processing; here it is one
# call of `boxoffice_hold`, sent on the driver's connection (asyncpg prepares it once per
# connection and caches it), so in autocommit it is one round trip. The functions apply the
# same rules as the ORM path that SQLite uses, and report a refusal by raising
# `boxoffice:<code>` with JSON details; `Refusal` carries them to the service.

HOLD = "SELECT * FROM boxoffice_hold($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
RELEASE_HOLD = "SELECT * FROM boxoffice_release_hold($1, $2, $3, $4, $5, $6, $7)"
_REFUSAL_PREFIX = "boxoffice:"


class Refusal(Exception):
    """A sale-path function refused (and rolled back); `code` says why, `details` the rest."""

    def __init__(self, code: str, details: dict[str, Any]) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


@dataclass(frozen=True, slots=True)
class HeldSeat:
    seat_id: uuid.UUID
    label: str
    seat_type: str
    price: int


@dataclass(frozen=True, slots=True)
class ReleasedHold:
    """A cancelled hold with all that its answer shows (seats and history as JSON objects)."""

    show_id: uuid.UUID
    amount_total: int
    currency: str
    created_at: datetime
    user_id: uuid.UUID | None
    guest_id: uuid.UUID | None
    seats: list[dict[str, Any]]
    history: list[dict[str, Any]]


async def driver_connection(session: AsyncSession) -> Any:
    """The asyncpg connection under the session, inside the session's transaction.

    SQLAlchemy's asyncpg adapter sends BEGIN lazily, with the first statement it runs itself;
    a statement sent on the driver directly would run outside it (in autocommit), and the
    event handlers' writes in a transaction of their own. So the adapter begins first. That is
    a private method of the adapter: tests/bench/test_hold_statements.py pins the round trips
    it gives, and fails if SQLAlchemy changes it.
    """
    connection = await session.connection()
    adapter = (await connection.get_raw_connection()).dbapi_connection
    if adapter._transaction is None:  # type: ignore[union-attr]
        await adapter._start_transaction()  # type: ignore[union-attr]
    return adapter._connection  # type: ignore[union-attr]


async def hold_in_one_statement(
    connection: Any,
    booking_id: uuid.UUID,
    show_id: uuid.UUID,
    seat_ids: Sequence[uuid.UUID],
    caps: HoldCaps,
    now: datetime,
    expires_at: datetime,
    actor: str,
) -> tuple[str, list[HeldSeat]]:
    """The whole hold; returns the currency and the seats, by label. Raises `Refusal`."""
    rows = await _refusable(
        connection.fetch(
            HOLD,
            booking_id,
            show_id,
            list(seat_ids),
            caps.kind,
            caps.customer_id,
            caps.client_ip,
            now,
            expires_at,
            actor,
            caps.pending_bookings,
            caps.held_seats,
            caps.held_seats_per_address,
        )
    )
    return rows[0]["currency"], [HeldSeat(r[0], r[1], r[2], r[3]) for r in rows]


async def release_hold_in_one_statement(
    connection: Any,
    booking_id: uuid.UUID,
    kind: str,
    customer_id: uuid.UUID,
    is_admin: bool,
    now: datetime,
    reason: str,
    actor: str,
) -> ReleasedHold | None:
    """Cancels a live hold of the caller's (any, for an admin) and frees exactly its seats.
    None, with nothing changed, for anything else: not the caller's, paid, over, cancelled."""
    rows = await connection.fetch(
        RELEASE_HOLD, booking_id, kind, customer_id, is_admin, now, reason, actor
    )
    if not rows:
        return None
    row = rows[0]
    return ReleasedHold(
        show_id=row["show_id"],
        amount_total=row["amount_total"],
        currency=row["currency"],
        created_at=row["created_at"],
        user_id=row["user_id"],
        guest_id=row["guest_id"],
        seats=_json(row["seats"]),
        history=_json(row["history"]),
    )


def _json(value: Any) -> Any:
    # The pool's connections decode json columns themselves (SQLAlchemy sets a codec).
    return json.loads(value) if isinstance(value, str | bytes) else value


async def _refusable(call: Any) -> Any:
    try:
        return await call
    except asyncpg.RaiseError as error:
        message = error.message
        if not message.startswith(_REFUSAL_PREFIX):
            raise
        details = json.loads(error.detail) if error.detail else {}
        raise Refusal(message.removeprefix(_REFUSAL_PREFIX), details) from None
