"""What the counter announces (see `boxoffice.events`); other domains react to it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from boxoffice.bookings.models import Booking
from boxoffice.money.cancellation import Reversal


@dataclass(frozen=True)
class CounterSold:
    """A booking was sold and paid at the counter (`amount`, its total), in the transaction now
    open; `BookingStatusChanged` to BOOKED tells of the booking itself."""

    booking: Booking
    amount: int
    at: datetime


@dataclass(frozen=True)
class CounterRefunded:
    """Seats of a counter sale are being given back and refunded from the counter, in the
    transaction now open: `reversals` says what each seat's line gives back (by seat id),
    `amount` their sum. Published before the seats are given back (`SeatsCancelled`), as the
    shop's refund is, so that its credit note comes first."""

    booking: Booking
    amount: int
    reversals: Mapping[uuid.UUID, Reversal]
    at: datetime
    reason: str
