"""Problem types of pricing."""

from __future__ import annotations

from boxoffice.errors import Conflict


class RulesLeaveShowsUnpriced(Conflict):
    type_slug = "rules-leave-shows-unpriced"
    title = "The new rules would leave scheduled shows without a price"


class ShowNotRepriceable(Conflict):
    type_slug = "show-not-repriceable"
    title = "The show's prices cannot change any more"
