"""Accounts: registration and login, guests and linking, profiles. Passwords are
`accounts.passwords`, sessions and their tokens `accounts.sessions`.

Services never commit; the request's unit of work does. Errors are `boxoffice.errors` classes.
Nothing here logs or returns a password, a hash or a token other than the ones it issues.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice import events
from boxoffice.accounts import repository, sessions, tokens
from boxoffice.accounts.events import GuestLinked
from boxoffice.accounts.models import Guest, Role, User
from boxoffice.accounts.passwords import (
    hash_password_async,
    password_hasher,
    password_needs_rehash,
    verify_password_async,
)
from boxoffice.accounts.principal import Principal
from boxoffice.accounts.schemas import normalize_email
from boxoffice.accounts.sessions import IssuedTokens, SignedIn
from boxoffice.accounts.tokens import PrincipalKind, TokenClaims, TokenType
from boxoffice.config import Settings
from boxoffice.db.base import new_id
from boxoffice.errors import Conflict, InvalidInput, Unauthenticated

GUEST_ROLE = "guest"
BAD_CREDENTIALS = "The email or password is wrong."


@dataclass(frozen=True)
class GuestSignedIn:
    guest: Guest
    tokens: IssuedTokens


# --- registration, login -------------------------------------------------------------------


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
    return await sessions.sign_in(session, settings, user, now)


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
    return await sessions.sign_in(session, settings, user, now)


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
        access_token=tokens.encode(sessions.secret(settings), claims, now),
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
        claims = tokens.decode(sessions.secret(settings), guest_token, now)
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


async def managed_theatres(session: AsyncSession, principal: Principal) -> list[uuid.UUID]:
    """The theatres a manager runs (none for anyone else)."""
    if not principal.is_manager:
        return []
    return await repository.managed_theatres(session, principal.id)


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
