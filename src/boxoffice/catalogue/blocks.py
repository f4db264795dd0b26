"""Seats blocked from sale in one show (SPEC "Back office": house seats, a broken seat, a camera
position), by the theatre's managers and admins.

A blocked seat reads BLOCKED in the seat map and on the live stream, and no claim takes it: the
hold's own atomic claim refuses it (`boxoffice_hold` on PostgreSQL, the ORM claim on SQLite, a
late payment's re-claim too), so the database decides, as for every seat. Blocking a seat that
is held (a live hold) or booked is refused (409 naming it) and blocks nothing; a seat whose hold
ran out is free, so it can be blocked (the late payment of that hold is then refunded, as for a
seat someone else took). Blocking a blocked seat again, or unblocking a seat that is not
blocked, changes nothing. Unblocking puts the seat on sale at once. Each block is kept with its
reason, who and when, and who lifted it and when (`seat_blocks`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.accounts.principal import Principal
from boxoffice.catalogue import access, block_repository
from boxoffice.catalogue.errors import SeatsNotBlockable, UnknownShowSeats
from boxoffice.catalogue.models import SeatBlock
from boxoffice.catalogue.seat_labels import seat_order
from boxoffice.catalogue.seatmap import announce_seat_changes
from boxoffice.db.base import new_id
from boxoffice.errors import InvalidInput


async def block_seats(
    session: AsyncSession,
    principal: Principal,
    show_id: uuid.UUID,
    seat_ids: Sequence[uuid.UUID],
    reason: str,
    now: datetime,
) -> list[SeatBlock]:
    """Takes these seats of the show off sale, all or none: the show's open blocks after."""
    await _managed_show(session, principal, show_id)
    rows = await _locked(session, show_id, seat_ids)
    taken = [
        row
        for row in rows
        if not row.blocked
        and row.booking_id is not None
        and (row.held_until is None or row.held_until > now)
    ]
    if taken:
        labels = sorted((row.label for row in taken), key=seat_order)
        raise SeatsNotBlockable(
            f"Held or booked, so not blocked: {', '.join(labels)}. Nothing was blocked.",
            unavailable_seat_ids=[str(row.seat_id) for row in taken],
            unavailable_seats=labels,
        )
    new = [row for row in rows if not row.blocked]
    if new:
        await block_repository.set_blocked(session, show_id, [row.seat_id for row in new], True)
        await block_repository.insert_blocks(
            session,
            [
                {
                    "id": new_id(),
                    "show_id": show_id,
                    "seat_id": row.seat_id,
                    "label": row.label,
                    "reason": reason,
                    "blocked_by": principal.actor,
                    "blocked_at": now,
                }
                for row in new
            ],
        )
        await announce_seat_changes([show_id], session)
    return await blocks_of_show(session, principal, show_id, checked=True)


async def unblock_seats(
    session: AsyncSession,
    principal: Principal,
    show_id: uuid.UUID,
    seat_ids: Sequence[uuid.UUID],
    now: datetime,
) -> list[SeatBlock]:
    """Puts these seats of the show back on sale: the show's open blocks after."""
    await _managed_show(session, principal, show_id)
    rows = await _locked(session, show_id, seat_ids)
    lifted = [row.seat_id for row in rows if row.blocked]
    if lifted:
        await block_repository.set_blocked(session, show_id, lifted, False)
        await block_repository.lift_blocks(session, show_id, lifted, principal.actor, now)
        await announce_seat_changes([show_id], session)
    return await blocks_of_show(session, principal, show_id, checked=True)


async def blocks_of_show(
    session: AsyncSession,
    principal: Principal,
    show_id: uuid.UUID,
    *,
    lifted: bool = False,
    checked: bool = False,
) -> list[SeatBlock]:
    """The show's open blocks in seat order (with `lifted`, the lifted ones too, after them)."""
    if not checked:
        await _managed_show(session, principal, show_id)
    blocks = await block_repository.blocks_of_show(session, show_id, lifted=lifted)
    return sorted(blocks, key=lambda b: (b.unblocked_at is not None, seat_order(b.label)))


async def _managed_show(session: AsyncSession, principal: Principal, show_id: uuid.UUID) -> None:
    """404 for no such show, 403 unless the caller runs its theatre (`catalogue.access`)."""
    await access.ensure_manages_show(session, principal, show_id)


async def _locked(
    session: AsyncSession, show_id: uuid.UUID, seat_ids: Sequence[uuid.UUID]
) -> Sequence[Any]:
    if len(set(seat_ids)) != len(seat_ids):
        raise InvalidInput("seat_ids lists a seat more than once.")
    rows = await block_repository.lock_show_seats(session, show_id, seat_ids)
    if len(rows) != len(seat_ids):
        known = {row.seat_id for row in rows}
        raise UnknownShowSeats(
            "These seat ids are not seats of this show.",
            unknown_seat_ids=[str(seat_id) for seat_id in seat_ids if seat_id not in known],
        )
    return rows
