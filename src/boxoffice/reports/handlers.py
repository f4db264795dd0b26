"""How the reports' per-show totals follow the other domains' events (subscribed in
`boxoffice.wiring`), in the transaction of the change: added up as it goes, written as it
commits (`boxoffice.db.kept`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.bookings import repository as bookings_repository
from boxoffice.bookings.events import BookingStatusChanged, SeatsCancelled
from boxoffice.bookings.models import Booking, BookingChannel, BookingStatus
from boxoffice.counter.events import CounterRefunded, CounterSold
from boxoffice.invoicing.events import InvoiceIssued
from boxoffice.payments.events import PaymentCaptured
from boxoffice.reports import repository


async def count_tickets(session: AsyncSession, event: BookingStatusChanged) -> None:
    """A booking's seats count as sold while it is BOOKED."""
    if event.status is BookingStatus.BOOKED:
        sign = 1
    elif event.previous is BookingStatus.BOOKED:
        sign = -1
    else:
        return
    seats = (await bookings_repository.seats_of(session, [event.booking.id]))[event.booking.id]
    held = [seat for seat in seats if seat.cancelled_at is None]  # not given back before
    _count(session, event.booking, sign * len(held))


async def uncount_given_back(session: AsyncSession, event: SeatsCancelled) -> None:
    """Seats a booking gave back while staying BOOKED no longer count as sold."""
    _count(session, event.booking, -len(event.reversals))


def _count(session: AsyncSession, booking: Booking, tickets: int) -> None:
    """Seats sold (or given back), and the counter's part apart."""
    counter = tickets if booking.channel is BookingChannel.COUNTER else 0
    repository.add_to_show_sales(session, booking.show_id, tickets=tickets, counter_tickets=counter)


async def count_counter_sale(session: AsyncSession, event: CounterSold) -> None:
    """Money taken at the counter counts in the show's gross, and apart as the counter's."""
    repository.add_to_show_sales(
        session, event.booking.show_id, gross=event.amount, counter_gross=event.amount
    )


async def count_counter_refund(session: AsyncSession, event: CounterRefunded) -> None:
    repository.add_to_show_sales(session, event.booking.show_id, counter_refunded=event.amount)


async def count_capture(session: AsyncSession, event: PaymentCaptured) -> None:
    repository.add_to_show_sales(session, event.booking.show_id, gross=event.amount)


async def count_invoice(session: AsyncSession, event: InvoiceIssued) -> None:
    """What an invoice charged, split: the tickets' taxable value, the GST on tickets and fees,
    and the fees' taxable value (together, the invoice's total)."""
    repository.add_to_show_sales(
        session,
        event.show_id,
        taxable=event.tickets.taxable,
        cgst=event.tickets.cgst + event.fees.cgst,
        sgst=event.tickets.sgst + event.fees.sgst,
        fees=event.fees.taxable,
    )
