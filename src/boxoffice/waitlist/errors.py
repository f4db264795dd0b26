"""The waiting list's problems, each with its own `type` so clients can branch on it."""

from __future__ import annotations

from boxoffice.errors import Conflict, InvalidInput, NotFound


class EntryNotFound(NotFound):
    type_slug = "waitlist-entry-not-found"
    title = "No such waiting-list entry"


class AlreadyWaiting(Conflict):
    type_slug = "already-waiting"
    title = "You are already on this show's waiting list"


class SeatsAvailable(Conflict):
    """The show has the seats asked for free now: hold them instead of waiting."""

    type_slug = "seats-available"
    title = "Seats matching the request are free now"


class PartyNeverFits(InvalidInput):
    type_slug = "party-never-fits"
    title = "This screen has no seats that could ever take the party as asked"


class ContactRequired(InvalidInput):
    type_slug = "contact-required"
    title = "A contact email is needed to join the waiting list"


class NoOffer(Conflict):
    type_slug = "no-offer"
    title = "This entry has no offer to decline"


class EntryOver(Conflict):
    type_slug = "waitlist-entry-over"
    title = "This waiting-list entry is over"
