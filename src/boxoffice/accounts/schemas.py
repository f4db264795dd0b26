"""Request and response bodies of /auth and /me."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import email_validator
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)

from boxoffice.accounts.models import Guest, User
from boxoffice.text import NO_CONTROL_CHARACTERS, Text200

EMAIL_MAX = 254
PHONE_PATTERN = r"^\+?[0-9]{7,15}$"


def normalize_email(value: str) -> str:
    """A syntactically valid address (no DNS lookups), lower-cased: the form it is stored in."""
    try:
        result = email_validator.validate_email(value, check_deliverability=False)
    except email_validator.EmailNotValidError as exc:
        raise ValueError(f"not a valid email address: {exc}") from None
    normalized = result.normalized.lower()
    if len(normalized) > EMAIL_MAX:
        raise ValueError(f"an email address has at most {EMAIL_MAX} characters")
    return normalized


Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=EMAIL_MAX),
    AfterValidator(normalize_email),
    WithJsonSchema({"type": "string", "format": "email", "maxLength": EMAIL_MAX}),
]
Name = Text200
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=PHONE_PATTERN)]
# Passwords are taken exactly as typed: no stripping. A new one is printable; the one given to
# sign in is checked only against its hash (never stored, shown or sent to a query).
NewPassword = Annotated[str, StringConstraints(min_length=8, max_length=128), NO_CONTROL_CHARACTERS]
Password = Annotated[str, StringConstraints(min_length=1, max_length=128)]
Token = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=4096),
    NO_CONTROL_CHARACTERS,
]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterRequest(_Request):
    email: Email
    password: NewPassword
    name: Name
    phone: Phone | None = None
    guest_token: Token | None = None


class LoginRequest(_Request):
    email: Email
    password: Password
    guest_token: Token | None = None


class RefreshRequest(_Request):
    refresh_token: Token


class LogoutRequest(_Request):
    refresh_token: Token


class PasswordChange(_Request):
    current_password: Password
    new_password: NewPassword


class PasswordResetRequest(_Request):
    email: Email


class PasswordResetConfirm(_Request):
    token: Token
    new_password: NewPassword


class PasswordResetAccepted(BaseModel):
    """The one answer to a reset request, whether an account uses the address or not."""

    status: Literal["accepted"] = "accepted"
    detail: str = (
        "If an account uses this address, an email with a link to choose a new password is on "
        "its way. The link works once, for 30 minutes."
    )


class ProfilePatch(_Request):
    """Only the fields sent change. `null` removes a guest's field or an account's phone."""

    email: Email | None = None
    phone: Phone | None = None
    name: Name | None = None


class UserProfile(BaseModel):
    id: str
    kind: Literal["user"] = "user"
    email: str
    name: str
    phone: str | None
    role: str
    created_at: datetime
    theatre_ids: list[str] | None = Field(
        None, description="the theatres a manager runs (managers only)"
    )

    @classmethod
    def of(cls, user: User) -> UserProfile:
        return cls(
            id=str(user.id),
            email=user.email,
            name=user.name,
            phone=user.phone,
            role=user.role.value,
            created_at=user.created_at,
        )


class GuestProfile(BaseModel):
    id: str
    kind: Literal["guest"] = "guest"
    email: str | None
    name: str | None
    phone: str | None
    created_at: datetime

    @classmethod
    def of(cls, guest: Guest) -> GuestProfile:
        return cls(
            id=str(guest.id),
            email=guest.email,
            name=guest.name,
            phone=guest.phone,
            created_at=guest.created_at,
        )


Profile = UserProfile | GuestProfile


def profile_of(profile: User | Guest) -> Profile:
    return UserProfile.of(profile) if isinstance(profile, User) else GuestProfile.of(profile)


class UserTokens(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the scheme, not a secret)
    expires_in: int
    user: UserProfile


class GuestTokens(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the scheme, not a secret)
    expires_in: int
    guest: GuestProfile
