"""Occupancy and revenue, computed by the database (aggregates over indexed columns).

Money: `gross` is what was captured for the bookings, `refunded` the refunds started and not
failed, `net` = gross - refunded. Seats: `booked` are seats of bookings BOOKED now, `held` seats
of live holds. A sales report's days are the shows' dates in the theatre's own timezone.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.bookings import repository as bookings_repository
from boxoffice.bookings.errors import ShowNotFound
from boxoffice.catalogue.errors import TheatreNotFound
from boxoffice.catalogue.models import Theatre
from boxoffice.errors import InvalidInput
from boxoffice.reports import repository
from boxoffice.reports.schemas import (
    MovieSales,
    SalesDay,
    SalesReport,
    SalesTotals,
    SeatTypeReport,
    ShowReport,
)

MAX_DAYS = 366


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


async def show_report(session: AsyncSession, show_id: uuid.UUID, now: datetime) -> ShowReport:
    if await bookings_repository.get_show(session, show_id) is None:
        raise ShowNotFound()
    by_type = await repository.seat_counts(session, show_id, now)
    money = await repository.show_money(session, show_id)
    capacity = sum(c.capacity for c in by_type)
    booked = sum(c.booked for c in by_type)
    held = sum(c.held for c in by_type)
    return ShowReport(
        show_id=show_id,
        capacity=capacity,
        booked=booked,
        held=held,
        available=capacity - booked - held,
        occupancy=_ratio(booked, capacity),
        gross=money.gross,
        refunded=money.refunded,
        net=money.gross - money.refunded,
        checked_in=await repository.checked_in(session, show_id),
        by_seat_type=[
            SeatTypeReport(
                seat_type=c.seat_type,
                capacity=c.capacity,
                booked=c.booked,
                held=c.held,
                available=c.capacity - c.booked - c.held,
                net=c.net,
            )
            for c in by_type
        ],
    )


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
        )
        for date, d in days.items()
    ]
    return SalesReport(
        theatre_id=theatre_id,
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
        ),
    )
