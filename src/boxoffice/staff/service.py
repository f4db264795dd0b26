"""The people of a theatre: staff accounts (users with the `staff` role who check tickets in at
their theatres) and manager accounts (the `manager` role: they run their theatres)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.accounts import repository as accounts_repository
from boxoffice.accounts.dependencies import ensure_manages_theatre, may_manage_theatre
from boxoffice.accounts.models import Role, User
from boxoffice.accounts.principal import Principal
from boxoffice.accounts.service import new_account
from boxoffice.config import Settings
from boxoffice.errors import Forbidden, InvalidInput
from boxoffice.staff import repository


async def _known_theatres(session: AsyncSession, theatre_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """The ids once each, in the order given; 422 naming those that are not theatres."""
    theatre_ids = list(dict.fromkeys(theatre_ids))
    unknown = set(theatre_ids) - await repository.existing_theatres(session, theatre_ids)
    if unknown:
        raise InvalidInput(
            "Some theatre ids are not theatres.", unknown_theatre_ids=sorted(map(str, unknown))
        )
    return theatre_ids


async def create_staff(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    *,
    email: str,
    password: str,
    name: str,
    theatre_ids: list[uuid.UUID],
    now: datetime,
) -> tuple[User, list[uuid.UUID]]:
    """A staff account for theatres: an admin's for any, a manager's for theirs (403 if one
    of them is not)."""
    for theatre_id in dict.fromkeys(theatre_ids):
        await ensure_manages_theatre(session, principal, theatre_id)
    account = NewAccount(email, password, name, Role.STAFF)
    return await _new_member(session, settings, account, theatre_ids, now, repository.assign)


async def create_manager(
    session: AsyncSession,
    settings: Settings,
    *,
    email: str,
    password: str,
    name: str,
    theatre_ids: list[uuid.UUID],
    now: datetime,
) -> tuple[User, list[uuid.UUID]]:
    """A manager account that runs the given theatres (an admin's act); it signs in as usual."""
    account = NewAccount(email, password, name, Role.MANAGER)
    assign = accounts_repository.assign_managed_theatres
    return await _new_member(session, settings, account, theatre_ids, now, assign)


@dataclass(frozen=True)
class NewAccount:
    email: str
    password: str
    name: str
    role: Role


async def _new_member(
    session: AsyncSession,
    settings: Settings,
    account: NewAccount,
    theatre_ids: list[uuid.UUID],
    now: datetime,
    assign: Callable[[AsyncSession, uuid.UUID, list[uuid.UUID]], None],
) -> tuple[User, list[uuid.UUID]]:
    """The account, with its theatres (each once, in the order given; 422 naming unknown ones)."""
    theatre_ids = await _known_theatres(session, theatre_ids)
    user = await new_account(
        session,
        settings,
        now,
        email=account.email,
        password=account.password,
        name=account.name,
        role=account.role,
    )
    assign(session, user.id, theatre_ids)
    await session.flush()
    return user, theatre_ids


async def ensure_may_work_at(
    session: AsyncSession, principal: Principal, theatre_id: uuid.UUID
) -> None:
    """Admins work everywhere; staff at their theatres, managers at the theatres they run (403
    elsewhere)."""
    if principal.is_staff and await repository.works_at(session, principal.id, theatre_id):
        return
    if await may_manage_theatre(session, principal, theatre_id):
        return
    raise Forbidden("Staff may only work at the theatres they are assigned to.")
