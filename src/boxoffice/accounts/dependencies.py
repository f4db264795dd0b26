"""Who is calling: the bearer token turned into a Principal, and the role checks routes use."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.accounts import repository, tokens
from boxoffice.accounts.principal import SPENT_GUEST_TOKEN, Principal
from boxoffice.accounts.tokens import TokenType
from boxoffice.config import Settings
from boxoffice.dependencies import NowDep, SessionDep, SettingsDep
from boxoffice.errors import Forbidden, Unauthenticated

_bearer = HTTPBearer(auto_error=False, description="JWT from /api/v1/auth/*")


async def token_principal(
    settings: SettingsDep,
    now: NowDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller as its bearer token says, with no database read. For the sale path, whose
    statements check for themselves that a guest was not linked meanwhile; every other route
    takes `current_principal`."""
    if credentials is None:
        raise Unauthenticated("A bearer token is required.")
    return _principal_of(settings, credentials.credentials, now)


async def token_actor(principal: Annotated[Principal, Depends(token_principal)]) -> str:
    """The bearer token's caller as audit trails and rate limits name it (no database read)."""
    return principal.actor


def principal_from_token(settings: Settings, authorization: str | None, now: datetime) -> Principal:
    """`token_principal` from an Authorization header's value, outside FastAPI's dependencies
    (the sale path's lane, `bookings.endpoints.SalePathLane`)."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("A bearer token is required.")
    return _principal_of(settings, token, now)


def _principal_of(settings: Settings, token: str, now: datetime) -> Principal:
    try:
        claims = tokens.decode(settings.jwt_secret.get_secret_value(), token, now)
    except tokens.InvalidToken as exc:
        raise Unauthenticated("The bearer token is invalid or expired.") from exc
    if claims.token_type is not TokenType.ACCESS:
        raise Unauthenticated("A refresh token cannot be used as an access token.")
    return Principal(
        kind=claims.kind, id=claims.subject, role=claims.role, session_id=claims.session_id
    )


async def current_principal(
    principal: Annotated[Principal, Depends(token_principal)], session: SessionDep
) -> Principal:
    """The caller, and for a guest, that its token was not spent by linking it to an account."""
    if principal.is_guest and not await repository.guest_unlinked(session, principal.id):
        raise Unauthenticated(SPENT_GUEST_TOKEN)
    return principal


async def optional_principal(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    settings: SettingsDep,
    now: NowDep,
    session: SessionDep,
) -> Principal | None:
    """The caller, or None when the request carries no bearer token (a route that also opens
    for a signed link); a token that is there must be valid."""
    if credentials is None:
        return None
    principal = await token_principal(settings, now, credentials)
    return await current_principal(principal, session)


async def current_admin(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    if not principal.is_admin:
        raise Forbidden("This needs the admin role.")
    return principal


async def current_staff_or_admin(
    principal: Annotated[Principal, Depends(current_principal)],
) -> Principal:
    """Staff or a manager (each scoped to their theatres by the route's service: `staff.service.
    ensure_may_work_at`) or an admin (everywhere): who may work a theatre's door."""
    if not (principal.is_admin or principal.is_staff or principal.is_manager):
        raise Forbidden("This needs the staff, manager or admin role.")
    return principal


async def current_operator(
    principal: Annotated[Principal, Depends(current_principal)],
) -> Principal:
    """An admin, or a manager of some theatres: the route (or its service) then asks
    `ensure_manages_theatre` about the theatre it touches."""
    if not (principal.is_admin or principal.is_manager):
        raise Forbidden("This needs the admin or manager role.")
    return principal


async def may_manage_theatre(
    session: AsyncSession, principal: Principal, theatre_id: uuid.UUID
) -> bool:
    """Whether the caller runs the theatre: an admin runs every theatre, a manager those it was
    given (`POST /admin/managers`). The one place that decides (SPEC "Back office")."""
    if principal.is_admin:
        return True
    if not principal.is_manager:
        return False
    return await repository.manages_theatre(session, principal.id, theatre_id)


async def ensure_manages_theatre(
    session: AsyncSession, principal: Principal, theatre_id: uuid.UUID
) -> None:
    """403 unless the caller runs the theatre (`may_manage_theatre`): its settings, money terms
    and policy, screens and layouts, shows, prices, reports and staff. An unknown theatre is
    nobody's but an admin's, who then meets the route's own 404."""
    if not await may_manage_theatre(session, principal, theatre_id):
        raise Forbidden("This needs the admin role, or the manager role at this theatre.")


async def current_theatre_manager(
    theatre_id: uuid.UUID,
    principal: Annotated[Principal, Depends(current_operator)],
    session: SessionDep,
) -> Principal:
    """For routes under /theatres/{theatre_id}: the caller, when it may run that theatre."""
    await ensure_manages_theatre(session, principal, theatre_id)
    return principal


async def current_user(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    """A registered account (not a guest)."""
    if principal.is_guest:
        raise Forbidden("This needs a registered account.")
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]
OptionalPrincipalDep = Annotated[Principal | None, Depends(optional_principal)]
TokenPrincipalDep = Annotated[Principal, Depends(token_principal)]
AdminDep = Annotated[Principal, Depends(current_admin)]
UserDep = Annotated[Principal, Depends(current_user)]
StaffOrAdminDep = Annotated[Principal, Depends(current_staff_or_admin)]  # managers too
OperatorDep = Annotated[Principal, Depends(current_operator)]
TheatreManagerDep = Annotated[Principal, Depends(current_theatre_manager)]
