"""What the payments domain announces (see `boxoffice.events`); other domains react to it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from boxoffice.bookings.models import Booking
from boxoffice.money.cancellation import Reversal
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


@dataclass(frozen=True)
class SeatsRefunded:
    """Seats of a paid booking are being refunded, in the transaction now open: `reversals`
    says what each seat's line gives back (by seat id); `refund` returns their sum.

    Not published for a payment refunded on arrival (it paid for no seat): only the refund of
    seats a booking held.
    """

    booking: Booking
    refund: Refund
    reversals: Mapping[uuid.UUID, Reversal]
    at: datetime
    reason: str
