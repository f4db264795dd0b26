"""How bookings react to other domains' events (subscribed in `boxoffice.wiring`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.accounts.events import GuestLinked
from boxoffice.bookings import repository


async def move_guest_bookings(session: AsyncSession, event: GuestLinked) -> None:
    """A linked guest's bookings, pending ones included, follow it into the account."""
    await repository.link_guest_bookings(session, event.guest_id, event.user_id)
