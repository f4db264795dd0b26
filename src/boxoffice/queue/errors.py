"""The on-sale queue's problems; the shop and the hold's clients branch on their `type`."""

from __future__ import annotations

from boxoffice.errors import Conflict, Forbidden, NotFound


class NotQueued(Conflict):
    type_slug = "show-not-queued"
    title = "This show is not sold through a queue"


class QueueClosed(Conflict):
    type_slug = "queue-closed"
    title = "This show is not on sale"


class QueueOpened(Conflict):
    type_slug = "queue-opened"
    title = "The queue has opened"


class OnSaleNotFound(NotFound):
    type_slug = "onsale-not-found"
    title = "On-sale not found"


class ShowInOnSale(Conflict):
    """The show sells through another on-sale in force, or (for a show's own queue routes)
    with other shows through this one: change it through that on-sale."""

    type_slug = "show-in-onsale"
    title = "This show sells through an on-sale"


class ShowNotInOnSale(NotFound):
    type_slug = "show-not-in-onsale"
    title = "This show does not sell through this on-sale"


class OnSaleNeedsAShow(Conflict):
    type_slug = "onsale-needs-a-show"
    title = "An on-sale sells one show at least"


class NotDrawn(NotFound):
    type_slug = "draw-not-made"
    title = "The queue's draw has not been made yet"


class VisitorUnknown(Forbidden):
    """No place of this queue: no token, a forged one, another on-sale's, or gone."""

    type_slug = "queue-place-unknown"
    title = "This is not a place in this queue"


class AdmissionRequired(Forbidden):
    type_slug = "admission-required"
    title = "This show is sold through a queue: holds need its admission"


class AdmissionInvalid(Forbidden):
    """A forged admission token, another on-sale's, or one past its expiry."""

    type_slug = "admission-invalid"
    title = "This admission does not admit to this show now"
