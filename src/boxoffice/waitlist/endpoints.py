"""Routes of the waiting list: customers join, read, decline and leave; the show's managers
see the list and its offers. Offers themselves are made by `boxoffice worker`."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request

from boxoffice.accounts.dependencies import PrincipalDep
from boxoffice.catalogue.access import ShowManagerDep
from boxoffice.dependencies import Limit, NowDep, Offset, SessionDep, SettingsDep
from boxoffice.waitlist import service
from boxoffice.waitlist.schemas import EntryList, EntryOut, JoinIn

router = APIRouter(tags=["waitlist"])

_ENTRY_REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in"},
    404: {"description": "No such entry of yours"},
    409: {"description": "The entry is over, or (decline) holds no offer"},
}


@router.post(
    "/shows/{show_id}/waitlist",
    status_code=201,
    response_model=EntryOut,
    responses={
        401: {"description": "Not signed in"},
        404: {"description": "No such show"},
        409: {
            "description": "Seats for the party are free now (`seats-available`), already "
            "waiting, or the show is not on sale"
        },
        422: {"description": "A party the screen never fits, no contact email, bad filters"},
    },
)
async def join_waitlist(
    show_id: uuid.UUID,
    body: JoinIn,
    request: Request,
    principal: PrincipalDep,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
) -> EntryOut:
    """Joins the show's waiting list, when it has no seats for the party now. When seats come
    back that fit it, they are held for it and it is emailed a link to pay; `position` counts
    the entries ahead that want the same seats."""
    store = request.app.state.sale.store
    view = await service.join(session, store, principal, show_id, body.ask(), now, settings)
    return EntryOut.of(view)


@router.get("/waitlist/{entry_id}", response_model=EntryOut, responses=_ENTRY_REFUSALS)
async def read_entry(
    entry_id: uuid.UUID, principal: PrincipalDep, session: SessionDep, now: NowDep
) -> EntryOut:
    """The caller's entry: its position while waiting, its offer once made."""
    entry = await service.own_entry(session, principal, entry_id)
    return EntryOut.of(await service.view_of(session, entry, now))


@router.delete("/waitlist/{entry_id}", response_model=EntryOut, responses=_ENTRY_REFUSALS)
async def leave_waitlist(
    entry_id: uuid.UUID,
    request: Request,
    principal: PrincipalDep,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
) -> EntryOut:
    """Leaves the list; an offer it holds is given back (its seats go to the next entry)."""
    store = request.app.state.sale.store
    view = await service.leave(session, store, principal, entry_id, now, settings)
    return EntryOut.of(view)


@router.post("/waitlist/{entry_id}/decline", response_model=EntryOut, responses=_ENTRY_REFUSALS)
async def decline_offer(
    entry_id: uuid.UUID,
    request: Request,
    principal: PrincipalDep,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
) -> EntryOut:
    """Declines the entry's offer: its hold is cancelled and the entry is over."""
    store = request.app.state.sale.store
    view = await service.leave(session, store, principal, entry_id, now, settings, decline=True)
    return EntryOut.of(view)


@router.get(
    "/shows/{show_id}/waitlist",
    response_model=EntryList,
    responses={
        401: {"description": "Not signed in"},
        403: {"description": "Not a manager of the show's theatre, nor an admin"},
        404: {"description": "No such show"},
    },
)
async def show_waitlist(
    show_id: uuid.UUID,
    principal: ShowManagerDep,
    session: SessionDep,
    now: NowDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> EntryList:
    """The show's waiting list in join order, every entry with its offer (managers, admins)."""
    del principal
    views, total = await service.show_list(session, show_id, now, limit, offset)
    return EntryList(
        show_id=show_id,
        items=[EntryOut.of(view) for view in views],
        total=total,
        limit=limit,
        offset=offset,
    )
