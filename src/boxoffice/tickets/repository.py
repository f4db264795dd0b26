"""All SQL of the tickets domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.catalogue.seat_labels import seat_order
from boxoffice.db.engine import dialect_insert
from boxoffice.tickets.models import CheckinAnswer, SigningKey, Ticket, TicketStatus

# --- signing keys ---------------------------------------------------------------------------


async def signing_keys(session: AsyncSession) -> list[SigningKey]:
    """Every key, newest first."""
    return list(await session.scalars(select(SigningKey).order_by(SigningKey.generation.desc())))


async def newest_generation(session: AsyncSession) -> int:
    value = await session.scalar(select(func.max(SigningKey.generation)))
    return int(value or 0)


async def insert_key_if_absent(
    session: AsyncSession,
    generation: int,
    kid: str,
    private_key: str,
    public_key: str,
    now: datetime,
) -> bool:
    """Adds the key of `generation` unless a racing process added that generation first."""
    insert = dialect_insert(session)
    result: Any = await session.execute(
        insert(SigningKey)
        .values(
            kid=kid,
            generation=generation,
            private_key=private_key,
            public_key=public_key,
            created_at=now,
        )
        .on_conflict_do_nothing()
    )
    return bool(result.rowcount)


# --- tickets --------------------------------------------------------------------------------


def add_tickets(session: AsyncSession, tickets: Sequence[Ticket]) -> None:
    session.add_all(tickets)


async def tickets_of_booking(session: AsyncSession, booking_id: uuid.UUID) -> list[Ticket]:
    """A booking's tickets in seat order (H8 before H10)."""
    tickets = await session.scalars(select(Ticket).where(Ticket.booking_id == booking_id))
    return sorted(tickets, key=lambda ticket: seat_order(ticket.seat_label))


async def get_ticket(
    session: AsyncSession, ticket_id: uuid.UUID, *, refresh: bool = False
) -> Ticket | None:
    statement = select(Ticket).where(Ticket.id == ticket_id)
    if refresh:
        statement = statement.execution_options(populate_existing=True)
    ticket: Ticket | None = await session.scalar(statement)
    return ticket


async def revoke_booking_tickets(
    session: AsyncSession,
    booking_id: uuid.UUID,
    now: datetime,
    seat_ids: Sequence[uuid.UUID] | None = None,
) -> int:
    condition = and_(Ticket.booking_id == booking_id, Ticket.status != TicketStatus.REVOKED)
    if seat_ids is not None:
        condition = and_(condition, Ticket.seat_id.in_(seat_ids))
    result: Any = await session.execute(
        update(Ticket)
        .where(condition)
        .values(status=TicketStatus.REVOKED, revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


async def check_in(
    session: AsyncSession, ticket_id: uuid.UUID, now: datetime, gate: str | None, actor: str
) -> bool:
    """VALID -> CHECKED_IN as one conditional write: of racing scans, exactly one succeeds."""
    result = await session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.status == TicketStatus.VALID)
        .values(status=TicketStatus.CHECKED_IN, checked_in_at=now, gate=gate, checked_in_by=actor)
        .returning(Ticket.id)
        .execution_options(synchronize_session=False)
    )
    return result.first() is not None


async def admitted(session: AsyncSession, show_id: uuid.UUID) -> int:
    """Tickets of the show checked in so far (by the index on show and status)."""
    statement = select(func.count()).where(
        Ticket.show_id == show_id, Ticket.status == TicketStatus.CHECKED_IN
    )
    return int(await session.scalar(statement) or 0)


async def revoked_of_show(
    session: AsyncSession, show_id: uuid.UUID, since: datetime | None, limit: int
) -> list[tuple[uuid.UUID, datetime]]:
    statement = select(Ticket.id, Ticket.revoked_at).where(
        Ticket.show_id == show_id, Ticket.revoked_at.is_not(None)
    )
    if since is not None:
        statement = statement.where(Ticket.revoked_at >= since)
    rows = await session.execute(statement.order_by(Ticket.revoked_at, Ticket.id).limit(limit))
    return [(row[0], row[1]) for row in rows if row[1] is not None]


# --- check-in answers by nonce ---------------------------------------------------------------


async def get_answer(
    session: AsyncSession, ticket_id: uuid.UUID, nonce: str
) -> CheckinAnswer | None:
    answer: CheckinAnswer | None = await session.get(CheckinAnswer, (ticket_id, nonce))
    return answer


async def insert_answer_if_absent(
    session: AsyncSession,
    ticket_id: uuid.UUID,
    nonce: str,
    status_code: int,
    body: dict[str, Any],
    now: datetime,
) -> bool:
    insert = dialect_insert(session)
    result: Any = await session.execute(
        insert(CheckinAnswer)
        .values(
            ticket_id=ticket_id, nonce=nonce, status_code=status_code, body=body, created_at=now
        )
        .on_conflict_do_nothing()
    )
    return bool(result.rowcount)
