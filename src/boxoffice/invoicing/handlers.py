"""How invoicing reacts to the bookings and payments domains' events (subscribed in
`boxoffice.wiring`), in the transaction of the change."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.bookings.events import BookingStatusChanged
from boxoffice.bookings.models import BookingStatus
from boxoffice.counter.events import CounterRefunded
from boxoffice.invoicing import service
from boxoffice.payments.events import SeatsRefunded


async def invoice_booked(session: AsyncSession, event: BookingStatusChanged) -> None:
    """A booking that becomes BOOKED, whichever path books it, gets its invoice."""
    if event.status is BookingStatus.BOOKED:
        await service.issue_invoice(session, event.booking, event.at)


async def credit_counter_refund(session: AsyncSession, event: CounterRefunded) -> None:
    """A refund paid at the counter gets its credit note like any other."""
    await service.issue_credit_note(
        session, event.booking, event.reversals, refund_id=None, reason=event.reason, at=event.at
    )


async def credit_refunded_seats(session: AsyncSession, event: SeatsRefunded) -> None:
    """A refund of an invoiced booking's seats gets its credit note."""
    await service.issue_credit_note(
        session,
        event.booking,
        event.reversals,
        refund_id=event.refund.id,
        reason=event.reason,
        at=event.at,
    )
