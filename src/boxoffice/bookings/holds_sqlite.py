"""SQLite's hold store: the hold as plain ORM statements (the embedded mode, one process).

SQLite serialises its writers (every transaction is BEGIN IMMEDIATE, db/engine.py), so the hold
needs no locks of its own: read the show (and its theatre's terms version) while checking the
customer may hold; claim the free seats (not blocked) while within every cap, in one
conditional UPDATE; write the booking, each seat with its line of the claim's charge table. The
same rules as `boxoffice_hold` (PostgreSQL's store), refused with the same codes. Five
statements, in the session's transaction or, without one, in a transaction of the store's own.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    and_,
    func,
    insert,
    literal,
    not_,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from boxoffice.accounts.models import Guest, User
from boxoffice.bookings import repository
from boxoffice.bookings.charges import missing_prices
from boxoffice.bookings.holds import Claim, HoldCaps, Refusal, Release, ReleasedHold, held_view
from boxoffice.bookings.models import Booking, BookingSeat, BookingStatus
from boxoffice.bookings.reads import BookingView
from boxoffice.catalogue.models import Screen, Seat, Show, ShowSeat, ShowStatus, Theatre


class SqliteHolds:
    """The `HoldStore` of SQLite."""

    def __init__(self, sessionmaker: async_sessionmaker[Any]) -> None:
        self._sessionmaker = sessionmaker

    @asynccontextmanager
    async def seats(self, session: AsyncSession | None = None) -> AsyncIterator[_Seats]:
        if session is not None:
            yield _Seats(session)
            return
        async with self._sessionmaker() as own, own.begin():
            yield _Seats(own)

    async def release(
        self, release: Release, session: AsyncSession | None = None
    ) -> ReleasedHold | None:
        """No step of its own: the general cancel is as short here (no round trips)."""
        return None


class _Seats:
    """`SaleSeats` in a session's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(self, claim: Claim, *, may_retry: bool = False) -> BookingView:
        if not may_retry:
            return await _claim(self._session, claim)
        # A refused claim may have taken some seats: the savepoint gives them back.
        async with self._session.begin_nested():
            return await _claim(self._session, claim)

    async def free_seats(self, show_id: uuid.UUID, now: datetime) -> dict[Any, int]:
        result = await self._session.execute(
            select(ShowSeat.seat_id, ShowSeat.price).where(
                ShowSeat.show_id == show_id,
                or_(ShowSeat.booking_id.is_(None), ShowSeat.held_until <= now),
                not_(ShowSeat.blocked),
            )
        )
        return {seat_id: price for seat_id, price in result}

    async def grid(self, show_id: uuid.UUID) -> Sequence[Sequence[Any]]:
        result = await self._session.execute(
            select(
                ShowSeat.seat_id,
                Seat.row,
                Seat.number,
                Seat.x,
                Seat.y,
                ShowSeat.seat_type,
                Screen.sweet_spot_row,
                Screen.sweet_spot_number,
                Seat.accessibility,
            )
            .join(Seat, Seat.id == ShowSeat.seat_id)
            .join(Screen, Screen.id == Seat.screen_id)
            .where(ShowSeat.show_id == show_id)
        )
        return result.all()

    async def sale_state(self, show_id: uuid.UUID) -> tuple[ShowStatus, datetime] | None:
        result = await self._session.execute(
            select(Show.status, Show.starts_at).where(Show.id == show_id)
        )
        row = result.one_or_none()
        return None if row is None else (row[0], row[1])


async def _claim(session: AsyncSession, claim: Claim) -> BookingView:
    caps, show_id, now = claim.caps, claim.show_id, claim.now
    found = await _show_if_customer_may_hold(session, caps, show_id)
    if found is None:
        if not await _customer_may_hold(session, caps):
            raise Refusal("customer-gone", {})
        raise Refusal("show-not-found", {})
    show, terms_version = found
    if show.status is not ShowStatus.SCHEDULED:
        raise Refusal("show-cancelled", {})
    if show.starts_at <= now:
        raise Refusal("show-started", {})
    if terms_version != claim.charges.terms_version:
        raise Refusal("charges-stale", {})
    claimed = await repository.claim_seats(
        session,
        show_id,
        claim.seat_ids,
        claim.booking_id,
        claim.expires_at,
        now,
        only_if=_within_caps(caps, show_id, len(claim.seat_ids), now),
    )
    if len(claimed) != len(claim.seat_ids):
        # Raising rolls the claim back with the transaction (or the savepoint).
        raise await _why_short(session, claim, {row.seat_id for row in claimed})
    if missing_prices(claim.charges, [row.price for row in claimed]):
        raise Refusal("charges-stale", {})  # a re-price since the table was built
    view = held_view(claim, claimed, show.currency)
    # Plain Core inserts of the objects' column values: no unit-of-work flush, and the objects
    # stay transient data for the answer.
    booking = view.booking
    await session.execute(insert(Booking).values(repository.column_values(booking)))
    await session.execute(
        insert(BookingSeat).values([repository.column_values(seat) for seat in view.seats])
    )
    await repository.insert_transitions(session, view.history)
    return view


async def _show_if_customer_may_hold(
    session: AsyncSession, caps: HoldCaps, show_id: uuid.UUID
) -> tuple[Show, int] | None:
    """The show and its theatre's terms version, if the customer may hold (and with its row
    locked): one statement."""
    customer = User if caps.kind == "user" else Guest
    result = await session.execute(
        select(Show, Theatre.terms_version)
        .join(Theatre, Theatre.id == Show.theatre_id)
        .join(customer, and_(customer.id == caps.customer_id, _may_hold(caps.kind)))
        .where(Show.id == show_id)
        .with_for_update(of=customer)
    )
    row = result.one_or_none()
    return None if row is None else (row[0], row[1])


def _may_hold(kind: str) -> ColumnElement[bool]:
    """A user, or a guest not linked to an account (linking spends the guest's token)."""
    return literal(True) if kind == "user" else Guest.linked_user_id.is_(None)


async def _customer_may_hold(session: AsyncSession, caps: HoldCaps) -> bool:
    customer = User if caps.kind == "user" else Guest
    found = await session.scalar(
        select(customer.id).where(customer.id == caps.customer_id, _may_hold(caps.kind))
    )
    return found is not None


def _within_caps(
    caps: HoldCaps, show_id: uuid.UUID, requested: int, now: datetime
) -> list[ColumnElement[bool]]:
    conditions = [_live_holds(show_id, caps, now) < caps.pending_bookings]
    for _scope, cap, whose in _seat_caps(caps, show_id):
        conditions.append(_held_seats(now, *whose) + requested <= cap)
    return conditions


def _seat_caps(
    caps: HoldCaps, show_id: uuid.UUID
) -> list[tuple[str, int, list[ColumnElement[bool]]]]:
    """The held-seats caps that apply: whose (customer, address), the cap, the bookings counted."""
    scopes: list[tuple[str, int, list[ColumnElement[bool]]]] = []
    if caps.held_seats:
        customer = [repository.customer_filter(caps.kind, caps.customer_id)]
        scopes.append(("customer", caps.held_seats, customer))
    if caps.held_seats_per_address and caps.client_ip:
        address = [Booking.show_id == show_id, Booking.client_ip == caps.client_ip]
        scopes.append(("address", caps.held_seats_per_address, address))
    return scopes


def _live_holds(show_id: uuid.UUID, caps: HoldCaps, now: datetime) -> ScalarSelect[int]:
    return (
        select(func.count())
        .select_from(Booking)
        .where(
            Booking.show_id == show_id,
            repository.customer_filter(caps.kind, caps.customer_id),
            Booking.status == BookingStatus.PENDING,
            Booking.expires_at > now,
        )
        .scalar_subquery()
    )


def _held_seats(now: datetime, *conditions: ColumnElement[bool]) -> ScalarSelect[int]:
    """Seats of live (PENDING, not run out) bookings matching `conditions`."""
    return (
        select(func.count())
        .select_from(BookingSeat)
        .join(Booking, Booking.id == BookingSeat.booking_id)
        .where(Booking.status == BookingStatus.PENDING, Booking.expires_at > now, *conditions)
        .scalar_subquery()
    )


async def _why_short(session: AsyncSession, claim: Claim, claimed: set[uuid.UUID]) -> Refusal:
    """Why a claim came back short (the cold path: a few more queries are fine here)."""
    caps, show_id, now, seat_ids = claim.caps, claim.show_id, claim.now, claim.seat_ids
    live_holds = int(await session.scalar(select(_live_holds(show_id, caps, now))) or 0)
    if live_holds >= caps.pending_bookings:
        return Refusal("too-many-holds", {"held": live_holds})
    for scope, cap, whose in _seat_caps(caps, show_id):
        row = (
            await session.execute(
                select(func.count(), func.min(Booking.expires_at))
                .select_from(BookingSeat)
                .join(Booking, Booking.id == BookingSeat.booking_id)
                .where(Booking.status == BookingStatus.PENDING, Booking.expires_at > now, *whose)
            )
        ).one()
        held = int(row[0])
        if held + len(seat_ids) > cap:
            return Refusal(f"too-many-seats-{scope}", {"held": held, "first_expiry": row[1]})
    existing = set(
        await session.scalars(
            select(ShowSeat.seat_id).where(
                ShowSeat.show_id == show_id, ShowSeat.seat_id.in_(seat_ids)
            )
        )
    )
    return Refusal(
        "seats-not-held",
        {
            "unknown": [seat_id for seat_id in seat_ids if seat_id not in existing],
            "unavailable": [seat_id for seat_id in seat_ids if seat_id not in claimed],
        },
    )
