"""How tickets react to the bookings domain's events (subscribed in `boxoffice.wiring`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.bookings.events import BookingSeatsCancelling, BookingStatusChanged, SeatsCancelled
from boxoffice.bookings.models import BookingStatus
from boxoffice.db.engine import session_settings
from boxoffice.tickets import repository, service
from boxoffice.tickets.errors import TicketsCheckedIn


async def tickets_on_status_change(session: AsyncSession, event: BookingStatusChanged) -> None:
    """BOOKED: one signed ticket per seat, in the same transaction. BOOKED -> CANCELLED (by the
    customer, an admin or the show's cancellation; refunded): its tickets are revoked."""
    if event.status is BookingStatus.BOOKED:
        # Without settings (a bare sessionmaker) tickets are signed with the database's keys.
        await service.issue_tickets(session, event.booking, session_settings(session), event.at)
    elif event.previous is BookingStatus.BOOKED:
        await service.revoke_tickets(session, event.booking.id, event.at)


async def revoke_given_back(session: AsyncSession, event: SeatsCancelled) -> None:
    """Seats a booking gave back while staying BOOKED: their tickets are revoked."""
    await service.revoke_tickets(session, event.booking.id, event.at, list(event.reversals))


async def refuse_cancel_of_checked_in(session: AsyncSession, event: BookingSeatsCancelling) -> None:
    """A ticket used at the door is not given back: its seats' cancel is refused (409)."""
    checked_in = await repository.lock_checked_in(session, event.booking.id, event.seat_ids)
    if checked_in:
        raise TicketsCheckedIn(
            "A ticket of these seats was checked in at the door: they cannot be cancelled.",
            checked_in=[str(ticket_id) for ticket_id in checked_in],
        )
