"""All SQL of the notifications domain: the email outbox."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import null, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.accounts.models import Guest, User
from boxoffice.bookings.models import Booking, BookingStatus
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


@dataclass(frozen=True)
class BookingFacts:
    """What every email of a booking names, as the database has it when the email is sent."""

    status: BookingStatus
    recipient: str | None  # the account's address, else the guest's contact address
    amount: int
    currency: str
    starts_at: datetime
    show: ShowFacts


async def booking_facts(
    session: AsyncSession, booking_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, BookingFacts]:
    """The facts of these bookings, in one statement for the worker's whole batch."""
    if not booking_ids:
        return {}
    rows = await session.execute(
        select(
            Booking.id,
            Booking.status,
            User.email,
            Guest.email,
            Booking.amount_total,
            Booking.currency,
            Show.starts_at,
            Movie.title,
            Theatre.name,
            Theatre.address,
            Theatre.timezone,
            Screen.name,
        )
        .select_from(Booking)
        .join(Show, Show.id == Booking.show_id)
        .join(Movie, Movie.id == Show.movie_id)
        .join(Screen, Screen.id == Show.screen_id)
        .join(Theatre, Theatre.id == Show.theatre_id)
        .outerjoin(User, User.id == Booking.user_id)
        .outerjoin(Guest, Guest.id == Booking.guest_id)
        .where(Booking.id.in_(booking_ids))
    )
    return {
        row[0]: BookingFacts(
            status=row[1],
            # A linked guest's booking belongs to the account: its address wins.
            recipient=row[2] if row[2] is not None else row[3],
            amount=row[4],
            currency=row[5],
            starts_at=row[6],
            show=ShowFacts(row[7], row[8], row[9], row[10], row[11]),
        )
        for row in rows
    }


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


async def mark_sent(
    session: AsyncSession,
    email_id: uuid.UUID,
    now: datetime,
    *,
    recipient: str,
    subject: str,
    message: str | None,
) -> None:
    """SENT, with what was sent; None: the message carried a secret (a password reset's link),
    kept nowhere once sent, so what it was composed from goes too."""
    values: dict[str, Any] = {"message": message}
    if message is None:
        values["params"] = null()  # SQL NULL (None would be JSON's null)
    await session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id == email_id)
        .values(
            status=EmailStatus.SENT,
            sent_at=now,
            last_error=None,
            recipient=recipient,
            subject=subject[:300],
            **values,
        )
    )


async def mark_skipped(session: AsyncSession, email_id: uuid.UUID, why: str) -> None:
    """Not to be sent: `why` says why (a booking's customer without an address)."""
    await session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id == email_id)
        .values(status=EmailStatus.SKIPPED, last_error=why[:500])
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
