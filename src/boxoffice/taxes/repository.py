"""All SQL of taxes: tax rule versions with their slabs, and films' state waivers."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.db.engine import dialect_insert
from boxoffice.money.tax import Slab
from boxoffice.taxes.models import TaxCategory, TaxExemption, TaxRuleVersion, TaxSlab


async def slabs_of(
    session: AsyncSession, version_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[Slab, ...]]:
    found: dict[uuid.UUID, list[Slab]] = defaultdict(list)
    if version_ids:
        rows = await session.execute(
            select(TaxSlab.version_id, TaxSlab.up_to, TaxSlab.rate_bp)
            .where(TaxSlab.version_id.in_(sorted(set(version_ids))))
            .order_by(TaxSlab.version_id, TaxSlab.position)
        )
        for version_id, up_to, rate_bp in rows:
            found[version_id].append(Slab(up_to=up_to, rate_bp=rate_bp))
    return {version_id: tuple(slabs) for version_id, slabs in found.items()}


async def slabs_in_force(
    session: AsyncSession, category: TaxCategory, day: date
) -> tuple[Slab, ...] | None:
    """The slabs of the category's latest version from `day` or before (None: no version yet)."""
    version_id = await session.scalar(
        select(TaxRuleVersion.id)
        .where(TaxRuleVersion.category == category, TaxRuleVersion.effective_from <= day)
        .order_by(TaxRuleVersion.effective_from.desc())
        .limit(1)
    )
    if version_id is None:
        return None
    return (await slabs_of(session, [version_id]))[version_id]


async def list_versions(
    session: AsyncSession, category: TaxCategory | None, limit: int, offset: int
) -> list[TaxRuleVersion]:
    query = select(TaxRuleVersion).order_by(TaxRuleVersion.category, TaxRuleVersion.effective_from)
    if category is not None:
        query = query.where(TaxRuleVersion.category == category)
    return list(await session.scalars(query.limit(limit).offset(offset)))


async def insert_version(
    session: AsyncSession,
    version_id: uuid.UUID,
    category: TaxCategory,
    effective_from: date,
    slabs: Sequence[Slab],
    now: datetime,
) -> bool:
    """Adds a version and its slabs; False (and nothing added) when the category already has a
    version from that date, even one a concurrent transaction just added."""
    added = await session.execute(
        dialect_insert(session)(TaxRuleVersion)
        .values(id=version_id, category=category, effective_from=effective_from, created_at=now)
        .on_conflict_do_nothing()
        .returning(TaxRuleVersion.id)
    )
    if added.scalar_one_or_none() is None:
        return False
    await session.execute(
        insert(TaxSlab),
        [
            {"version_id": version_id, "position": i, "up_to": s.up_to, "rate_bp": s.rate_bp}
            for i, s in enumerate(slabs)
        ],
    )
    return True


def add_exemption(session: AsyncSession, exemption: TaxExemption) -> None:
    session.add(exemption)


async def delete_exemptions_of_movie(session: AsyncSession, movie_id: uuid.UUID) -> None:
    await session.execute(delete(TaxExemption).where(TaxExemption.movie_id == movie_id))


async def list_exemptions(
    session: AsyncSession,
    movie_id: uuid.UUID | None,
    state_code: str | None,
    limit: int,
    offset: int,
) -> list[TaxExemption]:
    query = select(TaxExemption).order_by(TaxExemption.starts_on, TaxExemption.id)
    if movie_id is not None:
        query = query.where(TaxExemption.movie_id == movie_id)
    if state_code is not None:
        query = query.where(TaxExemption.state_code == state_code)
    return list(await session.scalars(query.limit(limit).offset(offset)))


async def sgst_waived(
    session: AsyncSession, movie_id: uuid.UUID, state_code: str, day: date
) -> bool:
    """Whether the state waives its half of the GST on the film's tickets on that day."""
    found = await session.scalar(
        select(TaxExemption.id)
        .where(
            TaxExemption.movie_id == movie_id,
            TaxExemption.state_code == state_code,
            TaxExemption.starts_on <= day,
            TaxExemption.ends_on >= day,
        )
        .limit(1)
    )
    return found is not None
