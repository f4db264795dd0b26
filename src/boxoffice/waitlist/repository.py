"""All SQL of the waiting list: its entries, the worker's schedule of shows, the wake outbox."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, func, insert, literal, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.catalogue.models import ShowSeat
from boxoffice.db.base import UTCDateTime
from boxoffice.db.engine import dialect_insert
from boxoffice.waitlist.models import (
    ACTIVE,
    EntryStatus,
    WaitlistEntry,
    WaitlistShow,
    WaitlistWake,
)

_ORDER = (WaitlistEntry.created_at, WaitlistEntry.id)  # join order, ties broken for good


async def add_entry(session: AsyncSession, entry: WaitlistEntry) -> bool:
    """Adds the entry; False (nothing added) when the customer has an active one for the show
    already (the partial unique indexes, so two joins at once cannot both get in)."""
    try:
        async with session.begin_nested():
            session.add(entry)
            await session.flush()
    except IntegrityError:
        return False
    return True


async def active_entry_of(
    session: AsyncSession, show_id: uuid.UUID, user_id: uuid.UUID | None, guest_id: uuid.UUID | None
) -> WaitlistEntry | None:
    customer = (
        WaitlistEntry.user_id == user_id
        if user_id is not None
        else and_(WaitlistEntry.user_id.is_(None), WaitlistEntry.guest_id == guest_id)
    )
    return await session.scalar(
        select(WaitlistEntry).where(
            WaitlistEntry.show_id == show_id, customer, WaitlistEntry.status.in_(ACTIVE)
        )
    )


async def get_entry(
    session: AsyncSession, entry_id: uuid.UUID, *, for_update: bool = False
) -> WaitlistEntry | None:
    statement = select(WaitlistEntry).where(WaitlistEntry.id == entry_id)
    if for_update:
        statement = statement.with_for_update()
    result = await session.execute(statement.execution_options(populate_existing=True))
    return result.scalar_one_or_none()


async def waiting_ahead(session: AsyncSession, entry: WaitlistEntry) -> int:
    """Entries still waiting that joined before `entry` and want the same seats: of the same
    type, or either of them of any type."""
    same_seats = (
        true()
        if entry.seat_type is None
        else or_(WaitlistEntry.seat_type.is_(None), WaitlistEntry.seat_type == entry.seat_type)
    )
    earlier = or_(
        WaitlistEntry.created_at < entry.created_at,
        and_(WaitlistEntry.created_at == entry.created_at, WaitlistEntry.id < entry.id),
    )
    count = await session.scalar(
        select(func.count()).where(
            WaitlistEntry.show_id == entry.show_id,
            WaitlistEntry.status == EntryStatus.WAITING,
            same_seats,
            earlier,
        )
    )
    return int(count or 0)


async def entries_of_show(
    session: AsyncSession,
    show_id: uuid.UUID,
    statuses: Sequence[EntryStatus] | None = None,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> list[WaitlistEntry]:
    """The show's entries in join order (those of `statuses`, else all)."""
    statement = select(WaitlistEntry).where(WaitlistEntry.show_id == show_id)
    if statuses is not None:
        statement = statement.where(WaitlistEntry.status.in_(statuses))
    statement = statement.order_by(*_ORDER).offset(offset)
    if limit is not None:
        statement = statement.limit(limit)
    result = await session.scalars(statement.execution_options(populate_existing=True))
    return list(result)


async def count_entries(session: AsyncSession, show_id: uuid.UUID) -> int:
    count = await session.scalar(select(func.count()).where(WaitlistEntry.show_id == show_id))
    return int(count or 0)


async def set_status(
    session: AsyncSession,
    entry_id: uuid.UUID,
    status: EntryStatus,
    now: datetime,
    expected: Sequence[EntryStatus],
) -> bool:
    """Compare-and-set of the entry's status: False, nothing changed, when it is not in
    `expected` any more (another request or worker moved it first)."""
    result: Any = await session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.id == entry_id, WaitlistEntry.status.in_(expected))
        .values(status=status, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


async def mark_offered(
    session: AsyncSession,
    entry_id: uuid.UUID,
    booking_id: uuid.UUID,
    expires_at: datetime,
    now: datetime,
) -> bool:
    """WAITING -> OFFERED with its hold; False when it was not waiting any more."""
    result: Any = await session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.id == entry_id, WaitlistEntry.status == EntryStatus.WAITING)
        .values(
            status=EntryStatus.OFFERED,
            booking_id=booking_id,
            offer_expires_at=expires_at,
            offered_at=now,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


async def pass_over(session: AsyncSession, entry_ids: Sequence[uuid.UUID]) -> None:
    """These waiting entries were passed over by a later one's offer, once more."""
    if entry_ids:
        await session.execute(
            update(WaitlistEntry)
            .where(WaitlistEntry.id.in_(entry_ids), WaitlistEntry.status == EntryStatus.WAITING)
            .values(passed_over=WaitlistEntry.passed_over + 1)
            .execution_options(synchronize_session=False)
        )


async def link_guest_entries(
    session: AsyncSession, guest_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    """A linked guest's entries become the account's, but an active one for a show where the
    account waits already (one active entry per customer and show): that one stays the
    guest's."""
    waits = select(WaitlistEntry.show_id).where(
        WaitlistEntry.user_id == user_id, WaitlistEntry.status.in_(ACTIVE)
    )
    await session.execute(
        update(WaitlistEntry)
        .where(
            WaitlistEntry.guest_id == guest_id,
            WaitlistEntry.user_id.is_(None),
            or_(WaitlistEntry.status.not_in(ACTIVE), WaitlistEntry.show_id.not_in(waits)),
        )
        .values(user_id=user_id)
        .execution_options(synchronize_session=False)
    )


# --- the worker's schedule and the wake outbox -------------------------------------------------


async def schedule_show(session: AsyncSession, show_id: uuid.UUID, due_at: datetime) -> None:
    """The show has a waiting list: due for the worker at `due_at` at the latest."""
    await session.execute(
        dialect_insert(session)(WaitlistShow)
        .values(show_id=show_id, due_at=None)
        .on_conflict_do_nothing()
    )
    await session.execute(
        update(WaitlistShow)
        .where(
            WaitlistShow.show_id == show_id,
            or_(WaitlistShow.due_at.is_(None), WaitlistShow.due_at > due_at),
        )
        .values(due_at=due_at)
    )


async def wake(session: AsyncSession, show_id: uuid.UUID, now: datetime) -> None:
    """Seats of the show came back: an outbox row for the worker, written only when the show
    has a waiting list. An INSERT alone, so it never waits for the worker's lock on the show."""
    has_list = select(
        literal(uuid.uuid4(), WaitlistWake.id.type),
        literal(now, UTCDateTime()),
        WaitlistShow.show_id,
    ).where(WaitlistShow.show_id == show_id, WaitlistShow.due_at.is_not(None))
    await session.execute(
        insert(WaitlistWake).from_select(["id", "created_at", "show_id"], has_list)
    )


async def claim_due_show(
    session: AsyncSession, now: datetime, seen: Sequence[uuid.UUID] = ()
) -> uuid.UUID | None:
    """A show whose waiting list is due (its time came, or a wake row names it), but those
    `seen` already, locked for this transaction; the shows other workers hold are skipped (SKIP
    LOCKED; SQLite has one writer at a time)."""
    woken = exists().where(WaitlistWake.show_id == WaitlistShow.show_id)
    statement = select(WaitlistShow.show_id)
    if seen:
        statement = statement.where(WaitlistShow.show_id.not_in(seen))
    return await session.scalar(
        statement.where(WaitlistShow.due_at.is_not(None), or_(WaitlistShow.due_at <= now, woken))
        .order_by(WaitlistShow.due_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


async def wakes_of(session: AsyncSession, show_id: uuid.UUID) -> list[uuid.UUID]:
    statement = select(WaitlistWake.id).where(WaitlistWake.show_id == show_id)
    return list(await session.scalars(statement))


async def delete_wakes(session: AsyncSession, wake_ids: Sequence[uuid.UUID]) -> None:
    if wake_ids:
        await session.execute(delete(WaitlistWake).where(WaitlistWake.id.in_(wake_ids)))


async def set_due(session: AsyncSession, show_id: uuid.UUID, due_at: datetime | None) -> None:
    await session.execute(
        update(WaitlistShow).where(WaitlistShow.show_id == show_id).values(due_at=due_at)
    )


async def seat_prices(session: AsyncSession, show_id: uuid.UUID) -> dict[Any, int]:
    """Every seat of the show and its price now, taken or not (could a party ever fit?)."""
    rows = await session.execute(
        select(ShowSeat.seat_id, ShowSeat.price).where(ShowSeat.show_id == show_id)
    )
    return {seat_id: price for seat_id, price in rows}
