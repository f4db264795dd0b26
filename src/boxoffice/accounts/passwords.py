"""Passwords: argon2id hashes, a change by the account's owner, and a reset by email (SPEC
"Accounts").

A change needs the current password and ends every other session of the account. A reset is
asked for with an email address: the same answer whether an account uses it or not; when one
does, a single-use link valid for 30 minutes goes out through the email outbox (only the
token's SHA-256 is stored). Using it sets the new password and ends every session. Nothing here
logs or returns a password, a hash or a token.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
from datetime import datetime, timedelta
from functools import cache

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice import events
from boxoffice.accounts import repository, sessions
from boxoffice.accounts.errors import InvalidResetToken, WrongPassword
from boxoffice.accounts.events import PasswordResetRequested
from boxoffice.accounts.models import PasswordResetToken
from boxoffice.accounts.principal import Principal
from boxoffice.config import Settings
from boxoffice.db.base import new_id
from boxoffice.errors import Unauthenticated

RESET_VALID_FOR = timedelta(minutes=30)

# --- hashes -----------------------------------------------------------------------------------

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


# --- a change by the owner --------------------------------------------------------------------


async def change_password(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    current_password: str,
    new_password: str,
    now: datetime,
) -> None:
    """The account's new password, given its current one (WrongPassword otherwise); every
    session but the caller's ends."""
    user = await repository.get_user(session, principal.id)
    if user is None:
        raise Unauthenticated("This account no longer exists.")
    if not await verify_password_async(settings, current_password, user.password_hash):
        raise WrongPassword("The current password is wrong.")
    user.password_hash = await hash_password_async(settings, new_password)
    await repository.save_changes(session)
    await sessions.end_sessions(session, user.id, now, keep=principal.session_id)


# --- a reset by email -------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def request_reset(session: AsyncSession, email: str, now: datetime) -> None:
    """Sends the account that uses `email`, if any, a link to reset its password. Says nothing
    either way: the caller answers the same whatever happened here."""
    user = await repository.get_user_by_email(session, email)
    if user is None:
        return
    token = secrets.token_urlsafe(32)
    expires_at = now + RESET_VALID_FOR
    await repository.add_reset_token(
        session,
        PasswordResetToken(
            id=new_id(),
            user_id=user.id,
            token_hash=_digest(token),
            expires_at=expires_at,
            created_at=now,
        ),
    )
    # The notifications domain writes the email to the outbox in this transaction.
    await events.publish(
        session, PasswordResetRequested(user.email, user.name, token, expires_at, now)
    )


async def confirm_reset(
    session: AsyncSession, settings: Settings, token: str, new_password: str, now: datetime
) -> None:
    """Spends a live reset token (InvalidResetToken for a used, expired or unknown one), sets
    the new password, spends the account's other reset links and ends every session."""
    # Hash before the first query: on SQLite that query takes the write lock for the request.
    password_hash = await hash_password_async(settings, new_password)
    user_id = await repository.use_reset_token(session, _digest(token), now)
    user = await repository.get_user(session, user_id) if user_id is not None else None
    if user is None:
        raise InvalidResetToken(
            "This password reset link is not valid: it was used, it expired, or it is not "
            "one we sent. Ask for a new one."
        )
    user.password_hash = password_hash
    await repository.save_changes(session)
    await repository.spend_reset_tokens_of(session, user.id, now)
    await sessions.end_sessions(session, user.id, now)
