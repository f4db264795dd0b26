from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from boxoffice.db.base import Base, IdMixin, TimestampMixin, str_enum


class Role(enum.StrEnum):
    CUSTOMER = "customer"
    ADMIN = "admin"
    STAFF = "staff"  # checks tickets in at the theatres of its staff_theatres rows
    MANAGER = "manager"  # runs the theatres of its manager_theatres rows (SPEC "Back office")


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20))
    role: Mapped[Role] = mapped_column(str_enum(Role))


class ManagedTheatre(Base):
    """A manager account runs this theatre (its settings, screens, shows, prices, reports and
    staff): what `accounts.dependencies.ensure_manages_theatre` reads (migration 0021)."""

    __tablename__ = "manager_theatres"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    theatre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("theatres.id"), primary_key=True)


class Guest(IdMixin, TimestampMixin, Base):
    """A customer without an account. Linking moves its bookings to a user and spends it."""

    __tablename__ = "guests"

    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    linked_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    linked_at: Mapped[datetime | None]


class SignInSession(IdMixin, TimestampMixin, Base):
    """One sign-in on one device: the family of refresh tokens that rotating its first one
    makes (SPEC "Accounts"). Its id is the `sid` of every token of that sign-in. Revoking it
    (sign-out, a password change or reset, a refresh token reused) ends the session at once:
    none of its refresh tokens works any more; its access tokens live out their short life."""

    __tablename__ = "sign_in_sessions"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    last_used_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class RefreshToken(IdMixin, TimestampMixin, Base):
    """One issued refresh token (its id is the JWT `jti`). Rotation revokes it."""

    __tablename__ = "refresh_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sign_in_sessions.id"), index=True)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    # What rotating this token issued (the new refresh token's and access token's ids; their
    # issue time is `revoked_at`), to hand the same pair to a second tab within the grace window.
    replaced_by_id: Mapped[uuid.UUID | None]
    replaced_access_id: Mapped[uuid.UUID | None]


class PasswordResetToken(IdMixin, TimestampMixin, Base):
    """A password-reset link sent by email: single use, valid until `expires_at`. Only the
    SHA-256 of the token is kept; the token itself is in the email alone."""

    __tablename__ = "password_reset_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
