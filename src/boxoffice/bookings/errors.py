"""The booking domain's problems, each with its own `type` so clients can branch on it."""

from __future__ import annotations

from boxoffice.errors import Conflict, InvalidInput, NotFound, RateLimited


class SeatsUnavailable(Conflict):
    type_slug = "seats-unavailable"
    title = "Some of the seats are no longer available"


class UnknownSeats(InvalidInput):
    type_slug = "unknown-seats"
    title = "Some seat ids are not seats of this show"


class ShowNotOnSale(Conflict):
    type_slug = "show-not-on-sale"
    title = "This show is not on sale"


class TooManyHolds(Conflict):
    type_slug = "too-many-holds"
    title = "Too many seat holds for this show"


class TooManyHeldSeats(RateLimited):
    """Over a held-seats cap (per customer over all shows, or per address in one show): come
    back when one of those holds is paid, cancelled or runs out (`Retry-After`)."""

    type_slug = "too-many-held-seats"
    title = "Too many seats held at once"


class IllegalTransition(Conflict):
    type_slug = "illegal-transition"
    title = "That change is not allowed in the booking's current state"


class CancellationClosed(Conflict):
    type_slug = "cancellation-closed"
    title = "It is too late to cancel this booking"


class BookingNotFound(NotFound):
    type_slug = "booking-not-found"
    title = "Booking not found"


class ShowNotFound(NotFound):
    type_slug = "show-not-found"
    title = "Show not found"


class NotEnoughSeats(Conflict):
    """Best available: fewer free seats match (type, price) than were asked for; `available`
    says how many do."""

    type_slug = "not-enough-seats"
    title = "Not enough matching seats are free"
