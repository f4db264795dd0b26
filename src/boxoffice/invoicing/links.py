"""Links that open a booking's invoice without signing in: the one the confirmation email
carries. A mail client opening a link sends no bearer token, and a guest may read the email on
another device than the one that paid, so the link itself carries the proof: a key the server
signed for that booking's invoice and nothing else (PyJWT, HS256, the application's secret, an
audience of its own, so it is never an access token and no access token is a link).

It does not expire: a tax invoice is a record the customer keeps, and the email that holds the
link is kept as long. Rotating `JWT_SECRET` ends every such link (and every session).
"""

from __future__ import annotations

import uuid

import jwt

from boxoffice.accounts.tokens import ALGORITHM, ISSUER

AUDIENCE = "boxoffice:invoice"


def invoice_key(secret: str, booking_id: uuid.UUID) -> str:
    return jwt.encode(
        {"iss": ISSUER, "aud": AUDIENCE, "sub": str(booking_id)}, secret, algorithm=ALGORITHM
    )


def opens_invoice(secret: str, key: str, booking_id: uuid.UUID) -> bool:
    """Whether `key` was signed here for this booking's invoice."""
    try:
        claims = jwt.decode(
            key,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["iss", "aud", "sub"]},
        )
    except jwt.PyJWTError:
        return False
    return claims.get("sub") == str(booking_id)
