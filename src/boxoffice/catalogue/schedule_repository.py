"""The SQL of the schedule, beside `catalogue.repository`: a show as a booking names it, the
formats shows may be in, the languages shows use, and the list of shows with its filters."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.catalogue.models import (
    Movie,
    OnSaleShow,
    Screen,
    Show,
    ShowFormat,
    ShowStatus,
    Theatre,
)


async def show_summary_rows(session: AsyncSession, show_ids: Iterable[uuid.UUID]) -> list[Any]:
    """(id, starts_at, format, language, subtitles, movie title, theatre name, its timezone,
    screen name, the on-sale whose admission a hold needs (None: not queued)) of each show, in
    one statement."""
    ids = sorted(set(show_ids))
    if not ids:
        return []
    query = (
        select(
            Show.id,
            Show.starts_at,
            Show.format,
            Show.language,
            Show.subtitles,
            Movie.title,
            Theatre.name,
            Theatre.timezone,
            Screen.name,
            case((Show.queue_opens_at.is_not(None), OnSaleShow.onsale_id)),
        )
        .join(Movie, Movie.id == Show.movie_id)
        .join(Theatre, Theatre.id == Show.theatre_id)
        .join(Screen, Screen.id == Show.screen_id)
        .outerjoin(OnSaleShow, OnSaleShow.show_id == Show.id)
        .where(Show.id.in_(ids))
    )
    return list((await session.execute(query)).all())


async def formats(session: AsyncSession) -> list[ShowFormat]:
    return list(await session.scalars(select(ShowFormat).order_by(ShowFormat.rank)))


async def languages_of_running_shows(
    session: AsyncSession, movie_id: uuid.UUID, now: datetime
) -> set[str]:
    """The languages of the movie's scheduled shows that have not ended."""
    query = (
        select(Show.language)
        .where(Show.movie_id == movie_id, Show.status == ShowStatus.SCHEDULED, Show.ends_at > now)
        .distinct()
    )
    return set(await session.scalars(query))


@dataclass(frozen=True)
class ShowFilter:
    movie_id: uuid.UUID | None = None
    theatre_id: uuid.UUID | None = None
    city: str | None = None
    local_date: date | None = None
    status: ShowStatus | None = None
    starts_after: datetime | None = None
    format: str | None = None
    language: str | None = None


def _local_day_window(day: date, timezone: str) -> tuple[datetime, datetime]:
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start, end


async def list_shows(
    session: AsyncSession, where: ShowFilter, limit: int, offset: int
) -> list[tuple[Show, str]]:
    """Shows with their theatre's timezone, ordered by start.

    The `local_date` filter means the date in each theatre's own timezone: one UTC window per
    timezone in use (a handful), each applied to the theatres of that timezone, so paging stays
    in SQL.
    """
    conditions: list[Any] = []
    if where.movie_id is not None:
        conditions.append(Show.movie_id == where.movie_id)
    if where.theatre_id is not None:
        conditions.append(Show.theatre_id == where.theatre_id)
    if where.city is not None:
        conditions.append(func.lower(Theatre.city) == where.city.lower())
    if where.status is not None:
        conditions.append(Show.status == where.status)
    if where.starts_after is not None:
        conditions.append(Show.starts_at > where.starts_after)
    if where.format is not None:
        conditions.append(func.lower(Show.format) == where.format.lower())
    if where.language is not None:
        conditions.append(func.lower(Show.language) == where.language.lower())
    if where.local_date is not None:
        zones_query = select(Theatre.timezone).distinct()
        if where.theatre_id is not None:
            zones_query = zones_query.where(Theatre.id == where.theatre_id)
        if where.city is not None:
            zones_query = zones_query.where(func.lower(Theatre.city) == where.city.lower())
        zones = sorted(await session.scalars(zones_query))
        if not zones:
            return []
        windows = []
        for zone in zones:
            start, end = _local_day_window(where.local_date, zone)
            windows.append(
                and_(Theatre.timezone == zone, Show.starts_at >= start, Show.starts_at < end)
            )
        conditions.append(or_(*windows))
    query = (
        select(Show, Theatre.timezone)
        .join(Theatre, Theatre.id == Show.theatre_id)
        .where(*conditions)
        .order_by(Show.starts_at, Show.id)
        .limit(limit)
        .offset(offset)
    )
    return [(show, timezone) for show, timezone in await session.execute(query)]
