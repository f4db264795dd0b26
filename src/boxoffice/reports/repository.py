"""All SQL of the reports domain: aggregates only, one row per show or seat type at most."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.bookings.models import Booking, BookingSeat
from boxoffice.catalogue.models import Movie, Show, ShowSeat, ShowStatus
from boxoffice.payments.models import Payment, Refund, RefundStatus
from boxoffice.tickets.models import Ticket, TicketStatus


@dataclass(frozen=True)
class SeatCounts:
    seat_type: str
    capacity: int
    booked: int
    held: int
    net: int  # the frozen prices of the seats of bookings BOOKED now


async def seat_counts(session: AsyncSession, show_id: uuid.UUID, now: datetime) -> list[SeatCounts]:
    """Per seat type: capacity, sold, held by a live hold; from the show's inventory rows."""
    is_booked = and_(ShowSeat.booking_id.is_not(None), ShowSeat.held_until.is_(None))
    is_held = and_(ShowSeat.booking_id.is_not(None), ShowSeat.held_until > now)
    rows = await session.execute(
        select(
            ShowSeat.seat_type,
            func.count(),
            func.coalesce(func.sum(case((is_booked, 1), else_=0)), 0),
            func.coalesce(func.sum(case((is_held, 1), else_=0)), 0),
        )
        .where(ShowSeat.show_id == show_id)
        .group_by(ShowSeat.seat_type)
    )
    counts = {r[0]: (int(r[1]), int(r[2]), int(r[3])) for r in rows}
    money_rows = await session.execute(
        select(BookingSeat.seat_type, func.sum(BookingSeat.price))
        .join(
            ShowSeat,
            and_(
                ShowSeat.booking_id == BookingSeat.booking_id,
                ShowSeat.seat_id == BookingSeat.seat_id,
            ),
        )
        .where(ShowSeat.show_id == show_id, ShowSeat.held_until.is_(None))
        .group_by(BookingSeat.seat_type)
    )
    money = {r[0]: int(r[1] or 0) for r in money_rows}
    return [
        SeatCounts(seat_type, capacity, booked, held, money.get(seat_type, 0))
        for seat_type, (capacity, booked, held) in counts.items()
    ]


@dataclass(frozen=True)
class ShowMoney:
    gross: int
    refunded: int


def _money_by_show(show_ids: object) -> object:
    """gross and refunded per show: captured payments of its bookings, refunds not failed."""
    # At most one refund per payment (unique), so the join cannot count a payment twice.
    return (
        select(
            Booking.show_id,
            func.coalesce(func.sum(Payment.amount), 0),
            func.coalesce(func.sum(Refund.amount), 0),
        )
        .join(Payment, Payment.booking_id == Booking.id)
        .outerjoin(
            Refund, and_(Refund.payment_id == Payment.id, Refund.status != RefundStatus.FAILED)
        )
        .where(Booking.show_id.in_(show_ids), Payment.payment_id.is_not(None))  # type: ignore[arg-type]
        .group_by(Booking.show_id)
    )


async def show_money(session: AsyncSession, show_id: uuid.UUID) -> ShowMoney:
    row = (await session.execute(_money_by_show([show_id]))).first()  # type: ignore[call-overload]
    return ShowMoney(int(row[1]), int(row[2])) if row else ShowMoney(0, 0)


async def checked_in(session: AsyncSession, show_id: uuid.UUID) -> int:
    value = await session.scalar(
        select(func.count()).where(
            Ticket.show_id == show_id, Ticket.status == TicketStatus.CHECKED_IN
        )
    )
    return int(value or 0)


@dataclass(frozen=True)
class ShowSales:
    show_id: uuid.UUID
    movie_id: uuid.UUID
    title: str
    starts_at: datetime
    scheduled: bool
    capacity: int
    tickets: int
    gross: int
    refunded: int


async def sales_by_show(
    session: AsyncSession, theatre_id: uuid.UUID, start: datetime, end: datetime
) -> list[ShowSales]:
    """Every show of the theatre starting in [start, end) with its seat and money totals."""
    shows = (
        select(Show.id)
        .where(Show.theatre_id == theatre_id, Show.starts_at >= start, Show.starts_at < end)
        .scalar_subquery()
    )
    seats = {
        r[0]: (int(r[1]), int(r[2]))
        for r in await session.execute(
            select(
                ShowSeat.show_id,
                func.count(),
                func.coalesce(
                    func.sum(
                        case(
                            (
                                and_(
                                    ShowSeat.booking_id.is_not(None),
                                    ShowSeat.held_until.is_(None),
                                ),
                                1,
                            ),
                            else_=0,
                        )
                    ),
                    0,
                ),
            )
            .where(ShowSeat.show_id.in_(shows))
            .group_by(ShowSeat.show_id)
        )
    }
    money = {
        r[0]: (int(r[1]), int(r[2]))
        for r in await session.execute(_money_by_show(shows))  # type: ignore[call-overload]
    }
    rows = await session.execute(
        select(Show.id, Show.movie_id, Movie.title, Show.starts_at, Show.status)
        .join(Movie, Movie.id == Show.movie_id)
        .where(Show.theatre_id == theatre_id, Show.starts_at >= start, Show.starts_at < end)
        .order_by(Show.starts_at)
    )
    return [
        ShowSales(
            show_id=r[0],
            movie_id=r[1],
            title=r[2],
            starts_at=r[3],
            scheduled=r[4] is ShowStatus.SCHEDULED,
            capacity=seats.get(r[0], (0, 0))[0],
            tickets=seats.get(r[0], (0, 0))[1],
            gross=money.get(r[0], (0, 0))[0],
            refunded=money.get(r[0], (0, 0))[1],
        )
        for r in rows
    ]
