"""Retention (SPEC "Scale"): `boxoffice archive --before DATE` drops the seat rows of shows that
ended before DATE (the theatre's local midnight) and stamps them `archived_at`. The seat rows are
most of a year's data and are read only while a show is on sale; the bookings (with their seats'
frozen charges), payments, refunds, invoices, tickets and the reports' totals are kept. An
archived show's seat map answers 410 (`ShowArchived`).

Batches of shows, each in its own short transaction (a show's seat rows locked only while they
go), so the command runs beside the sale; run twice, it archives nothing the second time. The
statements are the domain's own few, here with the rule they serve.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from boxoffice.catalogue.models import Show, ShowSeat, Theatre
from boxoffice.catalogue.seatmap import announce_seat_changes

BATCH = 50  # shows a transaction (12,500 seat rows of 250-seat screens)


@dataclass(frozen=True)
class Archived:
    shows: int
    seat_rows: int


def cutoff(before: date, timezone: str, now: datetime) -> datetime:
    """Shows ending before this instant go: `before`'s local midnight, never later than now
    (a show that has not ended keeps its seats whatever the date asked)."""
    return min(datetime.combine(before, time(), ZoneInfo(timezone)), now)


async def archive_ended_shows(
    sessions: async_sessionmaker[AsyncSession], before: date, now: datetime
) -> Archived:
    shows = rows = 0
    async with sessions() as session:
        theatres = list(await session.execute(select(Theatre.id, Theatre.timezone)))
    for theatre_id, timezone in theatres:
        ends_before = cutoff(before, timezone, now)
        while True:
            async with sessions() as session, session.begin():
                done = await _archive_batch(session, theatre_id, ends_before, now)
            if done is None:
                break
            shows, rows = shows + done.shows, rows + done.seat_rows
    return Archived(shows, rows)


async def _archive_batch(
    session: AsyncSession, theatre_id: uuid.UUID, ends_before: datetime, now: datetime
) -> Archived | None:
    ids = list(
        await session.scalars(
            select(Show.id)
            .where(
                Show.theatre_id == theatre_id,
                Show.ends_at < ends_before,
                Show.archived_at.is_(None),
            )
            .order_by(Show.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
    )
    if not ids:
        return None
    gone = await session.execute(delete(ShowSeat).where(ShowSeat.show_id.in_(ids)))
    await session.execute(update(Show).where(Show.id.in_(ids)).values(archived_at=now))
    await announce_seat_changes(ids, session)
    return Archived(len(ids), int(gone.rowcount or 0))  # type: ignore[attr-defined]
