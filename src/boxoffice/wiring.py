"""The one place that knows which domain reacts to which event (see `boxoffice.events`)."""

from __future__ import annotations

from boxoffice import events
from boxoffice.bookings.events import BookingStatusChanged
from boxoffice.payments import handlers as payments_handlers


def register_handlers() -> None:
    """Subscribes every domain's handlers; idempotent, called by the app factory and the worker."""
    events.subscribe(BookingStatusChanged, payments_handlers.refund_cancelled_booking)
