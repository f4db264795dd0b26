"""A booking's cancellation policy applied to its seats (SPEC "Money": cancellation policy).

Pure: no I/O. The policy is the one the booking froze when its seats were held (bookings from
before policies were frozen: the default policy, one tier of 100 % until
`CANCELLATION_CUTOFF_MINUTES`). A customer cancelling gets back the current tier's share of
each ticket's total, the convenience fees kept; after the last tier they cannot cancel. The
theatre cancelling (its show cancelled, or an admin cancelling a booking for it) gives
everything back, fees included. Seats are worked out one by one (`money.cancellation`), so
giving seats back one at a time returns exactly what giving them back together does.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from boxoffice.bookings.charges import seat_line
from boxoffice.bookings.models import Booking, BookingSeat
from boxoffice.config import Settings
from boxoffice.money import cancellation
from boxoffice.money.cancellation import Quote, Reversal, Tier
from boxoffice.money.terms import effective_policy

DEFAULT_CUTOFF_MINUTES = Settings.model_fields["cancellation_cutoff_minutes"].default


def policy_of(booking: Booking, settings: Settings | None) -> tuple[Tier, ...]:
    """The tiers the booking froze, or the default policy for one that froze none."""
    cutoff = settings.cancellation_cutoff_minutes if settings else DEFAULT_CUTOFF_MINUTES
    return effective_policy(booking.cancellation_policy, cutoff)


@dataclass(frozen=True)
class GivenBack:
    """What cancelling some seats gives back: each seat's reversal, in the seats' order."""

    seats: Sequence[BookingSeat]
    reversals: Sequence[Reversal]

    @property
    def total(self) -> int:
        return sum(reversal.total for reversal in self.reversals)

    def by_seat(self) -> dict[uuid.UUID, Reversal]:
        return {seat.seat_id: r for seat, r in zip(self.seats, self.reversals, strict=True)}


def by_customer(quote: Quote, seats: Sequence[BookingSeat]) -> GivenBack:
    """The customer's cancellation of `seats` at the moment of `quote` (allowed): the tier's
    share of each ticket, the fees kept."""
    lines = [seat_line(seat) for seat in seats]
    return GivenBack(seats, cancellation.customer_refund(lines, quote.refund_bp))


def by_theatre(seats: Sequence[BookingSeat]) -> GivenBack:
    """The theatre's cancellation of `seats`: everything back, fees included."""
    return GivenBack(seats, cancellation.theatre_refund([seat_line(seat) for seat in seats]))


def quote_now(
    policy: Sequence[Tier], starts_at: datetime, now: datetime, seats: Sequence[BookingSeat]
) -> tuple[Quote, int]:
    """What cancelling these seats now would give their customer back (0 when not allowed)."""
    quote = cancellation.quote(policy, starts_at, now)
    return quote, by_customer(quote, seats).total if quote.allowed else 0
