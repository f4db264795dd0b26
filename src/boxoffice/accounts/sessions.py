"""An account's sessions: the tokens a sign-in gets, their rotation, and ending them (SPEC
"Accounts").

Each sign-in (login, registration) opens a `SignInSession`; its id is the `sid` of every token
it is issued. A refresh spends the refresh token and issues a new pair in the same session.
Ending a session (sign-out, sign-out everywhere, a password change or reset, a spent refresh
token presented again) revokes it at once: none of its refresh tokens works any more, while the
access tokens it was given live out their short life (`ACCESS_TOKEN_TTL_SECONDS`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.accounts import repository, tokens
from boxoffice.accounts.models import RefreshToken, SignInSession, User
from boxoffice.accounts.tokens import PrincipalKind, TokenClaims, TokenType
from boxoffice.config import Settings
from boxoffice.db.base import new_id
from boxoffice.errors import Unauthenticated


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    expires_in: int
    refresh_token: str | None = None


@dataclass(frozen=True)
class SignedIn:
    user: User
    tokens: IssuedTokens


class RefreshTokenReused(Unauthenticated):
    """A spent refresh token came back: someone holds a copy. Every session of the account has
    been ended, and that must be committed (see the endpoint)."""


def secret(settings: Settings) -> str:
    return settings.jwt_secret.get_secret_value()


def _invalid_refresh_token() -> Unauthenticated:
    return Unauthenticated("The refresh token is invalid, expired or revoked.")


async def sign_in(session: AsyncSession, settings: Settings, user: User, now: datetime) -> SignedIn:
    """A new session of the account, and its first pair of tokens."""
    sign_in_session = SignInSession(id=new_id(), user_id=user.id, created_at=now, last_used_at=now)
    await repository.add_session(session, sign_in_session)
    issued = await _issue(session, settings, user, sign_in_session.id, now)
    return SignedIn(user=user, tokens=issued)


async def _issue(
    session: AsyncSession,
    settings: Settings,
    user: User,
    session_id: uuid.UUID,
    now: datetime,
    rotated: uuid.UUID | None = None,
) -> IssuedTokens:
    """A new access and refresh token of the session; with `rotated`, noted on that spent
    refresh token."""
    record = RefreshToken(
        id=new_id(),
        user_id=user.id,
        session_id=session_id,
        created_at=now,
        expires_at=tokens.expiring_in(now, settings.refresh_token_ttl_seconds),
    )
    await repository.add_refresh_token(session, record)
    access_id = new_id()
    if rotated is not None:
        await repository.record_rotation(session, rotated, record.id, access_id)
    return _signed_pair(settings, user, access_id, record, now)


def _signed_pair(
    settings: Settings, user: User, access_id: uuid.UUID, refresh: RefreshToken, issued_at: datetime
) -> IssuedTokens:
    """The JWTs for these ids and this instant: the same bytes every time they are signed."""
    access = TokenClaims(
        subject=user.id,
        kind=PrincipalKind.USER,
        role=user.role.value,
        token_type=TokenType.ACCESS,
        token_id=access_id,
        expires_at=tokens.expiring_in(issued_at, settings.access_token_ttl_seconds),
        session_id=refresh.session_id,
    )
    refresh_claims = TokenClaims(
        subject=user.id,
        kind=PrincipalKind.USER,
        role=user.role.value,
        token_type=TokenType.REFRESH,
        token_id=refresh.id,
        expires_at=refresh.expires_at,
        session_id=refresh.session_id,
    )
    return IssuedTokens(
        access_token=tokens.encode(secret(settings), access, issued_at),
        expires_in=settings.access_token_ttl_seconds,
        refresh_token=tokens.encode(secret(settings), refresh_claims, issued_at),
    )


async def refresh(
    session: AsyncSession, settings: Settings, now: datetime, refresh_token: str
) -> SignedIn:
    """Rotation: the presented token is spent and a new pair issued in its session. A token of
    an ended session is refused. A spent token presented again ends every session of the
    account (`RefreshTokenReused`), except within `REFRESH_REUSE_GRACE_SECONDS` of its rotation
    while the pair it got is unused: then it gets that same pair (two tabs of one browser
    refreshing at the same moment)."""
    record = await _record_of(session, settings, refresh_token, now)
    # Locks the session, so that a sign-out and a refresh of it take turns.
    if not await repository.use_session(session, record.session_id, now):
        raise Unauthenticated("This session has ended; sign in again.")
    user_id = record.user_id
    if not await repository.use_refresh_token(session, record.id, user_id, now):
        spent = await repository.get_refresh_token(session, record.id, fresh=True)
        if spent is None or spent.revoked_at is None:  # it ran out
            raise _invalid_refresh_token()
        replayed = await _pair_of_rotation(session, settings, spent, now)
        if replayed is not None:
            return replayed
        await end_sessions(session, user_id, now)
        raise RefreshTokenReused(
            "This refresh token was already used; every session of the account has been "
            "signed out. Log in again."
        )
    user = await repository.get_user(session, user_id)
    if user is None:
        raise _invalid_refresh_token()
    issued = await _issue(session, settings, user, record.session_id, now, rotated=record.id)
    return SignedIn(user=user, tokens=issued)


async def _pair_of_rotation(
    session: AsyncSession, settings: Settings, spent: RefreshToken, now: datetime
) -> SignedIn | None:
    """The pair that rotating `spent` issued, if it was rotated (not revoked) moments ago and
    that pair's refresh token is still unused."""
    rotated_at = spent.revoked_at
    if spent.replaced_by_id is None or spent.replaced_access_id is None or rotated_at is None:
        return None
    if now - rotated_at > timedelta(seconds=settings.refresh_reuse_grace_seconds):
        return None
    successor = await repository.get_refresh_token(session, spent.replaced_by_id)
    if successor is None or successor.revoked_at is not None:
        return None
    user = await repository.get_user(session, spent.user_id)
    if user is None:
        return None
    pair = _signed_pair(settings, user, spent.replaced_access_id, successor, rotated_at)
    return SignedIn(user=user, tokens=pair)


async def sign_out(
    session: AsyncSession, settings: Settings, now: datetime, refresh_token: str
) -> None:
    """Ends the session of any refresh token of it (spent or expired too: it names the session
    all the same). Ending an ended session changes nothing."""
    record = await _record_of(session, settings, refresh_token, None)
    await repository.end_sessions(session, record.user_id, now, only=record.session_id)


async def _record_of(
    session: AsyncSession, settings: Settings, refresh_token: str, now: datetime | None
) -> RefreshToken:
    """The row of a refresh token we issued (unexpired at `now`; None: expired or not), else
    401."""
    try:
        claims = (
            tokens.decode(secret(settings), refresh_token, now)
            if now is not None
            else tokens.signed_claims(secret(settings), refresh_token)
        )
    except tokens.InvalidToken:
        raise _invalid_refresh_token() from None
    if claims.token_type is not TokenType.REFRESH or claims.kind is not PrincipalKind.USER:
        raise _invalid_refresh_token()
    record = await repository.get_refresh_token(session, claims.token_id)
    if record is None or record.user_id != claims.subject:
        raise _invalid_refresh_token()
    return record


async def end_sessions(
    session: AsyncSession, user_id: uuid.UUID, now: datetime, keep: uuid.UUID | None = None
) -> None:
    """Ends every session of the account but `keep` (the caller's, when it has one)."""
    await repository.end_sessions(session, user_id, now, keep=keep)
