"""The tickets domain's problems; check-in clients branch on their `type`."""

from __future__ import annotations

from boxoffice.errors import Conflict, InvalidInput, NotFound


class InvalidTicket(InvalidInput):
    type_slug = "invalid-ticket"
    title = "This is not a valid ticket"


class AlreadyCheckedIn(Conflict):
    type_slug = "already-checked-in"
    title = "This ticket has already been checked in"


class TicketRevoked(Conflict):
    type_slug = "ticket-revoked"
    title = "This ticket was revoked"


class TicketNotValidNow(Conflict):
    type_slug = "ticket-not-valid-now"
    title = "This ticket is not valid at this time"


class NotBooked(Conflict):
    type_slug = "booking-not-booked"
    title = "This booking has no tickets"


class TicketNotFound(NotFound):
    type_slug = "ticket-not-found"
    title = "Ticket not found"


class TicketsCheckedIn(Conflict):
    """A cancel of seats whose tickets were used at the door: `checked_in` lists them."""

    type_slug = "checked-in"
    title = "A ticket of this booking has been checked in"
