"""A theatre's money terms as `PATCH /theatres/{id}` takes them and `GET` shows them: its GST
registration (`legal_name`, `gstin`, `state_code`, `sac`), `invoice_prefix`,
`prices_include_tax`, `convenience_fee` slabs and `cancellation_policy` tiers (SPEC "Money").

Each field is checked here on its own; whether they make a registration together (a gstin needs
the others, its first two digits are the state) is the catalogue service's check, on the
theatre as the change leaves it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    model_validator,
)

from boxoffice.money import cancellation, gst, tax

MAX_PRICE = 10_000_000  # the largest seat price (catalogue.schemas.MAX_AMOUNT)
MAX_FEE = 100_000  # ₹1,000 a ticket: anything above is a typo
MAX_SLABS = 10
MAX_MINUTES_BEFORE = 30 * 24 * 60

Paise = Annotated[int, Strict(), Field(ge=0, le=MAX_PRICE)]
RateBp = Annotated[int, Strict(), Field(ge=0, le=tax.BP, description="basis points: 1 % = 100")]

Gstin = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True),
    Field(description="15 characters: state code, PAN, number, Z, check character"),
    AfterValidator(gst.check_gstin),
]
StateCode = Annotated[
    str, Field(description="GST state code, e.g. 27"), AfterValidator(gst.check_state_code)
]
Sac = Annotated[
    str, Field(description="6 digits under heading 9996"), AfterValidator(gst.check_sac)
]
InvoicePrefix = Annotated[
    str,
    Field(description="1 to 8 capital letters or digits: PLZ gives PLZ/2026-27/000042"),
    AfterValidator(gst.check_invoice_prefix),
]


class FeeSlabIn(BaseModel):
    """The fee for tickets priced up to `up_to` paise (null: the open top): a flat `amount` in
    paise, or `rate_bp` of the ticket's price."""

    model_config = ConfigDict(extra="forbid")

    up_to: Paise | None
    amount: Annotated[int, Strict(), Field(ge=0, le=MAX_FEE)] | None = None
    rate_bp: RateBp | None = None

    @model_validator(mode="after")
    def _flat_or_share(self) -> FeeSlabIn:
        if (self.amount is None) == (self.rate_bp is None):
            raise ValueError("a fee slab has exactly one of amount and rate_bp")
        return self


class PolicyTierIn(BaseModel):
    """`refund_bp` of the tickets' totals back when cancelling at least `until_minutes_before`
    minutes before the show."""

    model_config = ConfigDict(extra="forbid")

    until_minutes_before: Annotated[int, Strict(), Field(ge=0, le=MAX_MINUTES_BEFORE)]
    refund_bp: RateBp


def _fee_slabs_ascend(slabs: list[FeeSlabIn]) -> list[FeeSlabIn]:
    if slabs:
        tax.check_ascending([slab.up_to for slab in slabs])
    return slabs


def _tiers_descend(tiers: list[PolicyTierIn]) -> list[PolicyTierIn]:
    cancellation.check_tiers(policy_of(t.model_dump() for t in tiers))
    return tiers


FeeSchedule = Annotated[
    list[FeeSlabIn],
    Field(max_length=MAX_SLABS, description="ascending, the last open; [] for no fee"),
    AfterValidator(_fee_slabs_ascend),
]
Policy = Annotated[
    list[PolicyTierIn],
    Field(max_length=MAX_SLABS, description="strictly descending in minutes and in refund"),
    AfterValidator(_tiers_descend),
]


def fee_schedule_of(stored: Sequence[dict[str, Any]]) -> tuple[tax.FeeSlab, ...]:
    return tuple(tax.FeeSlab(**slab) for slab in stored)


def policy_of(stored: Any) -> tuple[cancellation.Tier, ...]:
    return tuple(cancellation.Tier(**tier) for tier in stored)


def effective_policy(
    stored: Sequence[dict[str, Any]] | None, cutoff_minutes: int
) -> tuple[cancellation.Tier, ...]:
    """A theatre's own tiers, or the default policy when it has set none."""
    return cancellation.default_policy(cutoff_minutes) if stored is None else policy_of(stored)
