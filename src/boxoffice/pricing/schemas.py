"""Price rule shapes. Amounts are integer minor units (paise), 100 (one rupee, the smallest
amount Razorpay accepts) to 10,000,000 (one lakh rupees)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, RootModel, field_validator

from boxoffice.catalogue.models import DayType
from boxoffice.catalogue.schemas import Amount, FormatCode, PriceOverride, SeatTypeCode

MAX_RULES = 300


class PriceRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seat_type: SeatTypeCode
    day_type: DayType
    amount: Amount
    format: FormatCode | None = Field(
        None, description="a rule for shows of this format only; null: any format"
    )


class PriceRuleSet(RootModel[list[PriceRuleIn]]):
    """The whole rule set of a theatre or a screen; an empty list removes every rule."""

    root: list[PriceRuleIn] = Field(max_length=MAX_RULES)

    @field_validator("root")
    @classmethod
    def _one_rule_per_key(cls, rules: list[PriceRuleIn]) -> list[PriceRuleIn]:
        keys = [(r.seat_type, r.day_type.value, r.format or "any format") for r in rules]
        twice = sorted({"/".join(key) for key in keys if keys.count(key) > 1})
        if twice:
            raise ValueError(f"more than one rule for: {', '.join(twice)}")
        return rules


class PriceRuleOut(BaseModel):
    seat_type: str
    day_type: DayType
    amount: int
    format: str | None = None


class OverrideSet(RootModel[list[PriceOverride]]):
    """A show's own prices, per seat type (they beat every rule); an empty list removes them."""

    root: list[PriceOverride] = Field(max_length=20)

    @field_validator("root")
    @classmethod
    def _one_per_seat_type(cls, overrides: list[PriceOverride]) -> list[PriceOverride]:
        types = [o.seat_type for o in overrides]
        twice = sorted({t for t in types if types.count(t) > 1})
        if twice:
            raise ValueError(f"more than one override for: {', '.join(twice)}")
        return overrides


class OverrideOut(BaseModel):
    seat_type: str
    amount: int
