"""On-sales: shows sold together behind one queue (issue 29), as managers set them up.

- **Who.** A caller who runs the theatre of every show of the on-sale, and of every show it
  adds (`ensure_manages_theatre`: an admin runs them all, so only an admin spans theatres).
- **Shows.** Each scheduled and not started; in one on-sale in force at a time (a show of a
  lifted on-sale may join another); the opening in the future and before every show starts.
- **Before the opening only**: its shows are added or removed (never the last: lift it
  instead), and its opening moved; once it has opened (the draw is then due, or made) it
  stands: 409 `queue-opened`.
- **Lifting** puts its shows on sale to all, at any time, as a show's queue always could be:
  a draw already made stays published; visitors not yet placed are told `OPEN`.
- **A show's own queue** (`PUT/DELETE /shows/{id}/queue`) is an on-sale of that one show: set,
  moved and lifted through the show's routes; a show that sells with others is changed through
  its on-sale's (409 `show-in-onsale`).

Nothing is written before every check has passed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.accounts.dependencies import ensure_manages_theatre
from boxoffice.accounts.principal import Principal
from boxoffice.catalogue import onsale_repository
from boxoffice.catalogue import repository as catalogue_repository
from boxoffice.catalogue import service as catalogue_service
from boxoffice.catalogue.errors import ShowNotFound, UnknownReference
from boxoffice.catalogue.models import OnSale, Show
from boxoffice.catalogue.service import ShowView
from boxoffice.errors import InvalidInput
from boxoffice.queue import repository
from boxoffice.queue.errors import (
    OnSaleNeedsAShow,
    OnSaleNotFound,
    QueueClosed,
    QueueOpened,
    ShowInOnSale,
    ShowNotInOnSale,
)
from boxoffice.queue.service import on_sale


@dataclass(frozen=True)
class OnSaleView:
    onsale: OnSale
    shows: list[Show]
    drawn: bool


async def view(session: AsyncSession, onsale_id: uuid.UUID) -> OnSaleView:
    onsale = await onsale_repository.get(session, onsale_id)
    if onsale is None:
        raise OnSaleNotFound()
    shows = await onsale_repository.shows_of(session, onsale_id)
    return OnSaleView(onsale, shows, await repository.get_draw(session, onsale_id) is not None)


async def of_show(session: AsyncSession, show_id: uuid.UUID) -> OnSaleView:
    onsale = await onsale_repository.of_show(session, show_id)
    if onsale is None:
        raise OnSaleNotFound("This show sells through no on-sale.")
    return await view(session, onsale.id)


async def create(
    session: AsyncSession,
    principal: Principal,
    name: str,
    opens_at: datetime,
    show_ids: list[uuid.UUID],
    now: datetime,
) -> OnSaleView:
    shows = await _shows(session, principal, show_ids)
    await _may_sell(session, shows, opens_at, now, None)
    onsale = OnSale(
        id=uuid.uuid4(),
        name=name,
        opens_at=opens_at,
        created_by=None if principal.is_guest else principal.id,
        created_at=now,
    )
    await onsale_repository.add(session, onsale)
    await onsale_repository.link(session, onsale.id, [show.id for show in shows], opens_at)
    return await view(session, onsale.id)


async def add_shows(
    session: AsyncSession,
    principal: Principal,
    onsale_id: uuid.UUID,
    show_ids: list[uuid.UUID],
    now: datetime,
) -> OnSaleView:
    onsale = await _managed(session, principal, onsale_id)
    await _not_opened(session, onsale, now)
    shows = await _shows(session, principal, show_ids)
    await _may_sell(session, shows, onsale.opens_at, now, onsale.id)
    await onsale_repository.link(session, onsale.id, [show.id for show in shows], onsale.opens_at)
    return await view(session, onsale.id)


async def remove_show(
    session: AsyncSession,
    principal: Principal,
    onsale_id: uuid.UUID,
    show_id: uuid.UUID,
    now: datetime,
) -> OnSaleView:
    onsale = await _managed(session, principal, onsale_id)
    shows = await onsale_repository.shows_of(session, onsale.id)
    if show_id not in {show.id for show in shows}:
        raise ShowNotInOnSale()
    await _not_opened(session, onsale, now)
    if len(shows) == 1:
        raise OnSaleNeedsAShow("This is the on-sale's last show: lift the on-sale instead.")
    await onsale_repository.unlink(session, show_id)
    return await view(session, onsale.id)


async def lift(
    session: AsyncSession, principal: Principal, onsale_id: uuid.UUID, now: datetime
) -> OnSaleView:
    onsale = await _managed(session, principal, onsale_id)
    await onsale_repository.set_opening(session, onsale, None, now)
    return await view(session, onsale.id)


async def set_show_queue(
    session: AsyncSession,
    principal: Principal,
    show_id: uuid.UUID,
    opens_at: datetime | None,
    now: datetime,
) -> ShowView:
    """A show's own queue (the caller runs its theatre): set or moved to open at `opens_at`,
    or, with None, lifted. The on-sale of that one show is made when the show has none in
    force."""
    show = await catalogue_repository.get_show(session, show_id)
    if show is None:
        raise ShowNotFound()
    onsale = await onsale_repository.of_show(session, show_id)
    if onsale is not None:
        onsale = await onsale_repository.get(session, onsale.id, lock=True)
        assert onsale is not None
        alone = len(await onsale_repository.shows_of(session, onsale.id)) == 1
        if not alone and onsale.lifted_at is None:
            raise ShowInOnSale(
                "This show sells with others through an on-sale: change it there.",
                onsale_id=str(onsale.id),
            )
        if not alone:
            onsale = None  # a lifted on-sale of several: the show may have a queue of its own
    if opens_at is None:
        if onsale is not None:
            await onsale_repository.set_opening(session, onsale, None, now)
        return await catalogue_service.get_show(session, show_id)
    await _may_sell(session, [show], opens_at, now, None if onsale is None else onsale.id)
    if onsale is None:
        movie = await catalogue_repository.get_movie(session, show.movie_id)
        name = movie.title if movie is not None else "On-sale"
        await create(session, principal, name, opens_at, [show_id], now)
    else:
        if await repository.get_draw(session, onsale.id) is not None or (
            onsale.lifted_at is None and onsale.opens_at <= now
        ):
            raise QueueOpened("The queue has opened; its opening cannot move.")
        await onsale_repository.set_opening(session, onsale, opens_at, now)
    return await catalogue_service.get_show(session, show_id)


async def _managed(session: AsyncSession, principal: Principal, onsale_id: uuid.UUID) -> OnSale:
    """The on-sale, locked, when the caller runs the theatre of each of its shows."""
    onsale = await onsale_repository.get(session, onsale_id, lock=True)
    if onsale is None:
        raise OnSaleNotFound()
    await _ensure_manages(session, principal, await onsale_repository.shows_of(session, onsale_id))
    return onsale


async def _not_opened(session: AsyncSession, onsale: OnSale, now: datetime) -> None:
    if onsale.lifted_at is not None:
        raise QueueClosed("This on-sale was lifted: its shows are on sale to all.")
    if onsale.opens_at <= now or await repository.get_draw(session, onsale.id) is not None:
        raise QueueOpened("The on-sale has opened and its draw is due or made: it stands.")


async def _shows(
    session: AsyncSession, principal: Principal, show_ids: list[uuid.UUID]
) -> list[Show]:
    """The shows named, locked, when each exists (422) and the caller runs its theatre (403)."""
    shows = await onsale_repository.lock_shows(session, show_ids)
    unknown = set(show_ids) - {show.id for show in shows}
    if unknown:
        raise UnknownReference(
            "No such show.", field="show_ids", show_ids=sorted(str(s) for s in unknown)
        )
    await _ensure_manages(session, principal, shows)
    return shows


async def _ensure_manages(
    session: AsyncSession, principal: Principal, shows: Iterable[Show]
) -> None:
    for theatre_id in sorted({show.theatre_id for show in shows}):
        await ensure_manages_theatre(session, principal, theatre_id)


async def _may_sell(
    session: AsyncSession,
    shows: list[Show],
    opens_at: datetime,
    now: datetime,
    onsale_id: uuid.UUID | None,
) -> None:
    """The opening in the future and before each show starts; each show on sale and in no other
    on-sale in force."""
    if opens_at <= now or any(opens_at >= show.starts_at for show in shows):
        raise InvalidInput(
            "opens_at must be in the future and before every show starts.", field="opens_at"
        )
    for show in shows:
        if not on_sale(show, now):
            raise QueueClosed("A show was cancelled or has started.", show_id=str(show.id))
    found = await onsale_repository.onsales_of_shows(session, [show.id for show in shows])
    for show_id, other in found.items():
        if other.id != onsale_id and other.lifted_at is None:
            raise ShowInOnSale(
                "This show sells through another on-sale.",
                show_id=str(show_id),
                onsale_id=str(other.id),
            )
