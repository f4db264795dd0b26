"""The counter's problems, each with its own `type` so the counter page can branch on it."""

from __future__ import annotations

from boxoffice.errors import Conflict, Forbidden, InvalidInput, NotFound


class ShiftNotFound(NotFound):
    type_slug = "shift-not-found"
    title = "No such shift"


class ShiftAlreadyOpen(Conflict):
    type_slug = "shift-already-open"
    title = "You already have an open shift"


class NoOpenShift(Conflict):
    type_slug = "no-open-shift"
    title = "Open a shift first"


class ShiftClosed(Conflict):
    type_slug = "shift-closed"
    title = "This shift is closed"


class ShiftElsewhere(Conflict):
    type_slug = "shift-at-another-theatre"
    title = "Your open shift is at another theatre"


class NotYourShift(Forbidden):
    type_slug = "not-your-shift"
    title = "A shift belongs to its cashier"


class TenderedTooLittle(InvalidInput):
    type_slug = "tendered-too-little"
    title = "The cash tendered is less than the total"


class PaymentIncomplete(InvalidInput):
    type_slug = "payment-incomplete"
    title = "The payment lacks what its method needs"


class SaleNotFound(NotFound):
    type_slug = "sale-not-found"
    title = "No such counter sale"


class NotACounterSale(Conflict):
    type_slug = "not-a-counter-sale"
    title = "This booking was not sold at the counter"


class NothingOwed(Conflict):
    type_slug = "nothing-owed"
    title = "Nothing is owed back on this sale"
