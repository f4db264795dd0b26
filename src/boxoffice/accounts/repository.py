"""All SQL of the accounts domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from boxoffice.accounts.models import (
    Guest,
    ManagedTheatre,
    PasswordResetToken,
    RefreshToken,
    SignInSession,
    User,
)
from boxoffice.db.engine import autocommit_connection


async def get_guest(session: AsyncSession, guest_id: uuid.UUID) -> Guest | None:
    return await session.get(Guest, guest_id)


async def guest_unlinked(session: AsyncSession, guest_id: uuid.UUID) -> bool:
    """Whether the guest exists and was not linked to an account (its token not spent).

    On PostgreSQL one statement on an autocommit connection, so that no transaction of the
    request's is begun for it: most routes a guest calls while paying (the order, verify) end
    theirs at once to call the provider, and the request's BEGIN, read and COMMIT cost several
    times this read."""
    engine = session.bind
    if isinstance(engine, AsyncEngine) and engine.dialect.name == "postgresql":
        async with autocommit_connection(engine) as connection:
            row = await connection.fetchrow(
                "SELECT linked_user_id FROM guests WHERE id = $1", guest_id
            )
        return row is not None and row["linked_user_id"] is None
    guest = await session.get(Guest, guest_id)
    return guest is not None and guest.linked_user_id is None


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def manages_theatre(session: AsyncSession, user_id: uuid.UUID, theatre_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(ManagedTheatre.user_id).where(
            ManagedTheatre.user_id == user_id, ManagedTheatre.theatre_id == theatre_id
        )
    )
    return found is not None


async def managed_theatres(session: AsyncSession, user_id: uuid.UUID) -> list[uuid.UUID]:
    query = select(ManagedTheatre.theatre_id).where(ManagedTheatre.user_id == user_id)
    return sorted(await session.scalars(query))


def assign_managed_theatres(
    session: AsyncSession, user_id: uuid.UUID, theatre_ids: list[uuid.UUID]
) -> None:
    session.add_all(ManagedTheatre(user_id=user_id, theatre_id=t) for t in theatre_ids)


async def get_user_by_email(session: AsyncSession, email: str) -> User | None:
    """`email` must already be normalised (lower-cased): that is how it is stored."""
    result = await session.scalars(select(User).where(User.email == email))
    return result.one_or_none()


async def email_taken(
    session: AsyncSession, email: str, except_user_id: uuid.UUID | None = None
) -> bool:
    query = select(User.id).where(User.email == email)
    if except_user_id is not None:
        query = query.where(User.id != except_user_id)
    return (await session.scalar(query.limit(1))) is not None


async def add_user(session: AsyncSession, user: User) -> bool:
    """Inserts the user; False when the email is taken (a racing registration won).

    After False the transaction is unusable on PostgreSQL: the caller must raise.
    """
    session.add(user)
    return await _flush_unique(session)


async def save_changes(session: AsyncSession) -> bool:
    """Writes pending changes (a profile edit); False when a new email is already taken."""
    return await _flush_unique(session)


async def _flush_unique(session: AsyncSession) -> bool:
    try:
        await session.flush()
    except IntegrityError:
        return False
    return True


async def add_guest(session: AsyncSession, guest: Guest) -> None:
    session.add(guest)
    await session.flush()


async def add_refresh_token(session: AsyncSession, token: RefreshToken) -> None:
    session.add(token)
    await session.flush()


async def get_refresh_token(
    session: AsyncSession, token_id: uuid.UUID, *, fresh: bool = False
) -> RefreshToken | None:
    """The token's row; `fresh`: as the database has it now, not as this session last saw it."""
    query = select(RefreshToken).where(RefreshToken.id == token_id)
    if fresh:
        query = query.execution_options(populate_existing=True)
    result = await session.scalars(query)
    return result.one_or_none()


async def record_rotation(
    session: AsyncSession, token_id: uuid.UUID, refresh_id: uuid.UUID, access_id: uuid.UUID
) -> None:
    """Notes which pair rotating a refresh token issued (see `sessions.refresh`)."""
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == token_id)
        .values(replaced_by_id=refresh_id, replaced_access_id=access_id)
        .execution_options(synchronize_session=False)
    )


async def use_refresh_token(
    session: AsyncSession, token_id: uuid.UUID, user_id: uuid.UUID, now: datetime
) -> bool:
    """Revokes a live refresh token in one conditional write; True for the one caller that did.

    Two requests presenting the same token at once cannot both succeed: the second finds the
    row already revoked (PostgreSQL re-checks the condition after the first commits; SQLite
    serialises writers).
    """
    result = await session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.id == token_id,
            RefreshToken.user_id == user_id,
            RefreshToken.revoked_at.is_(None),
            RefreshToken.expires_at > now,
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


async def add_session(session: AsyncSession, sign_in_session: SignInSession) -> None:
    session.add(sign_in_session)
    await session.flush()


async def use_session(session: AsyncSession, session_id: uuid.UUID, now: datetime) -> bool:
    """Marks a live session used, locking its row until commit; False when it has ended."""
    result = await session.execute(
        update(SignInSession)
        .where(SignInSession.id == session_id, SignInSession.revoked_at.is_(None))
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


async def end_sessions(
    session: AsyncSession,
    user_id: uuid.UUID,
    now: datetime,
    *,
    keep: uuid.UUID | None = None,
    only: uuid.UUID | None = None,
) -> None:
    """Ends the account's live sessions: all of them, all but `keep`, or `only` that one."""
    query = update(SignInSession).where(
        SignInSession.user_id == user_id, SignInSession.revoked_at.is_(None)
    )
    if keep is not None:
        query = query.where(SignInSession.id != keep)
    if only is not None:
        query = query.where(SignInSession.id == only)
    await session.execute(query.values(revoked_at=now).execution_options(synchronize_session=False))


async def add_reset_token(session: AsyncSession, token: PasswordResetToken) -> None:
    session.add(token)
    await session.flush()


async def use_reset_token(
    session: AsyncSession, token_hash: str, now: datetime
) -> uuid.UUID | None:
    """Spends a live reset token in one conditional write: its account, or None when there is
    no such token, or it was used, or it ran out (of two uses at once, one gets the account)."""
    result = await session.execute(
        update(PasswordResetToken)
        .where(
            PasswordResetToken.token_hash == token_hash,
            PasswordResetToken.used_at.is_(None),
            PasswordResetToken.expires_at > now,
        )
        .values(used_at=now)
        .returning(PasswordResetToken.user_id)
        .execution_options(synchronize_session=False)
    )
    return result.scalar_one_or_none()


async def spend_reset_tokens_of(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user_id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )


async def claim_guest(
    session: AsyncSession, guest_id: uuid.UUID, user_id: uuid.UUID, now: datetime
) -> bool:
    """Links an unlinked guest to the user in one conditional write; True when this call did.

    Two logins linking the same guest to different accounts at once: exactly one matches.
    """
    result = await session.execute(
        update(Guest)
        .where(Guest.id == guest_id, Guest.linked_user_id.is_(None))
        .values(linked_user_id=user_id, linked_at=now)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


async def guest_link(session: AsyncSession, guest_id: uuid.UUID) -> tuple[bool, uuid.UUID | None]:
    """(whether the guest exists, the user it is linked to), read fresh from the database."""
    row = (
        await session.execute(select(Guest.linked_user_id).where(Guest.id == guest_id))
    ).one_or_none()
    if row is None:
        return False, None
    return True, row[0]


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)
