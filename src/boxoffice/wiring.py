"""The one place that knows which domain reacts to which event (see `boxoffice.events`)."""

from __future__ import annotations

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from boxoffice import events
from boxoffice.accounts.events import GuestLinked
from boxoffice.bookings import handlers as bookings_handlers
from boxoffice.bookings.events import (
    BookingStatusChanged,
    SeatsCancelled,
    involves_booked,
    partly,
)
from boxoffice.catalogue import service as catalogue_service
from boxoffice.catalogue.events import ShowCancelled
from boxoffice.invoicing import handlers as invoicing_handlers
from boxoffice.invoicing.events import InvoiceIssued
from boxoffice.notifications import handlers as notifications_handlers
from boxoffice.payments import handlers as payments_handlers
from boxoffice.payments.events import PaymentCaptured, PaymentRefundedOnArrival, SeatsRefunded
from boxoffice.reports import handlers as reports_handlers
from boxoffice.reports import repository as reports_repository
from boxoffice.tickets import handlers as tickets_handlers


def register_handlers() -> None:
    """Subscribes every domain's handlers; idempotent, called by the app factory and the worker."""
    # In this order: the refund of seats given back is recorded (and its credit note issued)
    # before the booking's status changes; then the invoice is issued, the tickets issued or
    # revoked, and the email (which names them) queued.
    # Each reacts only into or out of BOOKED, so a hold given up needs no transaction.
    events.subscribe(SeatsCancelled, payments_handlers.refund_given_back_seats)
    events.subscribe(SeatsRefunded, invoicing_handlers.credit_refunded_seats)
    events.subscribe(SeatsCancelled, tickets_handlers.revoke_given_back, partly)
    events.subscribe(SeatsCancelled, reports_handlers.uncount_given_back, partly)
    events.subscribe(BookingStatusChanged, invoicing_handlers.invoice_booked, involves_booked)
    events.subscribe(
        BookingStatusChanged, tickets_handlers.tickets_on_status_change, involves_booked
    )
    events.subscribe(
        BookingStatusChanged, notifications_handlers.queue_for_status_change, involves_booked
    )
    events.subscribe(PaymentRefundedOnArrival, notifications_handlers.queue_for_refund_on_arrival)
    events.subscribe(BookingStatusChanged, reports_handlers.count_tickets, involves_booked)
    events.subscribe(PaymentCaptured, reports_handlers.count_capture)
    events.subscribe(InvoiceIssued, reports_handlers.count_invoice)
    events.subscribe(GuestLinked, bookings_handlers.move_guest_bookings)
    events.subscribe(ShowCancelled, bookings_handlers.cancel_bookings_of_show)
    # The shows list reads the seats sold that reports keeps.
    catalogue_service.read_sold_seats_with(reports_repository.sold_seats)
    # The totals those handlers add up are written as each transaction commits.
    if not sa_event.contains(Session, "before_commit", reports_repository.write_show_sales):
        sa_event.listen(Session, "before_commit", reports_repository.write_show_sales)
        sa_event.listen(Session, "after_soft_rollback", reports_repository.forget_show_sales)
