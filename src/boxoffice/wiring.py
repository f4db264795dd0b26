"""The one place that knows the domains together: which reacts to which event (see
`boxoffice.events`), and what the catalogue asks of the domains above it (`catalogue.ports`)."""

from __future__ import annotations

from boxoffice import events
from boxoffice.accounts.events import GuestLinked, PasswordResetRequested
from boxoffice.bookings import handlers as bookings_handlers
from boxoffice.bookings import repository as bookings_repository
from boxoffice.bookings.events import (
    BookingSeatsCancelling,
    BookingStatusChanged,
    SeatsCancelled,
    involves_booked,
    partly,
)
from boxoffice.catalogue import ports as catalogue_ports
from boxoffice.catalogue.events import MovieDeleting, ShowCancelled
from boxoffice.counter.events import CounterRefunded, CounterSold
from boxoffice.invoicing import handlers as invoicing_handlers
from boxoffice.invoicing.events import InvoiceIssued
from boxoffice.notifications import handlers as notifications_handlers
from boxoffice.payments import handlers as payments_handlers
from boxoffice.payments.events import PaymentCaptured, PaymentRefundedOnArrival, SeatsRefunded
from boxoffice.pricing import service as pricing_service
from boxoffice.reports import handlers as reports_handlers
from boxoffice.reports import repository as reports_repository
from boxoffice.taxes import handlers as taxes_handlers
from boxoffice.tickets import handlers as tickets_handlers
from boxoffice.waitlist import handlers as waitlist_handlers
from boxoffice.waitlist.events import OfferMade


def register_handlers() -> None:
    """Subscribes every domain's handlers and gives the catalogue what it asks of the domains
    above it (`catalogue.ports`); idempotent, called by the app factory, the worker and the
    command line."""
    catalogue_ports.provide(
        catalogue_ports.Ports(
            pricing=pricing_service, seat_use=bookings_repository, sales=reports_repository
        )
    )
    # In this order: the refund of seats given back is recorded (and its credit note issued)
    # before the booking's status changes; then the invoice is issued, the tickets issued or
    # revoked, and the email (which names them) queued.
    # Each reacts only into or out of BOOKED, so a hold given up needs no transaction.
    events.subscribe(SeatsCancelled, payments_handlers.refund_given_back_seats)
    events.subscribe(SeatsRefunded, invoicing_handlers.credit_refunded_seats)
    events.subscribe(CounterRefunded, invoicing_handlers.credit_counter_refund)
    events.subscribe(CounterRefunded, reports_handlers.count_counter_refund)
    events.subscribe(SeatsCancelled, tickets_handlers.revoke_given_back, partly)
    events.subscribe(SeatsCancelled, reports_handlers.uncount_given_back, partly)
    events.subscribe(BookingStatusChanged, invoicing_handlers.invoice_booked, involves_booked)
    events.subscribe(
        BookingStatusChanged, tickets_handlers.tickets_on_status_change, involves_booked
    )
    events.subscribe(
        BookingStatusChanged, notifications_handlers.queue_for_status_change, involves_booked
    )
    events.subscribe(BookingSeatsCancelling, tickets_handlers.refuse_cancel_of_checked_in)
    events.subscribe(PaymentRefundedOnArrival, notifications_handlers.queue_for_refund_on_arrival)
    events.subscribe(BookingStatusChanged, reports_handlers.count_tickets, involves_booked)
    events.subscribe(PaymentCaptured, reports_handlers.count_capture)
    events.subscribe(CounterSold, reports_handlers.count_counter_sale)
    events.subscribe(InvoiceIssued, reports_handlers.count_invoice)
    events.subscribe(GuestLinked, bookings_handlers.move_guest_bookings)
    events.subscribe(GuestLinked, waitlist_handlers.move_guest_entries)
    events.subscribe(PasswordResetRequested, notifications_handlers.queue_password_reset)
    events.subscribe(ShowCancelled, bookings_handlers.cancel_bookings_of_show)
    events.subscribe(MovieDeleting, taxes_handlers.drop_waivers_of_movie)
    # Seats given back by a paid booking wake the show's waiting list (an outbox row); a hold
    # given up or run out is found by the worker's recheck, so the sale path's cancel of a hold
    # stays one statement (nothing reacts to it).
    events.subscribe(SeatsCancelled, waitlist_handlers.wake_on_seats_cancelled)
    events.subscribe(OfferMade, notifications_handlers.queue_waitlist_offer)
