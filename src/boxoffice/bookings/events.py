"""What the bookings domain announces (see `boxoffice.events`); other domains react to it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from boxoffice.bookings.models import Booking, BookingStatus


@dataclass(frozen=True)
class BookingStatusChanged:
    """A booking moved from `previous` to `status`, in the transaction now open.

    Published for every recorded transition, except the sweeper's set-based PENDING -> EXPIRED,
    to which nothing reacts.
    """

    booking: Booking
    previous: BookingStatus | None
    status: BookingStatus
    at: datetime
    reason: str
