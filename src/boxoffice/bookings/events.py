"""What the bookings domain announces (see `boxoffice.events`); other domains react to it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from boxoffice.bookings.models import Booking, BookingStatus


@dataclass(frozen=True)
class BookingStatusChanged:
    """A booking moved from `previous` to `status`, in the transaction now open.

    Published for every recorded transition, except the sweeper's set-based PENDING -> EXPIRED,
    to which nothing reacts, and the sale path's cancel of a live hold while nothing reacts to
    PENDING -> CANCELLED (`boxoffice.events.reacts`).
    """

    booking: Booking
    previous: BookingStatus | None
    status: BookingStatus
    at: datetime
    reason: str


def involves_booked(event: BookingStatusChanged) -> bool:
    """Into or out of BOOKED: what tickets, refunds, emails and sales figures react to."""
    return event.status is BookingStatus.BOOKED or event.previous is BookingStatus.BOOKED
