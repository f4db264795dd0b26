"""All SQL of the counter: shifts, the money of their sales and refunds, and what it owes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, ScalarSelect, func, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from boxoffice.bookings.models import Booking, BookingChannel, BookingSeat, BookingStatus
from boxoffice.catalogue.models import Show, ShowStatus
from boxoffice.counter.models import Method, Movement, MovementKind, Shift, ShiftStatus

BookingKey = ColumnElement[uuid.UUID] | InstrumentedAttribute[uuid.UUID]  # a value, or the column


async def add_shift(session: AsyncSession, shift: Shift) -> bool:
    """False when the cashier has an open shift already (the unique index decided a race)."""
    session.add(shift)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        return False
    return True


async def get_shift(
    session: AsyncSession, shift_id: uuid.UUID, *, for_update: bool = False
) -> Shift | None:
    statement = select(Shift).where(Shift.id == shift_id)
    if for_update:
        statement = statement.with_for_update()
    result = await session.execute(statement.execution_options(populate_existing=True))
    return result.scalar_one_or_none()


async def open_shift_of(
    session: AsyncSession, cashier_id: uuid.UUID, *, for_update: bool = False
) -> Shift | None:
    statement = select(Shift).where(
        Shift.cashier_id == cashier_id, Shift.status == ShiftStatus.OPEN
    )
    if for_update:
        statement = statement.with_for_update()
    result = await session.execute(statement.execution_options(populate_existing=True))
    return result.scalar_one_or_none()


async def shifts_of_theatre(
    session: AsyncSession, theatre_id: uuid.UUID, start: datetime, end: datetime
) -> list[Shift]:
    """The theatre's shifts opened in [start, end), oldest first."""
    result = await session.scalars(
        select(Shift)
        .where(Shift.theatre_id == theatre_id, Shift.opened_at >= start, Shift.opened_at < end)
        .order_by(Shift.opened_at, Shift.id)
    )
    return list(result)


@dataclass
class Totals:
    """A shift's money by method: sales, refunds, and how many of each."""

    sales: dict[Method, int] = field(default_factory=dict)
    refunds: dict[Method, int] = field(default_factory=dict)
    sales_count: int = 0
    refunds_count: int = 0

    def net(self, method: Method) -> int:
        return self.sales.get(method, 0) - self.refunds.get(method, 0)


async def totals_of(
    session: AsyncSession, shift_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Totals]:
    """Each shift's totals by method, in one query."""
    totals = {shift_id: Totals() for shift_id in shift_ids}
    if not shift_ids:
        return totals
    rows = await session.execute(
        select(
            Movement.shift_id,
            Movement.kind,
            Movement.method,
            func.coalesce(func.sum(Movement.amount), 0),
            func.count(),
        )
        .where(Movement.shift_id.in_(shift_ids))
        .group_by(Movement.shift_id, Movement.kind, Movement.method)
    )
    for shift_id, kind, method, amount, count in rows:
        kept = totals[shift_id]
        if kind is MovementKind.SALE:
            kept.sales[method] = int(amount)
            kept.sales_count += int(count)
        else:
            kept.refunds[method] = int(amount)
            kept.refunds_count += int(count)
    return totals


async def close(session: AsyncSession, shift: Shift, now: datetime, expected_cash: int) -> bool:
    """Compare-and-set OPEN -> CLOSED: False when another request closed it first."""
    result = await session.execute(
        update(Shift)
        .where(Shift.id == shift.id, Shift.status == ShiftStatus.OPEN)
        .values(status=ShiftStatus.CLOSED, closed_at=now, expected_cash=expected_cash)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    shift.status, shift.closed_at, shift.expected_cash = ShiftStatus.CLOSED, now, expected_cash
    return True


async def add_movement(session: AsyncSession, movement: Movement) -> None:
    session.add(movement)
    await session.flush()


async def movements_of(session: AsyncSession, booking_id: uuid.UUID) -> list[Movement]:
    result = await session.scalars(
        select(Movement).where(Movement.booking_id == booking_id).order_by(Movement.at, Movement.id)
    )
    return list(result)


def _given_back(booking_id: BookingKey) -> ScalarSelect[int]:
    """What the booking's seats gave back, as each cancellation wrote it per seat."""
    return (
        select(func.coalesce(func.sum(BookingSeat.refunded), 0))
        .where(BookingSeat.booking_id == booking_id)
        .scalar_subquery()
    )


def _paid_back(booking_id: BookingKey) -> ScalarSelect[int]:
    """What the counter paid back for the booking."""
    return (
        select(func.coalesce(func.sum(Movement.amount), 0))
        .where(Movement.booking_id == booking_id, Movement.kind == MovementKind.REFUND)
        .scalar_subquery()
    )


async def owed_on(session: AsyncSession, booking_id: uuid.UUID) -> int:
    """What the counter owes the booking's customer: what its seats gave back less what the
    counter paid back. A counter refund pays what it gives back in the same transaction, so
    only a show's cancellation (which gives every seat back, paying nothing) leaves it above 0."""
    owed, _paid = await money_back_on(session, booking_id)
    return owed


async def money_back_on(session: AsyncSession, booking_id: uuid.UUID) -> tuple[int, int]:
    """What the counter owes the booking's customer (`owed_on`), and what it paid them back."""
    key = literal(booking_id, Booking.id.type)
    given, paid = (await session.execute(select(_given_back(key), _paid_back(key)))).one()
    return int(given) - int(paid), int(paid)


async def owed_at_theatre(
    session: AsyncSession, theatre_id: uuid.UUID, limit: int, offset: int
) -> list[tuple[Booking, int]]:
    """The theatre's counter sales of cancelled shows still owed money back, with how much:
    the shows soonest first."""
    given, paid = _given_back(Booking.id), _paid_back(Booking.id)
    rows = await session.execute(
        select(Booking, given - paid)
        .join(Show, Show.id == Booking.show_id)
        .where(
            Show.theatre_id == theatre_id,
            Show.status == ShowStatus.CANCELLED,
            Booking.channel == BookingChannel.COUNTER,
            Booking.status == BookingStatus.CANCELLED,
            given > paid,
        )
        .order_by(Show.starts_at, Booking.created_at, Booking.id)
        .limit(limit)
        .offset(offset)
    )
    return [(booking, int(owed)) for booking, owed in rows]


async def sale_methods(
    session: AsyncSession, booking_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Method]:
    """How each of these counter sales was paid (its SALE movement's method)."""
    if not booking_ids:
        return {}
    rows = await session.execute(
        select(Movement.booking_id, Movement.method).where(
            Movement.booking_id.in_(booking_ids), Movement.kind == MovementKind.SALE
        )
    )
    return {booking_id: method for booking_id, method in rows}
