"""How tickets react to the bookings domain's events (subscribed in `boxoffice.wiring`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.bookings.events import BookingStatusChanged, SeatsCancelled
from boxoffice.bookings.models import BookingStatus
from boxoffice.db.engine import session_settings
from boxoffice.tickets import service


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
