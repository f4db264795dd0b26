"""JWT access, refresh and guest tokens (PyJWT, HS256 pinned)."""

from __future__ import annotations

import enum
import functools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

ALGORITHM = "HS256"
ISSUER = "boxoffice"


class TokenType(enum.StrEnum):
    ACCESS = "access"
    REFRESH = "refresh"


class PrincipalKind(enum.StrEnum):
    USER = "user"
    GUEST = "guest"


@dataclass(frozen=True)
class TokenClaims:
    subject: uuid.UUID
    kind: PrincipalKind
    role: str  # "customer" | "admin" | "guest"
    token_type: TokenType
    token_id: uuid.UUID
    expires_at: datetime
    session_id: uuid.UUID | None = None  # an account's sign-in (`sid`); guests have none


class InvalidToken(Exception):
    pass


def encode(secret: str, claims: TokenClaims, issued_at: datetime) -> str:
    payload: dict[str, Any] = {
        "iss": ISSUER,
        "sub": str(claims.subject),
        "kind": claims.kind.value,
        "role": claims.role,
        "typ": claims.token_type.value,
        "jti": str(claims.token_id),
        "iat": int(issued_at.timestamp()),
        "exp": int(claims.expires_at.timestamp()),
    }
    if claims.session_id is not None:
        payload["sid"] = str(claims.session_id)
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def decode(secret: str, token: str, now: datetime) -> TokenClaims:
    """Verify signature, issuer and expiry (against our clock); raise InvalidToken otherwise."""
    claims = signed_claims(secret, token)
    if claims.expires_at <= now:
        raise InvalidToken("token expired")
    return claims


def signed_claims(secret: str, token: str) -> TokenClaims:
    """The claims of a token we signed, expired or not (naming a session to end needs no
    more); InvalidToken otherwise."""
    return _verified(secret, token)


@functools.lru_cache(maxsize=8192)
def _verified(secret: str, token: str) -> TokenClaims:
    """A token's signature and claims, checked once: a buyer's client sends the same token with
    every request of a sale, and verifying it costs more than the rest of a hold's Python.
    Expiry depends on the time, so `decode` checks it on every call."""
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            # Expiry is checked by `decode` against our clock (tests move it), not PyJWT's.
            options={
                "require": ["exp", "iat", "sub", "jti", "iss"],
                "verify_exp": False,
                "verify_iat": False,
            },
        )
        return TokenClaims(
            subject=uuid.UUID(payload["sub"]),
            kind=PrincipalKind(payload["kind"]),
            role=str(payload["role"]),
            token_type=TokenType(payload["typ"]),
            token_id=uuid.UUID(payload["jti"]),
            expires_at=datetime.fromtimestamp(int(payload["exp"]), tz=UTC),
            session_id=uuid.UUID(payload["sid"]) if "sid" in payload else None,
        )
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise InvalidToken(str(exc)) from exc


def expiring_in(now: datetime, seconds: int) -> datetime:
    return now + timedelta(seconds=seconds)
