"""All SQL of the accounts domain."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.accounts.models import Guest


async def get_guest(session: AsyncSession, guest_id: uuid.UUID) -> Guest | None:
    return await session.get(Guest, guest_id)
