from __future__ import annotations

from fastapi import APIRouter

from boxoffice.accounts.dependencies import AdminDep
from boxoffice.dependencies import NowDep, SessionDep, SettingsDep
from boxoffice.staff import service
from boxoffice.staff.schemas import StaffCreate, StaffOut

router = APIRouter(tags=["admin"])


@router.post(
    "/admin/staff",
    status_code=201,
    response_model=StaffOut,
    responses={409: {"description": "Email taken"}, 422: {"description": "Unknown theatres"}},
)
async def create_staff(
    body: StaffCreate, _admin: AdminDep, session: SessionDep, settings: SettingsDep, now: NowDep
) -> StaffOut:
    """A staff account that checks tickets in at the given theatres (and with the `counter`
    permission sells and refunds at their counters); it signs in as usual."""
    user, theatre_ids = await service.create_staff(
        session,
        settings,
        email=body.email,
        password=body.password,
        name=body.name,
        theatre_ids=body.theatre_ids,
        counter="counter" in body.permissions,
        now=now,
    )
    return StaffOut(
        id=user.id,
        email=user.email,
        name=user.name,
        theatre_ids=theatre_ids,
        permissions=sorted(set(body.permissions)),
    )
