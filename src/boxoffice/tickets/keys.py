"""Ticket signing keys: the database's (generated once, on first use, race-free) or the one in
`TICKET_SIGNING_KEY`. The newest key signs; every key verifies and is published, so tickets
signed before a rotation keep verifying under their `kid`.

Private keys never leave this module: not in logs, errors or responses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.config import Settings
from boxoffice.logs import get_logger
from boxoffice.tickets import repository
from boxoffice.tickets.signing import (
    b64url,
    b64url_decode,
    kid_for,
    private_key_from_raw,
    raw_public_key,
)

log = get_logger("boxoffice.tickets.keys")


@dataclass(frozen=True)
class SigningKeyPair:
    kid: str
    private_key: Ed25519PrivateKey = field(repr=False)

    @property
    def public_raw(self) -> bytes:
        return raw_public_key(self.private_key)


def _configured_key(settings: Settings | None) -> SigningKeyPair | None:
    if settings is None or settings.ticket_signing_key is None:
        return None
    private = private_key_from_raw(b64url_decode(settings.ticket_signing_key.get_secret_value()))
    return SigningKeyPair(kid_for(raw_public_key(private)), private)


async def _add_generation(session: AsyncSession, generation: int, now: datetime) -> None:
    private = Ed25519PrivateKey.generate()
    public = raw_public_key(private)
    added = await repository.insert_key_if_absent(
        session,
        generation,
        kid_for(public),
        b64url(private.private_bytes_raw()),
        b64url(public),
        now,
    )
    if added:
        log.info("ticket_signing_key_created", kid=kid_for(public), generation=generation)


async def current_key(
    session: AsyncSession, settings: Settings | None, now: datetime
) -> SigningKeyPair:
    """The key that signs new tickets; the first database key is created here, once."""
    configured = _configured_key(settings)
    if configured is not None:
        return configured
    keys = await repository.signing_keys(session)
    if not keys:
        # Every process that gets here inserts generation 1; one insert wins, all read it back.
        await _add_generation(session, 1, now)
        keys = await repository.signing_keys(session)
    newest = keys[0]
    return SigningKeyPair(newest.kid, private_key_from_raw(b64url_decode(newest.private_key)))


async def rotate(session: AsyncSession, now: datetime) -> str:
    """Adds a new database key that signs from now on; the older ones keep verifying."""
    await _add_generation(session, await repository.newest_generation(session) + 1, now)
    return (await repository.signing_keys(session))[0].kid


async def published_keys(
    session: AsyncSession, settings: Settings | None, now: datetime
) -> list[tuple[str, bytes]]:
    """(kid, raw public key) of every key that may have signed a ticket, the signing one first."""
    signing = await current_key(session, settings, now)  # creates the first key if need be
    published = [(signing.kid, signing.public_raw)]
    for key in await repository.signing_keys(session):
        if key.kid != signing.kid:
            published.append((key.kid, b64url_decode(key.public_key)))
    return published


async def verifying_keys(
    session: AsyncSession, settings: Settings | None, now: datetime
) -> dict[str, Ed25519PublicKey]:
    return {
        kid: Ed25519PublicKey.from_public_bytes(raw)
        for kid, raw in await published_keys(session, settings, now)
    }
