"""All SQL of the bookings domain."""

from __future__ import annotations

import uuid

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.bookings.models import Booking


async def link_guest_bookings(
    session: AsyncSession, guest_id: uuid.UUID, user_id: uuid.UUID
) -> int:
    """Moves every booking of a guest, pending ones included, to the user's account."""
    result = await session.execute(
        update(Booking).where(Booking.guest_id == guest_id).values(user_id=user_id)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
