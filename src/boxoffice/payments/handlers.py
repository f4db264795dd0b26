"""How payments react to the bookings domain's events (subscribed in `boxoffice.wiring`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice import events
from boxoffice.bookings.events import SeatsCancelled
from boxoffice.payments import refunds
from boxoffice.payments.events import SeatsRefunded


async def refund_given_back_seats(session: AsyncSession, event: SeatsCancelled) -> None:
    """Seats a paid booking gives back (its customer cancelling by the policy, or the theatre)
    are refunded what their reversals sum to, as a partial refund when that is not all of the
    payment; the refund is announced with the reversals, for its credit note."""
    booking = event.booking
    amount = sum(reversal.total for reversal in event.reversals.values())
    refund = await refunds.refund_seats(session, booking, amount, event.at, event.reason)
    if refund is not None:
        await events.publish(
            session, SeatsRefunded(booking, refund, event.reversals, event.at, event.reason)
        )
