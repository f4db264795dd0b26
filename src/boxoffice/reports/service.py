"""Occupancy and revenue, computed by the database (aggregates over indexed columns).

Money: `gross` is what was captured for the bookings, `refunded` the refunds started and not
failed, `net` = gross - refunded. Seats: `booked` are seats of bookings BOOKED now, `held` seats
of live holds, `blocked` seats off sale, `available` the rest (capacity counts them all). A
sales report's days are the shows' dates in the theatre's own timezone.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import asdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.bookings import repository as bookings_repository
from boxoffice.bookings.errors import ShowNotFound
from boxoffice.catalogue.errors import TheatreNotFound
from boxoffice.catalogue.models import Theatre
from boxoffice.db.engine import session_settings
from boxoffice.errors import InvalidInput
from boxoffice.invoicing.models import LineKind
from boxoffice.money import gst
from boxoffice.reports import repository
from boxoffice.reports.schemas import (
    ChannelReport,
    ChannelSplit,
    CreditedTax,
    GstRate,
    GstReport,
    MovieSales,
    NumberRangeOut,
    SalesDay,
    SalesReport,
    SalesTotals,
    SeatTypeReport,
    ShowReport,
    Tax,
)

MAX_DAYS = 366
CHANNEL_FIGURES = tuple(ChannelSplit.model_fields)


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


async def show_report(session: AsyncSession, show_id: uuid.UUID, now: datetime) -> ShowReport:
    show = await bookings_repository.get_show(session, show_id)
    if show is None:
        raise ShowNotFound()
    if show.archived_at is None:
        by_type = await repository.seat_counts(session, show_id, now)
    else:
        by_type = await repository.archived_seat_counts(session, show)
    money = await repository.show_money(session, show_id)
    capacity = sum(c.capacity for c in by_type)
    booked = sum(c.booked for c in by_type)
    held = sum(c.held for c in by_type)
    blocked = sum(c.blocked for c in by_type)
    return ShowReport(
        show_id=show_id,
        currency=show.currency,
        **asdict(money.split),
        capacity=capacity,
        booked=booked,
        held=held,
        blocked=blocked,
        available=capacity - booked - held - blocked,
        occupancy=_ratio(booked, capacity),
        gross=money.gross,
        refunded=money.refunded,
        net=money.gross - money.refunded,
        checked_in=await repository.checked_in(session, show_id),
        by_channel=_by_channel(booked, money.gross, money.refunded, money.counter),
        by_seat_type=[
            SeatTypeReport(
                seat_type=c.seat_type,
                capacity=c.capacity,
                booked=c.booked,
                held=c.held,
                blocked=c.blocked,
                available=c.capacity - c.booked - c.held - c.blocked,
                net=c.net,
            )
            for c in by_type
        ],
    )


def _by_channel(
    booked: int, gross: int, refunded: int, counter: repository.CounterPart
) -> list[ChannelReport]:
    """The show's seats and money, the counter's apart from the shop's."""
    parts = [
        ("online", booked - counter.tickets, gross - counter.gross, refunded - counter.refunded),
        ("counter", counter.tickets, counter.gross, counter.refunded),
    ]
    return [
        ChannelReport(channel=channel, booked=seats, gross=g, refunded=r, net=g - r)
        for channel, seats, g, r in parts
    ]


async def sales_report(
    session: AsyncSession, theatre_id: uuid.UUID, first: dt.date, last: dt.date
) -> SalesReport:
    if last < first:
        raise InvalidInput("`to` is before `from`.")
    if (last - first).days >= MAX_DAYS:
        raise InvalidInput(f"A report covers at most {MAX_DAYS} days.")
    theatre = await session.get(Theatre, theatre_id)
    if theatre is None:
        raise TheatreNotFound()
    zone = ZoneInfo(theatre.timezone)
    start = datetime.combine(first, dt.time(), zone)
    end = datetime.combine(last + timedelta(days=1), dt.time(), zone)
    shows = await repository.sales_by_show(session, theatre_id, start, end)

    days: dict[dt.date, dict[str, int]] = {
        first + timedelta(days=i): defaultdict(int) for i in range((last - first).days + 1)
    }
    movies: dict[uuid.UUID, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    titles: dict[uuid.UUID, str] = {}
    for show in shows:
        day = days[show.starts_at.astimezone(zone).date()]
        if show.scheduled:
            day["shows"] += 1
            day["capacity"] += show.capacity
        day["tickets"] += show.tickets
        day["gross"] += show.gross
        day["refunded"] += show.refunded
        counter = show.counter
        day["counter_tickets"] += counter.tickets
        day["counter_net"] += counter.gross - counter.refunded
        day["online_tickets"] += show.tickets - counter.tickets
        day["online_net"] += show.gross - show.refunded - counter.gross + counter.refunded
        for name, amount in asdict(show.split).items():
            day[name] += amount
        movie = movies[show.movie_id]
        titles[show.movie_id] = show.title
        movie["tickets"] += show.tickets
        movie["net"] += show.gross - show.refunded
    day_rows = [
        SalesDay(
            date=date,
            shows=d["shows"],
            tickets=d["tickets"],
            gross=d["gross"],
            refunded=d["refunded"],
            net=d["gross"] - d["refunded"],
            occupancy=_ratio(d["tickets"], d["capacity"]),
            **{name: d[name] for name in (*repository.SPLIT, *CHANNEL_FIGURES)},
        )
        for date, d in days.items()
    ]
    settings = session_settings(session)
    return SalesReport(
        theatre_id=theatre_id,
        currency=shows[0].currency if shows else settings.default_currency if settings else "INR",
        days=day_rows,
        by_movie=sorted(
            (
                MovieSales(movie_id=m, title=titles[m], tickets=v["tickets"], net=v["net"])
                for m, v in movies.items()
            ),
            key=lambda m: (-m.net, m.title),
        ),
        totals=SalesTotals(
            tickets=sum(d.tickets for d in day_rows),
            gross=sum(d.gross for d in day_rows),
            refunded=sum(d.refunded for d in day_rows),
            net=sum(d.net for d in day_rows),
            **{
                name: sum(getattr(d, name) for d in day_rows)
                for name in (*repository.SPLIT, *CHANNEL_FIGURES)
            },
        ),
    )


async def gst_report(session: AsyncSession, theatre_id: uuid.UUID, month: str) -> GstReport:
    """Per rate, the taxable value, CGST and SGST of the month's tax invoices, tickets apart
    from fees, less their credit notes of the month; and the numbers the month used."""
    theatre = await session.get(Theatre, theatre_id)
    if theatre is None:
        raise TheatreNotFound()
    start, end = gst.month_bounds(month, theatre.timezone)
    sums: dict[tuple[int, bool, LineKind], Tax] = {}
    for lines in await repository.gst_lines(session, theatre_id, month):
        sums[lines.rate_bp, lines.credit, lines.kind] = Tax(
            taxable=lines.taxable, cgst=lines.cgst, sgst=lines.sgst
        )

    def tax(rate_bp: int, credit: bool, kind: LineKind) -> Tax:
        return sums.get((rate_bp, credit, kind), Tax(taxable=0, cgst=0, sgst=0))

    def net(rate_bp: int, kind: LineKind) -> Tax:
        issued, credited = tax(rate_bp, False, kind), tax(rate_bp, True, kind)
        return Tax(
            taxable=issued.taxable - credited.taxable,
            cgst=issued.cgst - credited.cgst,
            sgst=issued.sgst - credited.sgst,
        )

    rates = [
        GstRate(
            rate_bp=rate_bp,
            tickets=net(rate_bp, LineKind.TICKET),
            fees=net(rate_bp, LineKind.FEE),
            credited=CreditedTax(
                tickets=tax(rate_bp, True, LineKind.TICKET), fees=tax(rate_bp, True, LineKind.FEE)
            ),
        )
        for rate_bp in sorted({rate_bp for rate_bp, _, _ in sums})
    ]
    settings = session_settings(session)
    return GstReport(
        theatre_id=theatre_id,
        month=month,
        gstin=theatre.gstin,
        currency=settings.default_currency if settings else "INR",
        rates=rates,
        totals=Tax(
            taxable=sum(r.tickets.taxable + r.fees.taxable for r in rates),
            cgst=sum(r.tickets.cgst + r.fees.cgst for r in rates),
            sgst=sum(r.tickets.sgst + r.fees.sgst for r in rates),
        ),
        documents=[
            NumberRangeOut(series=r.series.value, first=r.first, last=r.last, count=r.count)
            for r in await repository.number_ranges(session, theatre_id, start, end)
        ],
    )
