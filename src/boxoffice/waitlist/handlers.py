"""How the waiting list reacts to other domains' events (subscribed in `boxoffice.wiring`):
seats given back wake the show's list, in the transaction that gives them back (an outbox row
for the worker, `waitlist.offers`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.bookings.events import SeatsCancelled
from boxoffice.waitlist import repository


async def wake_on_seats_cancelled(session: AsyncSession, event: SeatsCancelled) -> None:
    await repository.wake(session, event.booking.show_id, event.at)
