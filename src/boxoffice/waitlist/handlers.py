"""How the waiting list reacts to other domains' events (subscribed in `boxoffice.wiring`):
seats given back wake the show's list, in the transaction that gives them back (an outbox row
for the worker, `waitlist.offers`); a guest linked to an account brings its entries along."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.accounts.events import GuestLinked
from boxoffice.bookings.events import SeatsCancelled
from boxoffice.waitlist import repository


async def wake_on_seats_cancelled(session: AsyncSession, event: SeatsCancelled) -> None:
    await repository.wake(session, event.booking.show_id, event.at)


async def move_guest_entries(session: AsyncSession, event: GuestLinked) -> None:
    await repository.link_guest_entries(session, event.guest_id, event.user_id)
