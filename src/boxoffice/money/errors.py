"""Problem types of money."""

from __future__ import annotations

from boxoffice.errors import Conflict, InvalidInput


class InconsistentPrice(InvalidInput):
    """An inclusive price whose taxable value lands outside the slab whose rate gave it."""

    type_slug = "price-fits-no-tax-slab"
    title = "A price that includes GST fits no slab of the rates in force"


class InvalidRegistration(InvalidInput):
    type_slug = "invalid-gst-registration"
    title = "The theatre's GST registration is incomplete or inconsistent"


class InvalidTaxRule(InvalidInput):
    type_slug = "invalid-tax-rule"
    title = "The tax rule version is not valid"


class TaxRuleDateTaken(Conflict):
    type_slug = "tax-rule-date-taken"
    title = "The category already has a version from that date"
