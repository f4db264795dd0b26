"""All SQL of the reports domain: aggregates and the per-show totals they read."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.bookings.models import Booking, BookingSeat, BookingStatus
from boxoffice.catalogue.models import Movie, Screen, Seat, Show, ShowSeat, ShowStatus
from boxoffice.db import kept
from boxoffice.invoicing.models import Document, GstSummary, LineKind, Series
from boxoffice.payments.models import Refund, RefundStatus
from boxoffice.reports.models import ShowSales
from boxoffice.tickets.models import Ticket, TicketStatus


@dataclass(frozen=True)
class SeatCounts:
    seat_type: str
    capacity: int
    booked: int
    held: int
    net: int  # the frozen prices of the seats of bookings BOOKED now
    blocked: int = 0  # off sale (`show_seats.blocked`): never also held or booked


async def seat_counts(session: AsyncSession, show_id: uuid.UUID, now: datetime) -> list[SeatCounts]:
    """Per seat type: capacity, sold, held by a live hold, blocked from sale; from the show's
    inventory rows (a blocked seat is never held or booked: the claim refuses it, and a held or
    booked seat cannot be blocked)."""
    is_booked = and_(ShowSeat.booking_id.is_not(None), ShowSeat.held_until.is_(None))
    is_held = and_(ShowSeat.booking_id.is_not(None), ShowSeat.held_until > now)
    rows = await session.execute(
        select(
            ShowSeat.seat_type,
            func.count(),
            func.coalesce(func.sum(case((is_booked, 1), else_=0)), 0),
            func.coalesce(func.sum(case((is_held, 1), else_=0)), 0),
            func.coalesce(func.sum(case((ShowSeat.blocked, 1), else_=0)), 0),
        )
        .where(ShowSeat.show_id == show_id)
        .group_by(ShowSeat.seat_type)
    )
    counts = {r[0]: (int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows}
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
        SeatCounts(seat_type, capacity, booked, held, money.get(seat_type, 0), blocked)
        for seat_type, (capacity, booked, held, blocked) in counts.items()
    ]


async def archived_seat_counts(session: AsyncSession, show: Show) -> list[SeatCounts]:
    """The same counts for a show archived (`boxoffice archive`: its inventory rows are gone):
    capacity from its screen's seats, sold from the seats its BOOKED bookings still hold; none
    held (it has ended)."""
    capacity = await session.execute(
        select(Seat.seat_type, func.count())
        .where(Seat.screen_id == show.screen_id)
        .group_by(Seat.seat_type)
    )
    sold = await session.execute(
        select(BookingSeat.seat_type, func.count(), func.sum(BookingSeat.price))
        .join(Booking, Booking.id == BookingSeat.booking_id)
        .where(
            Booking.show_id == show.id,
            Booking.status == BookingStatus.BOOKED,
            BookingSeat.cancelled_at.is_(None),
        )
        .group_by(BookingSeat.seat_type)
    )
    booked = {r[0]: (int(r[1]), int(r[2] or 0)) for r in sold}
    counts = []
    for seat_type, seats in capacity:
        sold_seats, net = booked.get(seat_type, (0, 0))
        counts.append(SeatCounts(seat_type, int(seats), sold_seats, 0, net))
    return counts


@dataclass(frozen=True)
class Split:
    """What invoices charged: the tickets' taxable value, the GST on tickets and fees, and the
    fees' taxable value."""

    taxable: int = 0
    cgst: int = 0
    sgst: int = 0
    fees: int = 0


SPLIT = ("taxable", "cgst", "sgst", "fees")


@dataclass(frozen=True)
class CounterPart:
    """What of a show's sales the counter made: seats BOOKED now, money taken, given back."""

    tickets: int = 0
    gross: int = 0
    refunded: int = 0


COUNTER = ("counter_tickets", "counter_gross", "counter_refunded")


@dataclass(frozen=True)
class ShowMoney:
    gross: int
    refunded: int  # the shop's refunds not failed and the counter's
    split: Split
    counter: CounterPart


def add_to_show_sales(session: AsyncSession, show_id: uuid.UUID, **figures: int) -> None:
    """Adds to the show's totals (the columns of `show_sales`) as the caller's transaction
    commits (`db.kept`: the row locked for the commit only, in show order)."""
    kept.add(session, ShowSales, {"show_id": show_id}, **figures)


async def sold_seats(session: AsyncSession, show_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Seats of bookings BOOKED now, per show, from the kept totals (one row a show)."""
    rows = await session.execute(
        select(ShowSales.show_id, ShowSales.tickets).where(ShowSales.show_id.in_(show_ids))
    )
    return {show_id: int(tickets) for show_id, tickets in rows}


def _refunded(show_id: Any) -> Any:
    """The refunds of a show started and not failed, summed as they stand (they are few, read by
    index, and their status moves while they are retried, so no total is kept)."""
    return (
        select(func.coalesce(func.sum(Refund.amount), 0))
        .where(Refund.show_id == show_id, Refund.status != RefundStatus.FAILED)
        .scalar_subquery()
    )


async def show_money(session: AsyncSession, show_id: uuid.UUID) -> ShowMoney:
    kept = [
        func.coalesce(
            select(getattr(ShowSales, name)).where(ShowSales.show_id == show_id).scalar_subquery(),
            0,
        )
        for name in ("gross", *SPLIT, *COUNTER)
    ]
    gross, *figures, refunded = (await session.execute(select(*kept, _refunded(show_id)))).one()
    split, counter = figures[: len(SPLIT)], CounterPart(*map(int, figures[len(SPLIT) :]))
    return ShowMoney(int(gross), int(refunded) + counter.refunded, Split(*map(int, split)), counter)


async def checked_in(session: AsyncSession, show_id: uuid.UUID) -> int:
    value = await session.scalar(
        select(func.count()).where(
            Ticket.show_id == show_id, Ticket.status == TicketStatus.CHECKED_IN
        )
    )
    return int(value or 0)


@dataclass(frozen=True)
class SoldShow:
    show_id: uuid.UUID
    movie_id: uuid.UUID
    title: str
    starts_at: datetime
    scheduled: bool
    capacity: int
    tickets: int
    gross: int
    refunded: int  # the shop's refunds not failed and the counter's
    split: Split
    currency: str
    counter: CounterPart


async def sales_by_show(
    session: AsyncSession, theatre_id: uuid.UUID, start: datetime, end: datetime
) -> list[SoldShow]:
    """Every show of the theatre starting in [start, end) with its seat and money totals.

    One statement reading one row a show: its kept totals, its screen's seat count and the sum
    of its refunds.
    """
    in_range = and_(Show.theatre_id == theatre_id, Show.starts_at >= start, Show.starts_at < end)
    # Per show, by index (a plan that holds whatever the row estimates of a generic plan say).
    capacity = (
        select(Seat.screen_id, func.count().label("seats"))
        .join(Screen, Screen.id == Seat.screen_id)
        .where(Screen.theatre_id == theatre_id)
        .group_by(Seat.screen_id)
        .subquery()
    )
    rows = await session.execute(
        select(
            Show.id,
            Show.movie_id,
            Movie.title,
            Show.starts_at,
            Show.status,
            Show.currency,
            func.coalesce(capacity.c.seats, 0),
            func.coalesce(ShowSales.tickets, 0),
            func.coalesce(ShowSales.gross, 0),
            _refunded(Show.id),
            *(func.coalesce(getattr(ShowSales, name), 0) for name in (*SPLIT, *COUNTER)),
        )
        .join(Movie, Movie.id == Show.movie_id)
        .outerjoin(ShowSales, ShowSales.show_id == Show.id)
        .outerjoin(capacity, capacity.c.screen_id == Show.screen_id)
        .where(in_range)
        .order_by(Show.starts_at)
    )
    return [
        SoldShow(
            show_id=r[0],
            movie_id=r[1],
            title=r[2],
            starts_at=r[3],
            scheduled=r[4] is ShowStatus.SCHEDULED,
            currency=r[5],
            capacity=int(r[6]),
            tickets=int(r[7]),
            gross=int(r[8]),
            refunded=int(r[9]) + int(r[16]),
            split=Split(*(int(value) for value in r[10:14])),
            counter=CounterPart(*(int(value) for value in r[14:17])),
        )
        for r in rows
    ]


def _issued(theatre_id: uuid.UUID, start: datetime, end: datetime) -> tuple[Any, ...]:
    """The theatre's documents issued in [start, end), by their index on (theatre, issued_at)."""
    return (
        Document.theatre_id == theatre_id,
        Document.issued_at >= start,
        Document.issued_at < end,
    )


@dataclass(frozen=True)
class TaxedLines:
    """The sums of a theatre's tax-invoice lines (or their credit notes') of one kind and rate
    over a period."""

    credit: bool  # credit notes' lines, to subtract
    kind: LineKind
    rate_bp: int
    taxable: int
    cgst: int
    sgst: int


async def gst_lines(session: AsyncSession, theatre_id: uuid.UUID, month: str) -> list[TaxedLines]:
    """Per kind and rate, the lines of the theatre's documents issued in `month` (`YYYY-MM` in
    its timezone) while it was registered (a receipt and its credit notes carry no GST),
    invoices apart from credit notes: from the summary the invoicing domain keeps, a few rows
    whatever lies behind the month."""
    rows = await session.execute(
        select(
            GstSummary.series,
            GstSummary.kind,
            GstSummary.rate_bp,
            func.sum(GstSummary.taxable),
            func.sum(GstSummary.cgst),
            func.sum(GstSummary.sgst),
        )
        .where(GstSummary.theatre_id == theatre_id, GstSummary.month == month)
        .group_by(GstSummary.series, GstSummary.kind, GstSummary.rate_bp)
    )
    return [
        TaxedLines(r[0] is Series.CREDIT_NOTE, r[1], r[2], int(r[3]), int(r[4]), int(r[5]))
        for r in rows
    ]


@dataclass(frozen=True)
class NumberRange:
    series: Series
    first: str
    last: str
    count: int


async def number_ranges(
    session: AsyncSession, theatre_id: uuid.UUID, start: datetime, end: datetime
) -> list[NumberRange]:
    """The documents the theatre issued in [start, end), per series: the first and last
    numbers and how many (one financial year: a period never spans 1 April)."""
    in_period = _issued(theatre_id, start, end)
    groups = await session.execute(
        select(
            Document.series,
            Document.financial_year,
            func.min(Document.serial),
            func.max(Document.serial),
            func.count(),
        )
        .where(*in_period)
        .group_by(Document.series, Document.financial_year)
        .order_by(Document.series, Document.financial_year)
    )
    ranges = []
    for series, year, first, last, count in list(groups):
        ends = {
            document.serial: document.number
            for document in await session.scalars(
                select(Document).where(
                    *in_period,
                    Document.series == series,
                    Document.financial_year == year,
                    Document.serial.in_([first, last]),
                )
            )
        }
        ranges.append(NumberRange(series, ends[first] or "", ends[last] or "", int(count)))
    return ranges
