"""Scheduling routes beside `catalogue.endpoints`: a batch of shows, all or nothing, and the
formats shows are given in (`catalogue.schedule`)."""

from __future__ import annotations

from fastapi import APIRouter

from boxoffice.accounts.dependencies import OperatorDep
from boxoffice.catalogue import schedule
from boxoffice.catalogue.endpoints import show_out
from boxoffice.catalogue.schemas import FormatOut, ShowBatch, ShowBatchOut
from boxoffice.dependencies import NowDep, ReadSessionDep, SessionDep, SettingsDep

router = APIRouter(tags=["catalogue"])


@router.post(
    "/shows/batch",
    status_code=201,
    response_model=ShowBatchOut,
    responses={
        403: {"description": "A screen of a theatre the caller does not run: nothing is done"},
        422: {
            "description": "show-batch-refused: `errors` names every item that cannot be "
            "scheduled by its `index`, with its problem (overlap, unpriced seat types, unknown "
            "screen...); none was scheduled"
        },
    },
)
async def create_shows(
    body: ShowBatch,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    principal: OperatorDep,
) -> ShowBatchOut:
    """Schedules every show of the batch in one transaction, or none of them (a week of a
    theatre's shows, say): each as `POST /shows` would, and none overlapping another."""
    views = await schedule.create_shows(session, settings, principal, body.shows, now)
    return ShowBatchOut(shows=[show_out(view) for view in views])


@router.get("/formats", response_model=list[FormatOut])
async def list_formats(session: ReadSessionDep) -> list[FormatOut]:
    """The formats a show may be in (data: 2D, 3D, IMAX 2D, IMAX 3D, 4DX, SCREENX...)."""
    return [FormatOut(code=f.code, name=f.name) for f in await schedule.formats(session)]
