"""Shapes of the tax rule versions and the films' state waivers (SPEC "Money")."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, model_validator

from boxoffice.catalogue.schemas import IsoDate, Request
from boxoffice.money import tax
from boxoffice.money.terms import Paise, RateBp, StateCode
from boxoffice.taxes.models import TaxCategory


class SlabIn(Request):
    """`rate_bp` on a taxable value per ticket up to `up_to` paise, inclusive (null: no top)."""

    up_to: Paise | None
    rate_bp: RateBp


def _ascending(slabs: list[SlabIn]) -> list[SlabIn]:
    tax.check_ascending([slab.up_to for slab in slabs])
    return slabs


class TaxRuleCreate(Request):
    category: TaxCategory
    effective_from: IsoDate = Field(description="a date that has not begun anywhere yet")
    slabs: Annotated[
        list[SlabIn],
        Field(min_length=1, max_length=10, description="ascending, exactly one open top, last"),
        AfterValidator(_ascending),
    ]


class SlabOut(BaseModel):
    up_to: int | None
    rate_bp: int


class TaxRuleOut(BaseModel):
    id: uuid.UUID
    category: TaxCategory
    effective_from: date
    slabs: list[SlabOut]
    created_at: datetime


class TaxRuleList(BaseModel):
    items: list[TaxRuleOut]
    limit: int
    offset: int


class ExemptionCreate(Request):
    """A state waives its half (SGST) of a film's tickets in its theatres, `from` to `to`
    inclusive (dates local to the theatres)."""

    movie_id: uuid.UUID
    state_code: StateCode
    starts_on: IsoDate = Field(alias="from")
    ends_on: IsoDate = Field(alias="to")

    @model_validator(mode="after")
    def _in_order(self) -> ExemptionCreate:
        if self.ends_on < self.starts_on:
            raise ValueError("'to' must not be before 'from'")
        return self


class ExemptionOut(BaseModel):
    id: uuid.UUID
    movie_id: uuid.UUID
    state_code: str
    starts_on: date = Field(serialization_alias="from")
    ends_on: date = Field(serialization_alias="to")
    created_at: datetime


class ExemptionList(BaseModel):
    items: list[ExemptionOut]
    limit: int
    offset: int
