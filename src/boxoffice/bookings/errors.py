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


class NotCancellable(Conflict):
    """Later than the last tier of the booking's cancellation policy: `cancellable_until` says
    when that was."""

    type_slug = "not-cancellable"
    title = "It is too late to cancel this booking"


class SeatsAlreadyCancelled(Conflict):
    """A partial cancellation named seats the booking already gave back (another cancellation
    of them won): `cancelled_seat_ids`."""

    type_slug = "seats-already-cancelled"
    title = "Some of these seats were cancelled already"


class SeatsNotInBooking(InvalidInput):
    """A partial cancellation named seats the booking never had: `unknown_seat_ids`."""

    type_slug = "seats-not-in-booking"
    title = "Some seat ids are not seats of this booking"


class ChargesChanged(Conflict):
    """The show's prices or its theatre's terms changed while the hold was being claimed, twice
    in a row: nothing was held; asking again holds at the new charges."""

    type_slug = "charges-changed"
    title = "The show's prices changed while holding; try again"


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


class SoldAtCounter(Conflict):
    """A counter sale is refunded at the counter (in cash from the drawer, or back to the card
    or UPI account it was paid from), not through the shop."""

    type_slug = "sold-at-counter"
    title = "This booking is refunded at the counter"
