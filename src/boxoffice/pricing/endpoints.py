"""Price rules of theatres and screens (their managers and admins write, anyone reads)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from boxoffice.accounts.dependencies import TheatreManagerDep
from boxoffice.catalogue.access import ScreenManagerDep, ShowManagerDep
from boxoffice.dependencies import NowDep, ReadSessionDep, SessionDep
from boxoffice.pricing import service
from boxoffice.pricing.schemas import OverrideOut, OverrideSet, PriceRuleOut, PriceRuleSet

router = APIRouter(tags=["pricing"])


@router.get("/theatres/{theatre_id}/prices", response_model=list[PriceRuleOut])
async def theatre_prices(theatre_id: uuid.UUID, session: ReadSessionDep) -> list[PriceRuleOut]:
    return await service.theatre_rules(session, theatre_id)


@router.put(
    "/theatres/{theatre_id}/prices",
    response_model=list[PriceRuleOut],
    responses={409: {"description": "An upcoming show would be left unpriced"}},
)
async def replace_theatre_prices(
    theatre_id: uuid.UUID,
    body: PriceRuleSet,
    session: SessionDep,
    now: NowDep,
    _manager: TheatreManagerDep,
) -> list[PriceRuleOut]:
    """Replaces the theatre's rules and re-prices its upcoming shows (409 if one would have no
    price; then nothing changes). Amounts are paise, 100..10,000,000."""
    return await service.replace_theatre_rules(session, theatre_id, body.root, now)


@router.get("/screens/{screen_id}/prices", response_model=list[PriceRuleOut])
async def screen_prices(screen_id: uuid.UUID, session: ReadSessionDep) -> list[PriceRuleOut]:
    return await service.screen_rules(session, screen_id)


@router.put(
    "/screens/{screen_id}/prices",
    response_model=list[PriceRuleOut],
    responses={409: {"description": "An upcoming show would be left unpriced"}},
)
async def replace_screen_prices(
    screen_id: uuid.UUID,
    body: PriceRuleSet,
    session: SessionDep,
    now: NowDep,
    _manager: ScreenManagerDep,
) -> list[PriceRuleOut]:
    """Replaces the screen's rules (they win over the theatre's) and re-prices its upcoming
    shows (409 if one would have no price; then nothing changes)."""
    return await service.replace_screen_rules(session, screen_id, body.root, now)


@router.get("/shows/{show_id}/prices", response_model=list[OverrideOut])
async def show_prices(show_id: uuid.UUID, session: ReadSessionDep) -> list[OverrideOut]:
    """The show's own prices (its overrides); what each seat type costs is the show's `prices`."""
    return await service.show_overrides(session, show_id)


@router.put(
    "/shows/{show_id}/prices",
    response_model=list[OverrideOut],
    responses={
        409: {"description": "The show is cancelled or started, or a seat type would be unpriced"}
    },
)
async def replace_show_prices(
    show_id: uuid.UUID,
    body: OverrideSet,
    session: SessionDep,
    now: NowDep,
    _manager: ShowManagerDep,
) -> list[OverrideOut]:
    """Replaces the show's own prices (they beat every rule) and prices it afresh; holds taken
    before keep the prices they froze."""
    return await service.replace_show_overrides(session, show_id, body.root, now)
