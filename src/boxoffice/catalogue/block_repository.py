"""The SQL of seats blocked from sale in a show (`catalogue.blocks`): the catalogue's repository,
kept apart by job like its service.

A block is a write of the seat's inventory row (`show_seats.blocked`, counted in the seat map's
version like every seat write) and an audit row (`seat_blocks`). Rows are locked in (show, seat)
order, as every seat write locks them (bookings.repository), and waited for, not skipped: a
block that meets a hold being claimed sees what the hold left.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.catalogue.models import Seat, SeatBlock, ShowSeat


async def lock_show_seats(
    session: AsyncSession, show_id: uuid.UUID, seat_ids: Sequence[uuid.UUID]
) -> Sequence[Any]:
    """These seats of the show, locked in seat order: seat id, label, booking, held until,
    blocked (the seats that are not the show's are missing)."""
    result = await session.execute(
        select(
            ShowSeat.seat_id,
            ShowSeat.label,
            ShowSeat.booking_id,
            ShowSeat.held_until,
            ShowSeat.blocked,
        )
        .where(ShowSeat.show_id == show_id, ShowSeat.seat_id.in_(seat_ids))
        .order_by(ShowSeat.show_id, ShowSeat.seat_id)
        .with_for_update()
    )
    return result.all()


async def set_blocked(
    session: AsyncSession, show_id: uuid.UUID, seat_ids: Sequence[uuid.UUID], blocked: bool
) -> None:
    """Blocks (or unblocks) these seats of the show, already locked by `lock_show_seats`."""
    await session.execute(
        update(ShowSeat)
        .where(ShowSeat.show_id == show_id, ShowSeat.seat_id.in_(seat_ids))
        .values(blocked=blocked, version=ShowSeat.version + 1)
        .execution_options(synchronize_session=False)
    )


async def insert_blocks(session: AsyncSession, blocks: Sequence[dict[str, Any]]) -> None:
    await session.execute(insert(SeatBlock), list(blocks))


async def lift_blocks(
    session: AsyncSession,
    show_id: uuid.UUID,
    seat_ids: Sequence[uuid.UUID],
    actor: str,
    now: datetime,
) -> None:
    """Closes the open blocks of these seats: who put them back on sale, and when."""
    await session.execute(
        update(SeatBlock)
        .where(
            SeatBlock.show_id == show_id,
            SeatBlock.seat_id.in_(seat_ids),
            SeatBlock.unblocked_at.is_(None),
        )
        .values(unblocked_by=actor, unblocked_at=now)
        .execution_options(synchronize_session=False)
    )


async def lift_blocks_of_screen(session: AsyncSession, screen_id: uuid.UUID, now: datetime) -> None:
    """Closes the open blocks of the screen's seats, whose shows' seats a new layout replaces."""
    await session.execute(
        update(SeatBlock)
        .where(
            SeatBlock.seat_id.in_(select(Seat.id).where(Seat.screen_id == screen_id)),
            SeatBlock.unblocked_at.is_(None),
        )
        .values(unblocked_by="layout replaced", unblocked_at=now)
        .execution_options(synchronize_session=False)
    )


async def blocks_of_show(
    session: AsyncSession, show_id: uuid.UUID, *, lifted: bool = False
) -> list[SeatBlock]:
    """The show's open blocks (with `lifted`, the lifted ones too), oldest first."""
    query = select(SeatBlock).where(SeatBlock.show_id == show_id)
    if not lifted:
        query = query.where(SeatBlock.unblocked_at.is_(None))
    result = await session.scalars(query.order_by(SeatBlock.blocked_at, SeatBlock.label))
    return list(result)
