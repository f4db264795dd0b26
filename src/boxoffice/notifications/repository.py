"""All SQL of the notifications domain: the email outbox."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.catalogue.models import Movie, Screen, Show, Theatre
from boxoffice.db.engine import dialect_insert
from boxoffice.notifications.models import EmailStatus, OutboxEmail


@dataclass(frozen=True)
class ShowFacts:
    title: str
    theatre: str
    address: str
    timezone: str
    screen: str


async def show_facts(session: AsyncSession, show_id: uuid.UUID) -> ShowFacts:
    row = (
        await session.execute(
            select(Movie.title, Theatre.name, Theatre.address, Theatre.timezone, Screen.name)
            .select_from(Show)
            .join(Movie, Movie.id == Show.movie_id)
            .join(Screen, Screen.id == Show.screen_id)
            .join(Theatre, Theatre.id == Show.theatre_id)
            .where(Show.id == show_id)
        )
    ).one()
    return ShowFacts(*row)


async def enqueue(session: AsyncSession, email: OutboxEmail) -> bool:
    """Queues the email unless this booking already has one of this kind."""
    insert = dialect_insert(session)
    values = {column.key: getattr(email, column.key) for column in OutboxEmail.__table__.columns}
    result: Any = await session.execute(
        insert(OutboxEmail).values(**values).on_conflict_do_nothing()
    )
    return bool(result.rowcount)


_DUE = (EmailStatus.PENDING, EmailStatus.SENDING)


async def claim_due(
    session: AsyncSession, now: datetime, limit: int, lease: timedelta
) -> list[OutboxEmail]:
    """Claims up to `limit` due emails for this worker until `now + lease`.

    On PostgreSQL the rows another worker is claiming are skipped (SKIP LOCKED); the conditional
    UPDATE makes the claim exclusive on SQLite too. A SENDING row whose lease ran out (its
    worker died) is due again.
    """
    due = await session.scalars(
        select(OutboxEmail.id)
        .where(OutboxEmail.status.in_(_DUE), OutboxEmail.next_attempt_at <= now)
        .order_by(OutboxEmail.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(due)
    if not ids:
        return []
    claimed = list(
        await session.scalars(
            update(OutboxEmail)
            .where(
                OutboxEmail.id.in_(ids),
                OutboxEmail.status.in_(_DUE),
                OutboxEmail.next_attempt_at <= now,
            )
            .values(
                status=EmailStatus.SENDING,
                next_attempt_at=now + lease,
                attempts=OutboxEmail.attempts + 1,
            )
            .returning(OutboxEmail.id)
            .execution_options(synchronize_session=False)
        )
    )
    if not claimed:
        return []
    return list(
        await session.scalars(
            select(OutboxEmail)
            .where(OutboxEmail.id.in_(claimed))
            .order_by(OutboxEmail.created_at)
            .execution_options(populate_existing=True)
        )
    )


async def mark_sent(session: AsyncSession, email_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id == email_id)
        .values(status=EmailStatus.SENT, sent_at=now, last_error=None)
    )


async def mark_failed_attempt(
    session: AsyncSession, email_id: uuid.UUID, retry_at: datetime | None, error: str
) -> None:
    """Back to PENDING until `retry_at`, or FAILED for good when there is none."""
    values: dict[str, Any] = {"last_error": error[:500]}
    if retry_at is None:
        values["status"] = EmailStatus.FAILED
    else:
        values.update(status=EmailStatus.PENDING, next_attempt_at=retry_at)
    await session.execute(update(OutboxEmail).where(OutboxEmail.id == email_id).values(**values))
