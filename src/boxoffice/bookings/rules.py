"""Pure rules of the booking lifecycle: which transitions are legal, what a status reads as."""

from __future__ import annotations

from datetime import datetime

from boxoffice.bookings.models import BookingStatus

PENDING = BookingStatus.PENDING
BOOKED = BookingStatus.BOOKED
CANCELLED = BookingStatus.CANCELLED
EXPIRED = BookingStatus.EXPIRED

# EXPIRED -> BOOKED is the late payment whose seats were still free (SPEC invariant 5).
LEGAL_TRANSITIONS: dict[BookingStatus, frozenset[BookingStatus]] = {
    PENDING: frozenset({BOOKED, CANCELLED, EXPIRED}),
    EXPIRED: frozenset({BOOKED}),
    BOOKED: frozenset({CANCELLED}),
    CANCELLED: frozenset(),
}


def is_legal(current: BookingStatus, target: BookingStatus) -> bool:
    return target in LEGAL_TRANSITIONS[current]


def effective_status(
    status: BookingStatus, expires_at: datetime | None, now: datetime
) -> BookingStatus:
    """A pending hold past its expiry reads as EXPIRED at once, before any sweeper runs."""
    if status is PENDING and expires_at is not None and expires_at <= now:
        return EXPIRED
    return status
