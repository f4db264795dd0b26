"""/auth (register, login, refresh, sign-out, password reset, guest) and /me (profile,
password)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from boxoffice.accounts import passwords, service, sessions
from boxoffice.accounts.dependencies import PrincipalDep, UserDep
from boxoffice.accounts.errors import WrongPassword
from boxoffice.accounts.schemas import (
    GuestProfile,
    GuestTokens,
    LoginRequest,
    LogoutRequest,
    PasswordChange,
    PasswordResetAccepted,
    PasswordResetConfirm,
    PasswordResetRequest,
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
from boxoffice.ratelimit import enforce, password_attempt, rate_limited

router = APIRouter(prefix="/auth", tags=["auth"])
me_router = APIRouter(prefix="/me", tags=["me"])


def _user_tokens(signed_in: sessions.SignedIn) -> UserTokens:
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
        signed_in = await sessions.refresh(session, settings, now, body.refresh_token)
    except sessions.RefreshTokenReused as error:
        # Answer without raising, so that the unit of work commits the revocation it made.
        return problem_response(error)
    return _user_tokens(signed_in)


@router.post(
    "/logout",
    status_code=204,
    dependencies=[rate_limited("auth.logout", "rate_limit_auth", key="ip")],
    responses={401: {"description": "Not a refresh token of ours"}},
)
async def logout(
    body: LogoutRequest, session: SessionDep, settings: SettingsDep, now: NowDep
) -> Response:
    """Sign out: the session of this refresh token ends at once (its refresh tokens stop
    working; its access token lives out its short life). Again: nothing more happens."""
    await sessions.sign_out(session, settings, now, body.refresh_token)
    return Response(status_code=204)


@router.post("/logout-all", status_code=204)
async def logout_all(principal: UserDep, session: SessionDep, now: NowDep) -> Response:
    """Sign out everywhere: every session of the account ends, this one too."""
    await sessions.end_sessions(session, principal.id, now)
    return Response(status_code=204)


@router.post(
    "/password-reset",
    status_code=202,
    response_model=PasswordResetAccepted,
    dependencies=[rate_limited("auth.password_reset", "rate_limit_password_reset", key="ip")],
)
async def request_password_reset(
    body: PasswordResetRequest, request: Request, session: SessionDep, now: NowDep
) -> PasswordResetAccepted:
    """Email a link to choose a new password (single use, valid 30 minutes) to the account that
    uses this address. The answer is the same whether one does or not."""
    await enforce(
        request,
        "auth.password_reset.account",
        "rate_limit_password_reset_per_account",
        f"account:{body.email}",
    )
    await passwords.request_reset(session, body.email, now)
    return PasswordResetAccepted()


@router.post(
    "/password-reset/confirm",
    status_code=204,
    dependencies=[rate_limited("auth.password_reset_confirm", "rate_limit_auth", key="ip")],
    responses={400: {"description": "The link was used, ran out, or is not one we sent"}},
)
async def confirm_password_reset(
    body: PasswordResetConfirm, session: SessionDep, settings: SettingsDep, now: NowDep
) -> Response:
    """Set a new password with the token from the reset email; every session ends."""
    await passwords.confirm_reset(session, settings, body.token, body.new_password, now)
    return Response(status_code=204)


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
    """The caller's profile: an account (`kind: "user"`, with `role`, and for a manager the
    `theatre_ids` it runs) or a guest."""
    profile = profile_of(await service.get_profile(session, principal))
    if principal.is_manager and isinstance(profile, UserProfile):
        managed = await service.managed_theatres(session, principal)
        profile.theatre_ids = [str(theatre_id) for theatre_id in managed]
    return profile


@me_router.post(
    "/password",
    status_code=204,
    responses={
        403: {"description": "`current_password` is wrong (wrong-password), or a guest"},
        429: {"description": "Too many wrong passwords for this account"},
    },
)
async def change_password(
    body: PasswordChange,
    request: Request,
    principal: UserDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> Response:
    """A new password, given the current one: every other session of the account ends."""
    async with password_attempt(request, f"user:{principal.id}", wrong=WrongPassword):
        await passwords.change_password(
            session, settings, principal, body.current_password, body.new_password, now
        )
    return Response(status_code=204)


@me_router.patch(
    "",
    response_model=Profile,
    responses={409: {"description": "The new email belongs to another account"}},
)
async def patch_me(body: ProfilePatch, principal: PrincipalDep, session: SessionDep) -> Profile:
    """Change email, phone or name. Guests give a contact here before paying."""
    changes = body.model_dump(include=body.model_fields_set)
    return profile_of(await service.update_profile(session, principal, changes))
