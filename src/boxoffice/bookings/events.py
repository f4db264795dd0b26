"""What the bookings domain announces (see `boxoffice.events`); other domains react to it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from boxoffice.bookings.models import Booking, BookingStatus
from boxoffice.money.cancellation import Reversal


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


@dataclass(frozen=True)
class SeatsCancelled:
    """Seats of a BOOKED booking are being given back, in the transaction now open: all that it
    still holds (`whole`: the booking is about to become CANCELLED, and `BookingStatusChanged`
    follows), or some of them (the booking stays BOOKED with the rest). `reversals` says, by
    seat id, what each seat's line gives back: by the booking's policy when its customer
    cancels (the fee kept), everything when the theatre does (its show cancelled, an admin).

    Published before the status change, so that what reacts to that (the email naming the
    refund) finds the refund recorded.
    """

    booking: Booking
    reversals: Mapping[uuid.UUID, Reversal]
    at: datetime
    reason: str
    whole: bool


def partly(event: SeatsCancelled) -> bool:
    """Some seats given back, the booking staying BOOKED: what tickets and sales figures react
    to (a whole cancellation reaches them as `BookingStatusChanged`)."""
    return not event.whole
