"""Problem types of the catalogue."""

from __future__ import annotations

from boxoffice.errors import (
    Conflict,
    Gone,
    InvalidInput,
    NotFound,
    RateLimited,
    UnsupportedMediaType,
)


class TheatreNotFound(NotFound):
    type_slug = "theatre-not-found"
    title = "Theatre not found"


class ShowArchived(Gone):
    """The show ended and was archived (`boxoffice archive`): its seat rows are gone; its
    bookings, payments, invoices and reports are kept."""

    type_slug = "show-archived"
    title = "Show archived"


class ScreenNotFound(NotFound):
    type_slug = "screen-not-found"
    title = "Screen not found"


class MovieNotFound(NotFound):
    type_slug = "movie-not-found"
    title = "Movie not found"


class PosterNotFound(NotFound):
    type_slug = "poster-not-found"
    title = "Poster not found"


class NotAnImage(UnsupportedMediaType):
    type_slug = "not-an-image"
    title = "Not an image the server takes"


class UnreadableImage(InvalidInput):
    type_slug = "unreadable-image"
    title = "The image cannot be used"


class ShowNotFound(NotFound):
    type_slug = "show-not-found"
    title = "Show not found"


class UnknownReference(InvalidInput):
    """The body names a movie or screen that does not exist (the URL's resource does)."""

    type_slug = "unknown-reference"
    title = "The request refers to something that does not exist"


class UnknownSeatTypes(InvalidInput):
    type_slug = "unknown-seat-types"
    title = "Unknown seat types"


class ScreenNameTaken(Conflict):
    type_slug = "screen-name-taken"
    title = "The theatre already has a screen with that name"


class ShowOverlap(Conflict):
    type_slug = "show-overlap"
    title = "The screen is busy at that time"


class UnpriceableShow(InvalidInput):
    type_slug = "unpriceable-show"
    title = "Some seats of the show have no price"


class InvalidShowTime(InvalidInput):
    type_slug = "invalid-show-time"
    title = "The show cannot start at that time"


class ShowNotCancellable(Conflict):
    type_slug = "show-not-cancellable"
    title = "The show cannot be cancelled"


class LayoutLocked(Conflict):
    type_slug = "layout-locked"
    title = "The screen's layout cannot change"


class MovieInUse(Conflict):
    type_slug = "movie-in-use"
    title = "The movie has scheduled shows"


class TooManyStreams(RateLimited):
    """A live seat stream refused: its client address, or this process, has as many open as it
    may, or this process follows as many shows as it may. The shop polls the seat map instead
    and tries the stream again later."""

    type_slug = "too-many-streams"
    title = "Too many live seat streams"


class SeatsNotBlockable(Conflict):
    """Blocking seats that are held or booked in the show (`unavailable_seat_ids`,
    `unavailable_seats` by label): nothing was blocked."""

    type_slug = "seats-not-blockable"
    title = "Some of the seats are held or booked"


class UnknownShowSeats(InvalidInput):
    """Seat ids that are not seats of the show (`unknown_seat_ids`)."""

    type_slug = "unknown-seats"
    title = "Some seat ids are not seats of this show"


class UnknownFormat(InvalidInput):
    type_slug = "unknown-format"
    title = "Not a format shows are given in"


class LanguageNotReleased(InvalidInput):
    type_slug = "language-not-released"
    title = "The movie is not released in that language"


class ShowBatchRefused(InvalidInput):
    """Some shows of a batch cannot be scheduled: `errors` names each by its index, with its
    problem (`type`, `status`, `detail` and what that problem adds); none was scheduled."""

    type_slug = "show-batch-refused"
    title = "Some shows of the batch cannot be scheduled"
