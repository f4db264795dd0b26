"""The SQL of on-sales (shows sold together behind one queue, `boxoffice.queue`), beside
`catalogue.repository`: the on-sales, the shows they sell, and the shows' copy of the opening
(`shows.queue_opens_at`), which only this module writes."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.catalogue.models import OnSale, OnSaleShow, Show


async def get(session: AsyncSession, onsale_id: uuid.UUID, *, lock: bool = False) -> OnSale | None:
    """The on-sale; locked, changes of it (its shows, its opening) queue one after another."""
    query = select(OnSale).where(OnSale.id == onsale_id).execution_options(populate_existing=True)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def of_show(session: AsyncSession, show_id: uuid.UUID) -> OnSale | None:
    """The on-sale the show sells through (lifted too), if any."""
    query = (
        select(OnSale)
        .join(OnSaleShow, OnSaleShow.onsale_id == OnSale.id)
        .where(OnSaleShow.show_id == show_id)
        .execution_options(populate_existing=True)
    )
    return await session.scalar(query)


async def onsales_of_shows(
    session: AsyncSession, show_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, OnSale]:
    """The on-sale each of these shows sells through, for those that do."""
    query = (
        select(OnSaleShow.show_id, OnSale)
        .join(OnSale, OnSale.id == OnSaleShow.onsale_id)
        .where(OnSaleShow.show_id.in_(sorted(set(show_ids))))
    )
    return {show_id: onsale for show_id, onsale in (await session.execute(query)).all()}


async def shows_of(session: AsyncSession, onsale_id: uuid.UUID) -> list[Show]:
    """The on-sale's shows, soonest first."""
    query = (
        select(Show)
        .join(OnSaleShow, OnSaleShow.show_id == Show.id)
        .where(OnSaleShow.onsale_id == onsale_id)
        .order_by(Show.starts_at, Show.id)
        .execution_options(populate_existing=True)
    )
    return list(await session.scalars(query))


async def lock_shows(session: AsyncSession, show_ids: Iterable[uuid.UUID]) -> list[Show]:
    """These shows, locked in id order (two changes of on-sales queue, never deadlock); the
    unknown ones are left out."""
    query = (
        select(Show)
        .where(Show.id.in_(sorted(set(show_ids))))
        .order_by(Show.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(await session.scalars(query))


async def add(session: AsyncSession, onsale: OnSale) -> None:
    session.add(onsale)
    await session.flush()


async def link(
    session: AsyncSession, onsale_id: uuid.UUID, show_ids: list[uuid.UUID], opens_at: datetime
) -> None:
    """These shows sell through the on-sale from now on (leaving a lifted one they sold
    through), queued to open at `opens_at`."""
    await session.execute(delete(OnSaleShow).where(OnSaleShow.show_id.in_(show_ids)))
    session.add_all(OnSaleShow(show_id=show_id, onsale_id=onsale_id) for show_id in show_ids)
    await session.flush()
    await _set_shows_opening(session, show_ids, opens_at)


async def unlink(session: AsyncSession, show_id: uuid.UUID) -> None:
    """The show leaves its on-sale, on sale to all."""
    await session.execute(delete(OnSaleShow).where(OnSaleShow.show_id == show_id))
    await _set_shows_opening(session, [show_id], None)


async def set_opening(
    session: AsyncSession, onsale: OnSale, opens_at: datetime | None, now: datetime
) -> None:
    """The on-sale opens at `opens_at` (in force again if it was lifted); with None it is
    lifted: its shows on sale to all. Its shows' copy follows."""
    if opens_at is None:
        onsale.lifted_at = onsale.lifted_at or now
    else:
        onsale.opens_at, onsale.lifted_at = opens_at, None
    await session.flush()
    await _set_shows_opening(
        session, select(OnSaleShow.show_id).where(OnSaleShow.onsale_id == onsale.id), opens_at
    )


async def _set_shows_opening(
    session: AsyncSession, show_ids: Any, opens_at: datetime | None
) -> None:
    """The shows' copy of their on-sale's opening (None: on sale to all)."""
    await session.execute(update(Show).where(Show.id.in_(show_ids)).values(queue_opens_at=opens_at))
