"""Price rules of theatres and screens, and keeping the shows' current prices in step with them.

`show_seats.price` is the current price a new hold takes; a booking freezes its own prices, so
re-pricing never changes an existing booking. Whenever the inputs of a price change (the rules,
or the theatre's timezone or holidays, which decide the day type) every SCHEDULED show that has
not started is re-priced in the same transaction; if one of them could no longer be priced the
change is refused (409) and, the unit of work rolling back, nothing changes.

Locking (PostgreSQL): a theatre-wide change locks the theatre row and then all its screen rows
in id order; a screen change and a show creation lock the screen row. So a show is never created
with prices from rules that are being replaced, and two writers queue instead of deadlocking.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.catalogue import repository as catalogue_repository
from boxoffice.catalogue import schedule
from boxoffice.catalogue import service as catalogue_service
from boxoffice.catalogue.days import day_type_of
from boxoffice.catalogue.errors import ScreenNotFound, ShowNotFound, TheatreNotFound
from boxoffice.catalogue.models import DayType, ShowStatus, Theatre
from boxoffice.catalogue.schemas import PriceOverride
from boxoffice.pricing import repository
from boxoffice.pricing.errors import RulesLeaveShowsUnpriced, ShowNotRepriceable
from boxoffice.pricing.repository import RuleSet
from boxoffice.pricing.rules import resolve_prices
from boxoffice.pricing.schemas import OverrideOut, PriceRuleIn, PriceRuleOut
from boxoffice.taxes import service as taxes_service

_DAY_ORDER = {DayType.WEEKDAY: 0, DayType.WEEKEND: 1, DayType.HOLIDAY: 2}
MAX_REPORTED_SHOWS = 20


def rules_out(rules: RuleSet) -> list[PriceRuleOut]:
    return [
        PriceRuleOut(seat_type=seat_type, day_type=day_type, format=format_, amount=amount)
        for (seat_type, day_type, format_), amount in sorted(
            rules.items(),
            key=lambda item: (item[0][0], _DAY_ORDER[item[0][1]], item[0][2] or ""),
        )
    ]


def _rule_set(rules: Iterable[PriceRuleIn]) -> RuleSet:
    return {(r.seat_type, r.day_type, r.format): r.amount for r in rules}


async def _checked_rules(session: AsyncSession, rules: list[PriceRuleIn]) -> RuleSet:
    """The rule set, its seat types and formats known (422 otherwise)."""
    await catalogue_service.ensure_seat_types_exist(session, (r.seat_type for r in rules))
    await schedule.ensure_formats_exist(session, (r.format for r in rules if r.format))
    return _rule_set(rules)


async def theatre_rules(session: AsyncSession, theatre_id: uuid.UUID) -> list[PriceRuleOut]:
    if await catalogue_repository.get_theatre(session, theatre_id) is None:
        raise TheatreNotFound()
    return rules_out(await repository.rules_of_theatre(session, theatre_id))


async def screen_rules(session: AsyncSession, screen_id: uuid.UUID) -> list[PriceRuleOut]:
    if await catalogue_repository.get_screen(session, screen_id) is None:
        raise ScreenNotFound()
    rules = await repository.rules_of_screens(session, [screen_id])
    return rules_out(rules.get(screen_id, {}))


async def replace_theatre_rules(
    session: AsyncSession, theatre_id: uuid.UUID, rules: list[PriceRuleIn], now: datetime
) -> list[PriceRuleOut]:
    theatre = await catalogue_repository.get_theatre(session, theatre_id, lock=True)
    if theatre is None:
        raise TheatreNotFound()
    new_rules = await _checked_rules(session, rules)
    await catalogue_repository.lock_screens_of_theatre(session, theatre_id)
    await taxes_service.ensure_prices_consistent(session, theatre, new_rules.values(), now)
    await repository.replace_rules(session, new_rules, theatre_id=theatre_id)
    await reprice_upcoming_shows(session, theatre, now)
    return rules_out(new_rules)


async def replace_screen_rules(
    session: AsyncSession, screen_id: uuid.UUID, rules: list[PriceRuleIn], now: datetime
) -> list[PriceRuleOut]:
    screen = await catalogue_repository.get_screen(session, screen_id, lock=True)
    if screen is None:
        raise ScreenNotFound()
    new_rules = await _checked_rules(session, rules)
    theatre = await catalogue_repository.get_theatre(session, screen.theatre_id)
    assert theatre is not None
    await taxes_service.ensure_prices_consistent(session, theatre, new_rules.values(), now)
    await repository.replace_rules(session, new_rules, screen_id=screen_id)
    await reprice_upcoming_shows(session, theatre, now, screen_ids=[screen_id])
    return rules_out(new_rules)


def overrides_out(overrides: Mapping[str, int]) -> list[OverrideOut]:
    return [OverrideOut(seat_type=t, amount=a) for t, a in sorted(overrides.items())]


async def show_overrides(session: AsyncSession, show_id: uuid.UUID) -> list[OverrideOut]:
    if await catalogue_repository.get_show(session, show_id) is None:
        raise ShowNotFound()
    return overrides_out((await repository.overrides_of_shows(session, [show_id]))[show_id])


async def replace_show_overrides(
    session: AsyncSession, show_id: uuid.UUID, overrides: list[PriceOverride], now: datetime
) -> list[OverrideOut]:
    """Replaces a scheduled show's own prices before it starts, and prices it afresh (409 if a
    seat type would be left without a price; then nothing changes). Locks its screen, as a new
    show and a screen's rules do."""
    show = await catalogue_repository.get_show(session, show_id)
    if show is None:
        raise ShowNotFound()
    await catalogue_repository.get_screen(session, show.screen_id, lock=True)
    if show.status is not ShowStatus.SCHEDULED or show.starts_at <= now:
        raise ShowNotRepriceable("Only a scheduled show that has not started can be re-priced.")
    new = {o.seat_type: o.amount for o in overrides}
    await catalogue_service.ensure_seat_types_exist(session, new)
    theatre = await catalogue_repository.get_theatre(session, show.theatre_id)
    assert theatre is not None
    await taxes_service.ensure_prices_consistent(session, theatre, new.values(), now)
    await repository.delete_overrides(session, show.id)
    await repository.insert_overrides(session, show.id, new)
    await reprice_upcoming_shows(session, theatre, now, screen_ids=[show.screen_id])
    return overrides_out(new)


async def prices_for_new_show(
    session: AsyncSession,
    theatre: Theatre,
    screen_id: uuid.UUID,
    day_type: DayType,
    seat_types: Iterable[str],
    overrides: Mapping[str, int],
    now: datetime,
    format: str,
) -> tuple[dict[str, int], list[str]]:
    """Prices of the seat types of a show about to be created in that format, and the ones
    nothing prices. Its overrides must fit a tax slab like any price set (422 otherwise)."""
    await taxes_service.ensure_prices_consistent(session, theatre, overrides.values(), now)
    theatre_rule_set = await repository.rules_of_theatre(session, theatre.id)
    screen_rule_set = (await repository.rules_of_screens(session, [screen_id])).get(screen_id, {})
    return resolve_prices(
        seat_types, day_type, overrides, screen_rule_set, theatre_rule_set, format
    )


async def keep_overrides(
    session: AsyncSession, show_id: uuid.UUID, overrides: Mapping[str, int]
) -> None:
    """Records a new show's own prices (they beat every rule)."""
    await repository.insert_overrides(session, show_id, overrides)


async def ensure_theatre_prices_fit(session: AsyncSession, theatre: Theatre, now: datetime) -> None:
    """Every price set for the theatre (its rules, its screens', its upcoming shows' overrides)
    fits a tax slab, as if set now (422 naming the band otherwise)."""
    amounts = await repository.amounts_set_for_theatre(session, theatre.id, now)
    await taxes_service.ensure_prices_consistent(session, theatre, amounts, now)


async def reprice_upcoming_shows(
    session: AsyncSession,
    theatre: Theatre,
    now: datetime,
    screen_ids: list[uuid.UUID] | None = None,
) -> int:
    """Re-computes day type and prices of the theatre's (or those screens') upcoming shows.

    Raises `RulesLeaveShowsUnpriced` naming the shows and seat types that would have no price;
    the caller's unit of work then rolls everything back. Returns how many shows it looked at.
    """
    shows = await catalogue_repository.upcoming_shows(
        session, now, theatre_id=theatre.id, screen_ids=screen_ids
    )
    if not shows:
        return 0
    show_ids = [show.id for show in shows]
    screens = {show.screen_id for show in shows}
    seat_types = await catalogue_repository.seat_types_of_screens(session, screens)
    screen_rule_sets = await repository.rules_of_screens(session, screens)
    theatre_rule_set = await repository.rules_of_theatre(session, theatre.id)
    overrides = await repository.overrides_of_shows(session, show_ids)

    new_prices: list[tuple[uuid.UUID, str, int]] = []
    new_day_types: list[tuple[uuid.UUID, DayType]] = []
    unpriced: list[dict[str, Any]] = []
    for show in shows:
        day_type = day_type_of(show.starts_at, theatre.timezone, theatre.holidays)
        prices, missing = resolve_prices(
            seat_types.get(show.screen_id, set()),
            day_type,
            overrides.get(show.id, {}),
            screen_rule_sets.get(show.screen_id, {}),
            theatre_rule_set,
            show.format,
        )
        if missing:
            unpriced.append(
                {
                    "show_id": str(show.id),
                    "starts_at": show.starts_at.isoformat(),
                    "day_type": day_type.value,
                    "missing_seat_types": missing,
                }
            )
            continue
        new_prices.extend((show.id, seat_type, amount) for seat_type, amount in prices.items())
        if day_type is not show.day_type:
            new_day_types.append((show.id, day_type))
    if unpriced:
        missing_types = sorted({t for show in unpriced for t in show["missing_seat_types"]})
        raise RulesLeaveShowsUnpriced(
            f"{len(unpriced)} scheduled show(s) would have no price for: "
            f"{', '.join(missing_types)}. Nothing was changed.",
            unpriced_shows=unpriced[:MAX_REPORTED_SHOWS],
            unpriced_show_count=len(unpriced),
            missing_seat_types=missing_types,
        )
    await catalogue_repository.set_show_seat_prices(session, new_prices)
    await catalogue_repository.set_show_day_types(session, new_day_types)
    return len(shows)
