"""/auth (register, login, refresh, guest) and /me (profile)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from boxoffice.accounts import service
from boxoffice.accounts.dependencies import PrincipalDep
from boxoffice.accounts.schemas import (
    GuestProfile,
    GuestTokens,
    LoginRequest,
    Profile,
    ProfilePatch,
    RefreshRequest,
    RegisterRequest,
    UserProfile,
    UserTokens,
    profile_of,
)
from boxoffice.dependencies import NowDep, SessionDep, SettingsDep
from boxoffice.errors import problem_response
from boxoffice.ratelimit import password_attempt, rate_limited

router = APIRouter(prefix="/auth", tags=["auth"])
me_router = APIRouter(prefix="/me", tags=["me"])


def _user_tokens(signed_in: service.SignedIn) -> UserTokens:
    assert signed_in.tokens.refresh_token is not None
    return UserTokens(
        access_token=signed_in.tokens.access_token,
        refresh_token=signed_in.tokens.refresh_token,
        expires_in=signed_in.tokens.expires_in,
        user=UserProfile.of(signed_in.user),
    )


@router.post(
    "/register",
    status_code=201,
    response_model=UserTokens,
    dependencies=[rate_limited("auth.register", "rate_limit_auth", key="ip")],
    responses={
        409: {"description": "Email already registered, or the guest is linked to another account"},
        422: {"description": "Invalid body, or `guest_token` is not a valid guest token"},
    },
)
async def register(
    body: RegisterRequest, session: SessionDep, settings: SettingsDep, now: NowDep
) -> UserTokens:
    """Create an account and sign in. With `guest_token`, the guest's bookings move to it."""
    signed_in = await service.register(
        session,
        settings,
        now,
        email=body.email,
        password=body.password,
        name=body.name,
        phone=body.phone,
        guest_token=body.guest_token,
    )
    return _user_tokens(signed_in)


@router.post(
    "/login",
    response_model=UserTokens,
    dependencies=[rate_limited("auth.login", "rate_limit_auth", key="ip")],
    responses={
        401: {"description": "Wrong email or password"},
        429: {
            "description": "Too many requests from this address, or wrong passwords for this "
            "account from this address or from anywhere"
        },
        409: {"description": "The guest is already linked to another account"},
        422: {"description": "Invalid body, or `guest_token` is not a valid guest token"},
    },
)
async def login(
    body: LoginRequest, request: Request, session: SessionDep, settings: SettingsDep, now: NowDep
) -> UserTokens:
    """Sign in. With `guest_token`, the guest's bookings move to the account (idempotent)."""
    async with password_attempt(request, f"account:{body.email}"):
        signed_in = await service.login(
            session,
            settings,
            now,
            email=body.email,
            password=body.password,
            guest_token=body.guest_token,
        )
    return _user_tokens(signed_in)


@router.post(
    "/refresh",
    response_model=UserTokens,
    dependencies=[rate_limited("auth.refresh", "rate_limit_auth", key="ip")],
    responses={401: {"description": "Refresh token invalid, expired, revoked or reused"}},
)
async def refresh(
    body: RefreshRequest, session: SessionDep, settings: SettingsDep, now: NowDep
) -> UserTokens | JSONResponse:
    """A new access token and a new refresh token; the presented refresh token is spent."""
    try:
        signed_in = await service.refresh(session, settings, now, body.refresh_token)
    except service.RefreshTokenReused as error:
        # Answer without raising, so that the unit of work commits the revocation it made.
        return problem_response(error)
    return _user_tokens(signed_in)


@router.post(
    "/guest",
    status_code=201,
    response_model=GuestTokens,
    dependencies=[rate_limited("auth.guest", "rate_limit_guest_tokens", key="ip")],
)
async def create_guest(session: SessionDep, settings: SettingsDep, now: NowDep) -> GuestTokens:
    """A guest identity: a bearer token for booking without an account (no refresh token)."""
    signed_in = await service.create_guest(session, settings, now)
    return GuestTokens(
        access_token=signed_in.tokens.access_token,
        expires_in=signed_in.tokens.expires_in,
        guest=GuestProfile.of(signed_in.guest),
    )


@me_router.get("", response_model=Profile, responses={401: {"description": "No or bad token"}})
async def get_me(principal: PrincipalDep, session: SessionDep) -> Profile:
    """The caller's profile: an account (`kind: "user"`, with `role`) or a guest."""
    return profile_of(await service.get_profile(session, principal))


@me_router.patch(
    "",
    response_model=Profile,
    responses={409: {"description": "The new email belongs to another account"}},
)
async def patch_me(body: ProfilePatch, principal: PrincipalDep, session: SessionDep) -> Profile:
    """Change email, phone or name. Guests give a contact here before paying."""
    changes = body.model_dump(include=body.model_fields_set)
    return profile_of(await service.update_profile(session, principal, changes))
