"""Tax rule versions and films' state waivers: anyone reads, an admin adds."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query

from boxoffice.accounts.dependencies import AdminDep
from boxoffice.dependencies import Limit, NowDep, Offset, ReadSessionDep, SessionDep
from boxoffice.money.terms import StateCode
from boxoffice.taxes import service
from boxoffice.taxes.models import TaxCategory
from boxoffice.taxes.schemas import (
    ExemptionCreate,
    ExemptionList,
    ExemptionOut,
    TaxRuleCreate,
    TaxRuleList,
    TaxRuleOut,
)

router = APIRouter(tags=["taxes"])


@router.get("/admin/tax-rules", response_model=TaxRuleList)
async def list_tax_rules(
    session: ReadSessionDep,
    category: TaxCategory | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> TaxRuleList:
    """Every version of the tax rules, by category and date: a version is in force from its
    `effective_from` until the next one's."""
    items = await service.list_rules(session, category, limit, offset)
    return TaxRuleList(items=items, limit=limit, offset=offset)


@router.post(
    "/admin/tax-rules",
    status_code=201,
    response_model=TaxRuleOut,
    responses={409: {"description": "The category already has a version from that date"}},
)
async def add_tax_rule(
    body: TaxRuleCreate, session: SessionDep, now: NowDep, _admin: AdminDep
) -> TaxRuleOut:
    """A new version of a category's slabs from a future date; versions never change, and a
    booking keeps the rate it was held at."""
    return await service.add_rule(session, body, now)


@router.get("/admin/tax-exemptions", response_model=ExemptionList)
async def list_tax_exemptions(
    session: ReadSessionDep,
    movie_id: uuid.UUID | None = None,
    state_code: StateCode | None = Query(None),
    limit: Limit = 50,
    offset: Offset = 0,
) -> ExemptionList:
    rows = await service.list_exemptions(session, movie_id, state_code, limit, offset)
    items = [ExemptionOut.model_validate(row, from_attributes=True) for row in rows]
    return ExemptionList(items=items, limit=limit, offset=offset)


@router.post("/admin/tax-exemptions", status_code=201, response_model=ExemptionOut)
async def add_tax_exemption(
    body: ExemptionCreate, session: SessionDep, now: NowDep, _admin: AdminDep
) -> ExemptionOut:
    """A state waives its half of the GST (SGST) on a film's tickets in its theatres, for a
    period: a "tax-free" film. Holds in that period are charged CGST only."""
    exemption = await service.add_exemption(session, body, now)
    return ExemptionOut.model_validate(exemption, from_attributes=True)
