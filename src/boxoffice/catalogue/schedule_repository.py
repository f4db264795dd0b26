"""The SQL of the schedule, beside `catalogue.repository`: a show as a booking names it, the
formats shows may be in, and what scheduling a batch of shows checks."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.catalogue.models import Movie, Screen, Show, ShowFormat, Theatre


async def show_summary_rows(session: AsyncSession, show_ids: Iterable[uuid.UUID]) -> list[Any]:
    """(id, starts_at, format, language, subtitles, movie title, theatre name, its timezone,
    screen name) of each show, in one statement."""
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
        )
        .join(Movie, Movie.id == Show.movie_id)
        .join(Theatre, Theatre.id == Show.theatre_id)
        .join(Screen, Screen.id == Show.screen_id)
        .where(Show.id.in_(ids))
    )
    return list((await session.execute(query)).all())


async def formats(session: AsyncSession) -> list[ShowFormat]:
    return list(await session.scalars(select(ShowFormat).order_by(ShowFormat.rank)))
