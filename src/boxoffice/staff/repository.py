"""All SQL of the staff domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.catalogue.models import Theatre
from boxoffice.staff.models import StaffTheatre


async def existing_theatres(
    session: AsyncSession, theatre_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    return set(await session.scalars(select(Theatre.id).where(Theatre.id.in_(theatre_ids))))


def assign(
    session: AsyncSession,
    user_id: uuid.UUID,
    theatre_ids: Sequence[uuid.UUID],
    *,
    counter: bool = False,
) -> None:
    session.add_all(
        StaffTheatre(user_id=user_id, theatre_id=t, counter=counter) for t in theatre_ids
    )


async def works_at(session: AsyncSession, user_id: uuid.UUID, theatre_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(StaffTheatre.user_id).where(
            StaffTheatre.user_id == user_id, StaffTheatre.theatre_id == theatre_id
        )
    )
    return found is not None


async def sells_at(session: AsyncSession, user_id: uuid.UUID, theatre_id: uuid.UUID) -> bool:
    """Whether the staff member has the `counter` permission at the theatre."""
    found = await session.scalar(
        select(StaffTheatre.user_id).where(
            StaffTheatre.user_id == user_id,
            StaffTheatre.theatre_id == theatre_id,
            StaffTheatre.counter,
        )
    )
    return found is not None
