"""What the payments domain announces (see `boxoffice.events`); other domains react to it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from boxoffice.bookings.models import Booking
from boxoffice.payments.models import Refund


@dataclass(frozen=True)
class PaymentCaptured:
    """Money was captured for a booking, in the transaction now open: its payment, once, or a
    second payment for its order that was already paid (refunded at once)."""

    booking: Booking
    amount: int
    at: datetime


@dataclass(frozen=True)
class PaymentRefundedOnArrival:
    """A captured payment that could not book its booking (the hold ran out and its seats were
    taken, the booking or show was cancelled, the amount was wrong) or that paid an order a
    second time is being refunded in full, in the transaction now open.

    The refund of a cancelled BOOKED booking is not announced here: `BookingStatusChanged`
    tells of that cancellation.
    """

    booking: Booking
    refund: Refund
    at: datetime
