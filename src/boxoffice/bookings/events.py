"""What the bookings domain announces (see `boxoffice.events`); other domains react to it."""

from __future__ import annotations

import uuid
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


@dataclass(frozen=True)
class BookingSeatsCancelling:
    """A cancel of a BOOKED booking's seats (`seat_ids`; every seat when None) by its customer
    or an admin is about to happen, in the transaction that holds the booking's lock. A domain
    that must refuse it raises (tickets: once a ticket of those seats is checked in)."""

    booking: Booking
    seat_ids: tuple[uuid.UUID, ...] | None


def involves_booked(event: BookingStatusChanged) -> bool:
    """Into or out of BOOKED: what tickets, refunds, emails and sales figures react to."""
    return event.status is BookingStatus.BOOKED or event.previous is BookingStatus.BOOKED
