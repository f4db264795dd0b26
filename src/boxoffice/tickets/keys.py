"""Ticket signing keys: the database's (generated once, on first use, race-free) or the one in
`TICKET_SIGNING_KEY`.

- The newest database key that is not retired signs. An older one keeps verifying, and is
  published, while a ticket it signed still opens a door (until the end of the last show it
  signed for); after that it is of no use to anyone and leaves `GET /tickets/keys`.
- A key that leaked is retired at once (`boxoffice rotate-ticket-key --retire-old`): a new key
  signs from then on, the old one neither verifies nor is published, and its tickets that can
  still be used are signed again with the new key (same ticket ids; the owners' ticket pages
  show the new codes).
- With `TICKET_KEY_ENCRYPTION_KEY` set, private keys are sealed at rest (AES-256-GCM, bound to
  their kid); a key found unsealed is sealed on its next use.
- Each published key also gives secrets derived from its private half (HKDF-SHA256, one per
  purpose: `derived_secrets`), for MACs that only Boxoffice's own processes make and read (the
  queue's visitor tokens): every process derives the same, after a restart too, and they are
  rotated, retired and sealed with their key.

Private keys never leave this module: not in logs, errors or responses.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from datetime import datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.config import Settings
from boxoffice.errors import ServiceUnavailable
from boxoffice.logs import get_logger
from boxoffice.tickets import repository
from boxoffice.tickets.models import SigningKey, Ticket
from boxoffice.tickets.signing import (
    TicketClaims,
    b64url,
    b64url_decode,
    kid_for,
    private_key_from_raw,
    raw_public_key,
    sign,
)

log = get_logger("boxoffice.tickets.keys")

SEALED = "aesgcm1."  # prefix of a sealed private key: aesgcm1.<nonce>.<ciphertext and tag>
REISSUE_BATCH = 500  # tickets signed again per transaction after a key is retired


@dataclass(frozen=True)
class SigningKeyPair:
    kid: str
    private_key: Ed25519PrivateKey = field(repr=False)

    @property
    def public_raw(self) -> bytes:
        return raw_public_key(self.private_key)

    def sign(self, claims: TicketClaims) -> str:
        return sign(self.private_key, self.kid, claims)


# --- sealing at rest ------------------------------------------------------------------------


def _sealing_key(settings: Settings | None) -> AESGCM | None:
    if settings is None or settings.ticket_key_encryption_key is None:
        return None
    text = settings.ticket_key_encryption_key.get_secret_value()
    return AESGCM(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def _seal(sealing: AESGCM | None, kid: str, raw: bytes) -> str:
    if sealing is None:
        return b64url(raw)
    nonce = os.urandom(12)
    return f"{SEALED}{b64url(nonce)}.{b64url(sealing.encrypt(nonce, raw, kid.encode()))}"


def _unseal(sealing: AESGCM | None, key: SigningKey) -> bytes:
    if not key.private_key.startswith(SEALED):
        return b64url_decode(key.private_key)
    if sealing is None:
        log.error("ticket_keys_sealed", detail="TICKET_KEY_ENCRYPTION_KEY is not set")
        raise ServiceUnavailable("The ticket signing keys cannot be read; retry later.")
    nonce, sealed = key.private_key.removeprefix(SEALED).split(".", 1)
    try:
        return sealing.decrypt(b64url_decode(nonce), b64url_decode(sealed), key.kid.encode())
    except InvalidTag:
        log.error("ticket_keys_sealed", detail="TICKET_KEY_ENCRYPTION_KEY does not open them")
        raise ServiceUnavailable("The ticket signing keys cannot be read; retry later.") from None


async def _pair(
    session: AsyncSession, settings: Settings | None, key: SigningKey
) -> SigningKeyPair:
    """The key's private half; sealed in place first if it is stored unsealed and a sealing key
    is set."""
    sealing = _sealing_key(settings)
    raw = _unseal(sealing, key)
    if sealing is not None and not key.private_key.startswith(SEALED):
        await repository.store_private_key(session, key.kid, _seal(sealing, key.kid, raw))
    return SigningKeyPair(key.kid, private_key_from_raw(raw))


# --- which key signs, which are published ------------------------------------------------------


def _configured_key(settings: Settings | None) -> SigningKeyPair | None:
    if settings is None or settings.ticket_signing_key is None:
        return None
    private = private_key_from_raw(b64url_decode(settings.ticket_signing_key.get_secret_value()))
    return SigningKeyPair(kid_for(raw_public_key(private)), private)


async def _add_generation(
    session: AsyncSession, settings: Settings | None, generation: int, now: datetime
) -> None:
    private = Ed25519PrivateKey.generate()
    public = raw_public_key(private)
    kid = kid_for(public)
    added = await repository.insert_key_if_absent(
        session,
        generation,
        kid,
        _seal(_sealing_key(settings), kid, private.private_bytes_raw()),
        b64url(public),
        now,
    )
    if added:
        log.info("ticket_signing_key_created", kid=kid, generation=generation)


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
        await _add_generation(session, settings, 1, now)
        keys = await repository.signing_keys(session)
    return await _pair(session, settings, keys[0])  # never retired: `rotate` adds one first


async def published_keys(
    session: AsyncSession, settings: Settings | None, now: datetime
) -> list[tuple[str, bytes]]:
    """(kid, raw public key) of every key a usable ticket may carry, the signing one first."""
    signing = await current_key(session, settings, now)  # creates the first key if need be
    published = [(signing.kid, signing.public_raw)]
    if _configured_key(settings) is not None:
        return published
    older = [
        key
        for key in await repository.signing_keys(session)
        if key.kid != signing.kid and key.retired_at is None
    ]
    in_use = await repository.kids_with_tickets_valid_after(session, [k.kid for k in older], now)
    published += [(key.kid, b64url_decode(key.public_key)) for key in older if key.kid in in_use]
    return published


async def derived_secrets(
    session: AsyncSession, settings: Settings | None, now: datetime, purpose: bytes
) -> dict[str, bytes]:
    """kid: the 32-byte secret for `purpose` of each published key, the signing one's too."""
    signing = await current_key(session, settings, now)
    pairs = [signing]
    if _configured_key(settings) is None:
        kids = {kid for kid, _ in await published_keys(session, settings, now)} - {signing.kid}
        for key in await repository.signing_keys(session):
            if key.kid in kids:
                pairs.append(await _pair(session, settings, key))
    return {pair.kid: derived_secret(pair, purpose) for pair in pairs}


def derived_secret(pair: SigningKeyPair, purpose: bytes) -> bytes:
    return HKDF(SHA256(), 32, salt=None, info=purpose).derive(pair.private_key.private_bytes_raw())


async def verifying_keys(
    session: AsyncSession, settings: Settings | None, now: datetime
) -> dict[str, Ed25519PublicKey]:
    return {
        kid: Ed25519PublicKey.from_public_bytes(raw)
        for kid, raw in await published_keys(session, settings, now)
    }


# --- rotation and retirement ----------------------------------------------------------------


async def rotate(
    session: AsyncSession, settings: Settings, now: datetime, *, retire_old: bool = False
) -> tuple[str, list[str]]:
    """Adds a new database key that signs from now on; with `retire_old`, every older key is
    retired at once. (the new kid, the kids retired now). Their tickets are signed again by
    `reissue_tickets`, in transactions of their own."""
    await _add_generation(session, settings, await repository.newest_generation(session) + 1, now)
    newest, *older = await repository.signing_keys(session)
    retired = [key.kid for key in older if key.retired_at is None] if retire_old else []
    await repository.retire_keys(session, retired, now)
    for kid in retired:
        log.warning("ticket_signing_key_retired", kid=kid)
    return newest.kid, retired


async def reissue_tickets(session: AsyncSession, settings: Settings, now: datetime) -> int:
    """Signs again, with the current key, up to REISSUE_BATCH tickets that can still be used
    and carry a retired key; how many it did (0: none left)."""
    signing = await current_key(session, settings, now)
    tickets = await repository.tickets_of_retired_keys(session, now, REISSUE_BATCH)
    for ticket in tickets:
        ticket.kid, ticket.qr = signing.kid, signing.sign(claims_of(ticket))
    await session.flush()
    if tickets:
        log.info("tickets_signed_again", count=len(tickets), kid=signing.kid)
    return len(tickets)


def claims_of(ticket: Ticket) -> TicketClaims:
    """What a ticket's code says (SPEC: no personal data)."""
    return TicketClaims(
        ticket_id=str(ticket.id),
        show_id=str(ticket.show_id),
        seat=ticket.seat_label,
        not_before=int(ticket.valid_from.timestamp()),
        not_after=int(ticket.valid_until.timestamp()),
    )
