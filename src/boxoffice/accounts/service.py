"""Accounts: passwords, registration and login, token issue and rotation, guests and linking.

Services never commit; the request's unit of work does. Errors are `boxoffice.errors` classes.
Nothing here logs or returns a password, a hash or a token other than the ones it issues.
"""

from __future__ import annotations

import os
import secrets
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice import events
from boxoffice.accounts import repository, tokens
from boxoffice.accounts.events import GuestLinked
from boxoffice.accounts.models import Guest, RefreshToken, Role, User
from boxoffice.accounts.principal import Principal
from boxoffice.accounts.schemas import normalize_email
from boxoffice.accounts.tokens import PrincipalKind, TokenClaims, TokenType
from boxoffice.config import Settings
from boxoffice.db.base import new_id
from boxoffice.errors import Conflict, InvalidInput, Unauthenticated

GUEST_ROLE = "guest"
BAD_CREDENTIALS = "The email or password is wrong."

# --- passwords --------------------------------------------------------------------------------

# Each hash holds its memory cost (64 MiB by default); bound how many run at once so a burst of
# logins cannot exhaust memory.
_hash_slots = threading.BoundedSemaphore(max(2, os.cpu_count() or 2))


@cache
def _hasher(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)


def password_hasher(settings: Settings) -> PasswordHasher:
    """argon2id at the cost the settings name (`PASSWORD_HASH_TIME_COST`, `..._MEMORY_KIB`)."""
    return _hasher(settings.password_hash_time_cost, settings.password_hash_memory_kib)


def hash_password(hasher: PasswordHasher, password: str) -> str:
    with _hash_slots:
        return hasher.hash(password)


def verify_password(hasher: PasswordHasher, password: str, password_hash: str) -> bool:
    with _hash_slots:
        try:
            return hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def password_needs_rehash(hasher: PasswordHasher, password_hash: str) -> bool:
    try:
        return hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@cache
def _decoy_hash(hasher: PasswordHasher) -> str:
    """A hash of nothing anyone knows: verified when the email is unknown, so that answering
    "wrong email" takes as long as "wrong password"."""
    return hash_password(hasher, secrets.token_urlsafe(32))


# Hashing is CPU work of ~0.1 s: off the event loop, in a worker thread.
async def hash_password_async(settings: Settings, password: str) -> str:
    return await anyio.to_thread.run_sync(hash_password, password_hasher(settings), password)


async def verify_password_async(
    settings: Settings, password: str, password_hash: str | None
) -> bool:
    hasher = password_hasher(settings)
    if password_hash is None:
        decoy = await anyio.to_thread.run_sync(_decoy_hash, hasher)
        await anyio.to_thread.run_sync(verify_password, hasher, password, decoy)
        return False
    return await anyio.to_thread.run_sync(verify_password, hasher, password, password_hash)


# --- tokens -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    expires_in: int
    refresh_token: str | None = None


@dataclass(frozen=True)
class SignedIn:
    user: User
    tokens: IssuedTokens


@dataclass(frozen=True)
class GuestSignedIn:
    guest: Guest
    tokens: IssuedTokens


class RefreshTokenReused(Unauthenticated):
    """A revoked refresh token came back: someone holds a copy. Every refresh token of the
    account has been revoked, and that revocation must be committed (see the endpoint)."""


def _secret(settings: Settings) -> str:
    return settings.jwt_secret.get_secret_value()


async def _issue_user_tokens(
    session: AsyncSession,
    settings: Settings,
    user: User,
    now: datetime,
    rotated: uuid.UUID | None = None,
) -> IssuedTokens:
    """A new access and refresh token; with `rotated`, noted on that spent refresh token."""
    record = RefreshToken(
        id=new_id(),
        user_id=user.id,
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
    )
    refresh_claims = TokenClaims(
        subject=user.id,
        kind=PrincipalKind.USER,
        role=user.role.value,
        token_type=TokenType.REFRESH,
        token_id=refresh.id,
        expires_at=refresh.expires_at,
    )
    return IssuedTokens(
        access_token=tokens.encode(_secret(settings), access, issued_at),
        expires_in=settings.access_token_ttl_seconds,
        refresh_token=tokens.encode(_secret(settings), refresh_claims, issued_at),
    )


# --- registration, login, refresh -------------------------------------------------------------


async def register(
    session: AsyncSession,
    settings: Settings,
    now: datetime,
    *,
    email: str,
    password: str,
    name: str,
    phone: str | None = None,
    guest_token: str | None = None,
) -> SignedIn:
    """`email` is already normalised (lower-cased) by the request schema."""
    guest_id = _guest_of_token(settings, guest_token, now) if guest_token else None
    user = await new_account(
        session,
        settings,
        now,
        email=email,
        password=password,
        name=name,
        phone=phone,
        role=Role.CUSTOMER,
    )
    if guest_id is not None:
        await _link_guest(session, guest_id, user.id, now)
    return SignedIn(user=user, tokens=await _issue_user_tokens(session, settings, user, now))


async def new_account(
    session: AsyncSession,
    settings: Settings,
    now: datetime,
    *,
    email: str,
    password: str,
    name: str,
    phone: str | None = None,
    role: Role,
) -> User:
    """A new account (409 when the email is taken, however two sign-ups race)."""
    # Hash before the first query: on SQLite that query takes the write lock for the request.
    password_hash = await hash_password_async(settings, password)
    if await repository.email_taken(session, email):
        raise Conflict("An account with this email already exists.")
    user = User(
        id=new_id(),
        email=email,
        password_hash=password_hash,
        name=name,
        phone=phone,
        role=role,
        created_at=now,
    )
    if not await repository.add_user(session, user):
        raise Conflict("An account with this email already exists.")
    return user


async def login(
    session: AsyncSession,
    settings: Settings,
    now: datetime,
    *,
    email: str,
    password: str,
    guest_token: str | None = None,
) -> SignedIn:
    guest_id = _guest_of_token(settings, guest_token, now) if guest_token else None
    user = await repository.get_user_by_email(session, email)
    # Verify even when there is no such user: same answer, same time, no account enumeration.
    valid = await verify_password_async(settings, password, user.password_hash if user else None)
    if user is None or not valid:
        raise Unauthenticated(BAD_CREDENTIALS)
    if password_needs_rehash(password_hasher(settings), user.password_hash):
        user.password_hash = await hash_password_async(settings, password)
        await repository.save_changes(session)
    if guest_id is not None:
        await _link_guest(session, guest_id, user.id, now)
    return SignedIn(user=user, tokens=await _issue_user_tokens(session, settings, user, now))


async def refresh(
    session: AsyncSession, settings: Settings, now: datetime, refresh_token: str
) -> SignedIn:
    """Rotation: the presented token is spent and a new pair issued. A spent token presented
    again revokes every refresh token of the account (`RefreshTokenReused`), except within
    `REFRESH_REUSE_GRACE_SECONDS` of its rotation while the pair it got is unused: then it gets
    that same pair (two tabs of one browser refreshing at the same moment)."""
    invalid = Unauthenticated("The refresh token is invalid, expired or revoked.")
    try:
        claims = tokens.decode(_secret(settings), refresh_token, now)
    except tokens.InvalidToken:
        raise invalid from None
    if claims.token_type is not TokenType.REFRESH or claims.kind is not PrincipalKind.USER:
        raise invalid
    if not await repository.use_refresh_token(session, claims.token_id, claims.subject, now):
        record = await repository.get_refresh_token(session, claims.token_id)
        if record is not None and record.user_id == claims.subject and record.revoked_at:
            replayed = await _pair_of_rotation(session, settings, record, now)
            if replayed is not None:
                return replayed
            await repository.revoke_refresh_tokens_of(session, claims.subject, now)
            raise RefreshTokenReused(
                "This refresh token was already used; every session of the account has been "
                "signed out. Log in again."
            )
        raise invalid
    user = await repository.get_user(session, claims.subject)
    if user is None:
        raise invalid
    issued = await _issue_user_tokens(session, settings, user, now, rotated=claims.token_id)
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


async def create_guest(session: AsyncSession, settings: Settings, now: datetime) -> GuestSignedIn:
    guest = Guest(id=new_id(), created_at=now)
    await repository.add_guest(session, guest)
    claims = TokenClaims(
        subject=guest.id,
        kind=PrincipalKind.GUEST,
        role=GUEST_ROLE,
        token_type=TokenType.ACCESS,
        token_id=new_id(),
        expires_at=tokens.expiring_in(now, settings.guest_token_ttl_seconds),
    )
    issued = IssuedTokens(
        access_token=tokens.encode(_secret(settings), claims, now),
        expires_in=settings.guest_token_ttl_seconds,
    )
    return GuestSignedIn(guest=guest, tokens=issued)


async def create_admin(
    session: AsyncSession, settings: Settings, email: str, password: str, name: str, now: datetime
) -> User:
    """`boxoffice create-admin`: a new admin account, or an existing account promoted to admin
    with the given password."""
    try:
        email = normalize_email(email.strip())
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    if not 8 <= len(password) <= 128:
        raise InvalidInput("The password must be 8 to 128 characters long.")
    name = name.strip() or "Administrator"
    password_hash = await hash_password_async(settings, password)
    user = await repository.get_user_by_email(session, email)
    if user is None:
        user = User(
            id=new_id(),
            email=email,
            password_hash=password_hash,
            name=name[:200],
            role=Role.ADMIN,
            created_at=now,
        )
        if not await repository.add_user(session, user):
            raise Conflict("An account with this email was created at the same time; retry.")
        return user
    user.role = Role.ADMIN
    user.password_hash = password_hash
    await repository.save_changes(session)
    return user


# --- guests and linking -----------------------------------------------------------------------


def _guest_of_token(settings: Settings, guest_token: str, now: datetime) -> uuid.UUID:
    """The guest id of a valid, unexpired guest access token, else 422 (the account credentials
    may be fine; it is the `guest_token` field that is not)."""
    try:
        claims = tokens.decode(_secret(settings), guest_token, now)
    except tokens.InvalidToken:
        raise _bad_guest_token() from None
    if claims.kind is not PrincipalKind.GUEST or claims.token_type is not TokenType.ACCESS:
        raise _bad_guest_token()
    return claims.subject


def _bad_guest_token() -> InvalidInput:
    return InvalidInput(
        "guest_token is not a valid, unexpired guest token.",
        errors=[{"loc": ["body", "guest_token"], "msg": "invalid guest token", "type": "value"}],
    )


async def _link_guest(
    session: AsyncSession, guest_id: uuid.UUID, user_id: uuid.UUID, now: datetime
) -> None:
    """Moves the guest and all its bookings to the account, once. Idempotent for the same
    account; a guest already linked to another account is a 409 that fails the whole request."""
    if not await repository.claim_guest(session, guest_id, user_id, now):
        exists, linked_to = await repository.guest_link(session, guest_id)
        if not exists:
            raise _bad_guest_token()
        if linked_to != user_id:
            raise Conflict("This guest has already been linked to another account.")
    # Also on a repeat for the same account: harmless, and it catches anything left behind.
    # The bookings domain moves the guest's bookings (`bookings.handlers`).
    await events.publish(session, GuestLinked(guest_id, user_id, now))


# --- profile ----------------------------------------------------------------------------------


async def get_profile(session: AsyncSession, principal: Principal) -> User | Guest:
    if principal.is_guest:
        guest = await repository.get_guest(session, principal.id)
        if guest is None:
            raise Unauthenticated("This guest no longer exists.")
        return guest
    user = await repository.get_user(session, principal.id)
    if user is None:
        raise Unauthenticated("This account no longer exists.")
    return user


async def update_profile(
    session: AsyncSession, principal: Principal, changes: dict[str, str | None]
) -> User | Guest:
    """`changes` holds only the fields the client sent (already validated); null clears a
    field where that is allowed (a guest's anything, a user's phone)."""
    profile = await get_profile(session, principal)
    if isinstance(profile, User):
        for field in ("email", "name"):
            if field in changes and changes[field] is None:
                raise InvalidInput(
                    f"An account's {field} cannot be removed.",
                    errors=[{"loc": ["body", field], "msg": "may not be null", "type": "value"}],
                )
        new_email = changes.get("email")
        if new_email is not None and new_email != profile.email:
            if await repository.email_taken(session, new_email, except_user_id=profile.id):
                raise Conflict("An account with this email already exists.")
    for field, value in changes.items():
        setattr(profile, field, value)
    if not await repository.save_changes(session):
        raise Conflict("An account with this email already exists.")
    return profile
