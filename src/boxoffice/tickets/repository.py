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


async def store_private_key(session: AsyncSession, kid: str, private_key: str) -> None:
    await session.execute(
        update(SigningKey)
        .where(SigningKey.kid == kid)
        .values(private_key=private_key)
        .execution_options(synchronize_session=False)
    )


async def retire_keys(session: AsyncSession, kids: Sequence[str], now: datetime) -> None:
    if kids:
        await session.execute(
            update(SigningKey)
            .where(SigningKey.kid.in_(kids), SigningKey.retired_at.is_(None))
            .values(retired_at=now)
            .execution_options(synchronize_session=False)
        )


async def kids_with_tickets_valid_after(
    session: AsyncSession, kids: Sequence[str], now: datetime
) -> set[str]:
    """Which of these keys signed a ticket that is valid after `now` (one index probe each)."""
    if not kids:
        return set()
    rows = await session.execute(
        select(Ticket.kid).where(Ticket.kid.in_(kids), Ticket.valid_until > now).distinct()
    )
    return {row[0] for row in rows}


async def tickets_of_retired_keys(session: AsyncSession, now: datetime, limit: int) -> list[Ticket]:
    """Valid tickets, not yet past their show, that a retired key signed."""
    retired = select(SigningKey.kid).where(SigningKey.retired_at.is_not(None))
    return list(
        await session.scalars(
            select(Ticket)
            .where(
                Ticket.kid.in_(retired),
                Ticket.status == TicketStatus.VALID,
                Ticket.valid_until > now,
            )
            .order_by(Ticket.id)
            .limit(limit)
        )
    )


# --- tickets --------------------------------------------------------------------------------


def add_tickets(session: AsyncSession, tickets: Sequence[Ticket]) -> None:
    session.add_all(tickets)


async def tickets_of_booking(session: AsyncSession, booking_id: uuid.UUID) -> list[Ticket]:
    """A booking's tickets in seat order (H8 before H10)."""
    tickets = await session.scalars(select(Ticket).where(Ticket.booking_id == booking_id))
    return sorted(tickets, key=lambda ticket: seat_order(ticket.seat_label))


async def tickets_of_bookings(
    session: AsyncSession, booking_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Ticket]]:
    """Each booking's tickets in seat order, in one statement (the email worker's batch)."""
    found: dict[uuid.UUID, list[Ticket]] = {booking_id: [] for booking_id in booking_ids}
    if not booking_ids:
        return found
    tickets = await session.scalars(select(Ticket).where(Ticket.booking_id.in_(booking_ids)))
    for ticket in sorted(tickets, key=lambda ticket: seat_order(ticket.seat_label)):
        found[ticket.booking_id].append(ticket)
    return found


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
    # A checked-in ticket was used: it stays as it is (a show cancelled after the doors opened
    # refunds its booking, but the door's record of who came in is kept).
    condition = and_(Ticket.booking_id == booking_id, Ticket.status == TicketStatus.VALID)
    if seat_ids is not None:
        condition = and_(condition, Ticket.seat_id.in_(seat_ids))
    result: Any = await session.execute(
        update(Ticket)
        .where(condition)
        .values(status=TicketStatus.REVOKED, revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


async def lock_checked_in(
    session: AsyncSession, booking_id: uuid.UUID, seat_ids: Sequence[uuid.UUID] | None
) -> list[uuid.UUID]:
    """The checked-in tickets among a booking's (of `seat_ids` only, when given), with every
    one of those tickets locked until the transaction ends: a scan's conditional write waits
    for it, then finds the ticket revoked, or the lock waits for a scan and sees it checked in."""
    statement = select(Ticket.id, Ticket.status).where(Ticket.booking_id == booking_id)
    if seat_ids is not None:
        statement = statement.where(Ticket.seat_id.in_(seat_ids))
    rows = await session.execute(statement.order_by(Ticket.id).with_for_update())
    return [row[0] for row in rows if row[1] is TicketStatus.CHECKED_IN]


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
