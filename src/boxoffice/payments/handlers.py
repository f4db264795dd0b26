"""How payments react to the bookings domain's events (subscribed in `boxoffice.wiring`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice import events
from boxoffice.bookings import repository as bookings_repository
from boxoffice.bookings.events import BookingStatusChanged
from boxoffice.bookings.models import BookingStatus
from boxoffice.money import cancellation
from boxoffice.money import service as money_service
from boxoffice.payments import refunds
from boxoffice.payments.events import SeatsRefunded


async def refund_cancelled_booking(session: AsyncSession, event: BookingStatusChanged) -> None:
    """A paid booking that is cancelled (by its customer, an admin or its show) is refunded,
    all of it: every seat's line, fee included, is given back."""
    if event.previous is not BookingStatus.BOOKED or event.status is not BookingStatus.CANCELLED:
        return
    booking = event.booking
    refund = await refunds.request_refund(session, booking, event.at, event.reason)
    if refund is None:
        return
    seats = (await bookings_repository.seats_of(session, [booking.id]))[booking.id]
    lines = await money_service.booking_lines(session, booking.show_id, booking.created_at, seats)
    reversals = dict(
        zip((seat.seat_id for seat in seats), cancellation.theatre_refund(lines), strict=True)
    )
    await events.publish(session, SeatsRefunded(booking, refund, reversals, event.at, event.reason))
