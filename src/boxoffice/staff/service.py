"""Staff accounts: users with the `staff` role who check tickets in at their theatres, and with
the `counter` permission sell at their counters."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.accounts.dependencies import ensure_manages_theatre
from boxoffice.accounts.models import Role, User
from boxoffice.accounts.principal import Principal
from boxoffice.accounts.service import new_account
from boxoffice.config import Settings
from boxoffice.errors import Forbidden, InvalidInput
from boxoffice.staff import repository


async def create_staff(
    session: AsyncSession,
    settings: Settings,
    *,
    email: str,
    password: str,
    name: str,
    theatre_ids: list[uuid.UUID],
    now: datetime,
    counter: bool = False,
) -> tuple[User, list[uuid.UUID]]:
    theatre_ids = list(dict.fromkeys(theatre_ids))
    unknown = set(theatre_ids) - await repository.existing_theatres(session, theatre_ids)
    if unknown:
        raise InvalidInput(
            "Some theatre ids are not theatres.", unknown_theatre_ids=sorted(map(str, unknown))
        )
    user = await new_account(
        session, settings, now, email=email, password=password, name=name, role=Role.STAFF
    )
    repository.assign(session, user.id, theatre_ids, counter=counter)
    await session.flush()
    return user, theatre_ids


async def ensure_may_work_at(
    session: AsyncSession, principal: Principal, theatre_id: uuid.UUID
) -> None:
    """Admins work everywhere; staff only at their theatres (403 elsewhere)."""
    if principal.is_admin:
        return
    if principal.is_staff and await repository.works_at(session, principal.id, theatre_id):
        return
    raise Forbidden("Staff may only work at the theatres they are assigned to.")


async def ensure_may_sell_at(
    session: AsyncSession, principal: Principal, theatre_id: uuid.UUID
) -> None:
    """Who may sell and refund at a theatre's counter: staff with the `counter` permission
    there, a manager of the theatre, an admin; anyone else gets 403."""
    if principal.is_staff and await repository.sells_at(session, principal.id, theatre_id):
        return
    if principal.is_guest:
        raise Forbidden("Selling at the counter needs a staff account with the counter permission.")
    try:
        await ensure_manages_theatre(principal, theatre_id)
    except Forbidden:
        raise Forbidden(
            "Selling at this theatre's counter needs the counter permission for it, or managing it."
        ) from None
