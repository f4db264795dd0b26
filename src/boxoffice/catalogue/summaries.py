"""A show as a booking's answer names it (SPEC "Back office"): its movie, theatre and screen,
when (in the theatre's own offset, with the timezone), format and language."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.catalogue import schedule_repository

ShowSummary = dict[str, Any]  # JSON-ready; shared by the answers that name it: never changed


async def show_summaries(
    session: AsyncSession, show_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, ShowSummary]:
    """The summary of each of these shows, in one statement."""
    found = await summaries_and_queue_openings(session, show_ids)
    return {show_id: summary for show_id, (summary, _opening) in found.items()}


async def summaries_and_queue_openings(
    session: AsyncSession, show_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, tuple[ShowSummary, datetime | None]]:
    """Each show's summary and, for a show sold through the on-sale queue, when the queue
    opens (None: not queued), in one statement: what the sale path keeps of a show."""
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
            queue_opens_at,
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
            queue_opens_at,
        ) in rows
    }
