"""A show as a booking's answer names it (SPEC "Back office"): its movie, theatre and screen,
when (in the theatre's own offset, with the timezone), format and language."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.catalogue import schedule_repository

ShowSummary = dict[str, Any]  # JSON-ready; shared by the answers that name it: never changed


async def show_summaries(
    session: AsyncSession, show_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, ShowSummary]:
    """The summary of each of these shows, in one statement."""
    found = await summaries_and_onsales(session, show_ids)
    return {show_id: summary for show_id, (summary, _onsale) in found.items()}


async def summaries_and_onsales(
    session: AsyncSession, show_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, tuple[ShowSummary, uuid.UUID | None]]:
    """Each show's summary and, for a show sold through an on-sale's queue, that on-sale, whose
    admission its holds need (None: not queued), in one statement: what the sale path keeps of
    a show."""
    rows = await schedule_repository.show_summary_rows(session, show_ids)
    return {
        show_id: (
            {
                "movie_title": title,
                "theatre_name": theatre,
                "screen_name": screen,
                "starts_at": starts_at.astimezone(ZoneInfo(timezone)).isoformat(),
                "timezone": timezone,
                "format": format_,
                "language": language,
                "subtitles": subtitles,
            },
            onsale_id,
        )
        for (
            show_id,
            starts_at,
            format_,
            language,
            subtitles,
            title,
            theatre,
            timezone,
            screen,
            onsale_id,
        ) in rows
    }
