from __future__ import annotations

from fastapi import APIRouter

from boxoffice.accounts.dependencies import AdminDep, OperatorDep
from boxoffice.dependencies import NowDep, SessionDep, SettingsDep
from boxoffice.staff import service
from boxoffice.staff.schemas import ManagerOut, StaffCreate, StaffOut

router = APIRouter(tags=["admin"])


@router.post(
    "/admin/staff",
    status_code=201,
    response_model=StaffOut,
    responses={
        403: {"description": "A manager naming a theatre it does not run"},
        409: {"description": "Email taken"},
        422: {"description": "Unknown theatres"},
    },
)
async def create_staff(
    body: StaffCreate,
    principal: OperatorDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> StaffOut:
    """A staff account that checks tickets in at the given theatres; it signs in as usual. An
    admin's, or a manager's for the theatres it runs."""
    user, theatre_ids = await service.create_staff(
        session,
        settings,
        principal,
        email=body.email,
        password=body.password,
        name=body.name,
        theatre_ids=body.theatre_ids,
        now=now,
    )
    return StaffOut(id=user.id, email=user.email, name=user.name, theatre_ids=theatre_ids)


@router.post(
    "/admin/managers",
    status_code=201,
    response_model=ManagerOut,
    responses={409: {"description": "Email taken"}, 422: {"description": "Unknown theatres"}},
)
async def create_manager(
    body: StaffCreate, _admin: AdminDep, session: SessionDep, settings: SettingsDep, now: NowDep
) -> ManagerOut:
    """A manager account that runs the given theatres (SPEC "Back office"): for them it does
    what an admin does for all; it signs in as usual."""
    user, theatre_ids = await service.create_manager(
        session,
        settings,
        email=body.email,
        password=body.password,
        name=body.name,
        theatre_ids=body.theatre_ids,
        now=now,
    )
    return ManagerOut(id=user.id, email=user.email, name=user.name, theatre_ids=theatre_ids)
