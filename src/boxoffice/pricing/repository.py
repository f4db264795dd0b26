"""All SQL of pricing: price rules of theatres and screens, and the overrides of shows."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import delete, insert, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.catalogue.models import DayType, Screen, Show, ShowStatus
from boxoffice.db.base import new_id
from boxoffice.pricing.models import PriceRule, ShowPriceOverride
from boxoffice.pricing.rules import RuleKey

RuleSet = dict[RuleKey, int]


async def rules_of_theatre(session: AsyncSession, theatre_id: uuid.UUID) -> RuleSet:
    query = select(
        PriceRule.seat_type, PriceRule.day_type, PriceRule.format, PriceRule.amount
    ).where(PriceRule.theatre_id == theatre_id)
    return {(t, DayType(d), f): a for t, d, f, a in await session.execute(query)}


async def rules_of_screens(
    session: AsyncSession, screen_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, RuleSet]:
    ids = sorted(set(screen_ids))
    found: dict[uuid.UUID, RuleSet] = defaultdict(dict)
    if not ids:
        return found
    query = select(
        PriceRule.screen_id,
        PriceRule.seat_type,
        PriceRule.day_type,
        PriceRule.format,
        PriceRule.amount,
    ).where(PriceRule.screen_id.in_(ids))
    for screen_id, seat_type, day_type, format_, amount in await session.execute(query):
        assert screen_id is not None
        found[screen_id][(seat_type, DayType(day_type), format_)] = amount
    return found


async def replace_rules(
    session: AsyncSession,
    rules: Mapping[RuleKey, int],
    *,
    theatre_id: uuid.UUID | None = None,
    screen_id: uuid.UUID | None = None,
) -> None:
    """Replaces the whole rule set of one theatre or one screen."""
    assert (theatre_id is None) != (screen_id is None)
    owner = (
        PriceRule.theatre_id == theatre_id
        if theatre_id is not None
        else PriceRule.screen_id == screen_id
    )
    await session.execute(delete(PriceRule).where(owner))
    if rules:
        await session.execute(
            insert(PriceRule),
            [
                {
                    "id": new_id(),
                    "theatre_id": theatre_id,
                    "screen_id": screen_id,
                    "seat_type": seat_type,
                    "day_type": day_type,
                    "format": format_,
                    "amount": amount,
                }
                for (seat_type, day_type, format_), amount in rules.items()
            ],
        )


async def overrides_of_shows(
    session: AsyncSession, show_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, int]]:
    found: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    if not show_ids:
        return found
    query = select(
        ShowPriceOverride.show_id, ShowPriceOverride.seat_type, ShowPriceOverride.amount
    ).where(ShowPriceOverride.show_id.in_(sorted(set(show_ids))))
    for show_id, seat_type, amount in await session.execute(query):
        found[show_id][seat_type] = amount
    return found


async def delete_overrides(session: AsyncSession, show_id: uuid.UUID) -> None:
    await session.execute(delete(ShowPriceOverride).where(ShowPriceOverride.show_id == show_id))


async def insert_overrides(
    session: AsyncSession, show_id: uuid.UUID, overrides: Mapping[str, int]
) -> None:
    if overrides:
        await session.execute(
            insert(ShowPriceOverride),
            [
                {"show_id": show_id, "seat_type": seat_type, "amount": amount}
                for seat_type, amount in overrides.items()
            ],
        )


async def amounts_set_for_theatre(
    session: AsyncSession, theatre_id: uuid.UUID, now: datetime
) -> set[int]:
    """Every amount set for a theatre: its rules, its screens' rules, and the overrides of its
    scheduled shows still to start."""
    screens = select(Screen.id).where(Screen.theatre_id == theatre_id)
    rules = select(PriceRule.amount).where(
        or_(PriceRule.theatre_id == theatre_id, PriceRule.screen_id.in_(screens))
    )
    overrides = (
        select(ShowPriceOverride.amount)
        .join(Show, Show.id == ShowPriceOverride.show_id)
        .where(
            Show.theatre_id == theatre_id,
            Show.status == ShowStatus.SCHEDULED,
            Show.starts_at > now,
        )
    )
    return set(await session.scalars(union(rules, overrides)))
