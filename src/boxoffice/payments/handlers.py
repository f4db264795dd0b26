"""How payments react to the bookings domain's events (subscribed in `boxoffice.wiring`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.bookings.events import BookingStatusChanged
from boxoffice.bookings.models import BookingStatus
from boxoffice.payments import refunds


async def refund_cancelled_booking(session: AsyncSession, event: BookingStatusChanged) -> None:
    """A paid booking that is cancelled (by its customer, an admin or its show) is refunded."""
    if event.previous is BookingStatus.BOOKED and event.status is BookingStatus.CANCELLED:
        await refunds.request_refund(session, event.booking, event.at, event.reason)
