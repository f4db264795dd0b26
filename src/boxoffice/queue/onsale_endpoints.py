"""How managers set queues up (`onsales` has the rules): an on-sale of several shows
(`/onsales`), or a show's own queue (`/shows/{id}/queue`), an on-sale of that one show."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from boxoffice.accounts.dependencies import OperatorDep
from boxoffice.catalogue.access import ShowManagerDep
from boxoffice.catalogue.endpoints import show_out
from boxoffice.catalogue.schemas import ShowOut
from boxoffice.dependencies import NowDep, ReadSessionDep, SessionDep
from boxoffice.queue import onsales
from boxoffice.queue.endpoints import QUEUE_PATH
from boxoffice.queue.schemas import OnSaleIn, OnSaleOut, OnSaleShowsIn, QueueSettingIn

router = APIRouter(tags=["queue"])

ONSALE_PATH = "/onsales/{onsale_id}"
_MANAGE: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not a manager of every show's theatre (nor an admin)"},
    404: {"description": "No such on-sale (`onsale-not-found`)"},
    409: {
        "description": "Opened, its draw due or made (`queue-opened`); a show cancelled or "
        "started (`queue-closed`), or in another on-sale (`show-in-onsale`)"
    },
    422: {"description": "opens_at not in the future or not before every show; no such show"},
}
_SHOW_QUEUE: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "The queue has opened (its opening stands), the show is over, or it "
        "sells with other shows through an on-sale (`show-in-onsale`)"
    },
    422: {"description": "opens_at not in the future, or not before the show starts"},
}


def onsale_out(found: onsales.OnSaleView) -> OnSaleOut:
    onsale = found.onsale
    return OnSaleOut(
        id=onsale.id,
        name=onsale.name,
        opens_at=onsale.opens_at,
        show_ids=[show.id for show in found.shows],
        drawn=found.drawn,
        lifted_at=onsale.lifted_at,
        created_by=onsale.created_by,
        created_at=onsale.created_at,
    )


@router.post("/onsales", status_code=201, response_model=OnSaleOut, responses=_MANAGE)
async def create_onsale(
    body: OnSaleIn, session: SessionDep, now: NowDep, principal: OperatorDep
) -> OnSaleOut:
    """Sells these shows behind one fair queue opening at `opens_at` (a manager of every
    show's theatre, or an admin): one draw, one place per visitor, and an admission that lets
    its visitor hold seats of any of them (`X-Admission-Token`)."""
    found = await onsales.create(session, principal, body.name, body.opens_at, body.show_ids, now)
    return onsale_out(found)


@router.get(ONSALE_PATH, response_model=OnSaleOut, responses={404: _MANAGE[404]})
async def get_onsale(onsale_id: uuid.UUID, session: ReadSessionDep) -> OnSaleOut:
    """The on-sale: its opening, its shows, whether its draw is made."""
    return onsale_out(await onsales.view(session, onsale_id))


@router.get(
    "/shows/{show_id}/onsale",
    response_model=OnSaleOut,
    responses={404: {"description": "The show sells through no on-sale (`onsale-not-found`)"}},
)
async def get_show_onsale(show_id: uuid.UUID, session: ReadSessionDep) -> OnSaleOut:
    """The on-sale the show sells through (lifted too): the queue to join for it, and the
    other shows its admission lets a visitor hold seats of."""
    return onsale_out(await onsales.of_show(session, show_id))


@router.post(ONSALE_PATH + "/shows", response_model=OnSaleOut, responses=_MANAGE)
async def add_onsale_shows(
    onsale_id: uuid.UUID,
    body: OnSaleShowsIn,
    session: SessionDep,
    now: NowDep,
    principal: OperatorDep,
) -> OnSaleOut:
    """Adds shows to the on-sale, before it opens."""
    return onsale_out(await onsales.add_shows(session, principal, onsale_id, body.show_ids, now))


@router.delete(
    ONSALE_PATH + "/shows/{show_id}",
    response_model=OnSaleOut,
    responses={
        **_MANAGE,
        404: {"description": "No such on-sale, or the show is not of it"},
        409: {"description": "Opened (`queue-opened`), or its last show (`onsale-needs-a-show`)"},
    },
)
async def remove_onsale_show(
    onsale_id: uuid.UUID,
    show_id: uuid.UUID,
    session: SessionDep,
    now: NowDep,
    principal: OperatorDep,
) -> OnSaleOut:
    """Takes a show out of the on-sale, before it opens: on sale to all."""
    return onsale_out(await onsales.remove_show(session, principal, onsale_id, show_id, now))


@router.delete(ONSALE_PATH, response_model=OnSaleOut, responses=_MANAGE)
async def lift_onsale(
    onsale_id: uuid.UUID, session: SessionDep, now: NowDep, principal: OperatorDep
) -> OnSaleOut:
    """Lifts the queue: every show of the on-sale on sale to all (within a minute in every
    process). A draw already made stays published."""
    return onsale_out(await onsales.lift(session, principal, onsale_id, now))


@router.put(QUEUE_PATH, response_model=ShowOut, responses=_SHOW_QUEUE)
async def set_queue(
    show_id: uuid.UUID,
    body: QueueSettingIn,
    session: SessionDep,
    now: NowDep,
    manager: ShowManagerDep,
) -> ShowOut:
    """Sells the show through a fair queue opening at `opens_at` (manager of its theatre, or
    admin): an on-sale of this one show. Visitors who join before are drawn in a random order
    then, later ones queue after them; holds need the admission the queue gives
    (`X-Admission-Token`)."""
    return show_out(await onsales.set_show_queue(session, manager, show_id, body.opens_at, now))


@router.delete(QUEUE_PATH, response_model=ShowOut, responses=_SHOW_QUEUE)
async def lift_queue(
    show_id: uuid.UUID, session: SessionDep, now: NowDep, manager: ShowManagerDep
) -> ShowOut:
    """Puts the show on sale to all, without a queue (within a minute in every process)."""
    return show_out(await onsales.set_show_queue(session, manager, show_id, None, now))
