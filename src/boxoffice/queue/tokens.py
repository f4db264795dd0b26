"""The queue's signed tokens, made with the tickets' keys (`tickets.keys`: where they are
stored, sealed and rotated) and verified in memory.

- A visitor's token, `BXV2.<kid>.<payload>.<mac>`, payload `{"s": on-sale, "v": visitor}`: the
  place in the on-sale's queue, kept by the client (a cookie, or the `X-Queue-Visitor` header).
  Only our own processes make and read it, so it is an HMAC-SHA256 with the secret the key
  `kid` derives for it (`keys.derived_secrets`), about 20 times cheaper to make than a
  signature and 50 times to check (a crowd's every join and read): the same in every process
  and after a restart. The tokens given before it, `BXV1` (Ed25519, as an admission), still
  hold their places.
- An admission, `BXA1.<kid>.<payload>.<signature>`, payload `{"s", "v", "na": expiry}`: what a
  hold of any show of the on-sale carries (`X-Admission-Token`); Ed25519, as tickets are.

`s` names the on-sale (it named the show before on-sales, migration 0030, which gave a show's
queue carried over the show's id: the tokens given before it still hold).

The signature or MAC is over the ASCII bytes before it, a signature as a ticket's
(`tickets.signing`); the prefixes differ, so no ticket is an admission and no admission a
visitor's token. Each process keeps the signing key, the public keys and the visitor tokens'
secrets for `REFRESH_SECONDS`, and reads them again sooner only for a key id it does not know
(at most every `UNKNOWN_KID_SECONDS`): a hold checks its admission with no round trip.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from boxoffice.config import Settings
from boxoffice.tickets import keys
from boxoffice.tickets.signing import BadTicket, b64url, b64url_decode

VISITOR = "BXV2"
SIGNED_VISITOR = "BXV1"  # a visitor's token given before BXV2: Ed25519, still read
ADMISSION = "BXA1"
_READ_AS = {VISITOR: (VISITOR, SIGNED_VISITOR), ADMISSION: (ADMISSION,)}
_VISITOR_SECRET = b"boxoffice queue visitor token"  # the purpose its secrets are derived for
MAX_TOKEN_LENGTH = 1000


class BadToken(ValueError):
    """Not a token of ours of that kind: garbage, an unknown key, a signature that fails."""


@dataclass(frozen=True, slots=True)
class Claims:
    onsale_id: uuid.UUID
    visitor_id: uuid.UUID
    not_after: datetime | None  # an admission's expiry


class QueueKeys:
    """The keys one process signs and verifies the queue's tokens with."""

    REFRESH_SECONDS = 60.0
    UNKNOWN_KID_SECONDS = 5.0

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings):
        self._sessionmaker = sessionmaker
        self._settings = settings
        self._signer: keys.SigningKeyPair | None = None
        self._public: dict[str, Ed25519PublicKey] = {}
        self._secrets: dict[str, bytes] = {}  # the visitor tokens', by kid
        self._read_at = -1e18  # monotonic
        self._lock = asyncio.Lock()

    async def _refresh(self, now: datetime, session: AsyncSession | None) -> None:
        """Reads the keys in `session` when the caller has one open (it holds a connection of
        the pool already: asking for a second while others wait on the lock with theirs could
        take the last), else in a session of its own."""
        if session is not None:
            await self._read(session, now)
        else:
            async with self._sessionmaker() as own:
                await self._read(own, now)
                await own.commit()  # the first key, when this read made it

    async def _read(self, session: AsyncSession, now: datetime) -> None:
        signer = await keys.current_key(session, self._settings, now)
        public = await keys.verifying_keys(session, self._settings, now)
        secrets = await keys.derived_secrets(session, self._settings, now, _VISITOR_SECRET)
        # The signer's own, even if a rotation came between these reads.
        public[signer.kid] = signer.private_key.public_key()
        secrets[signer.kid] = keys.derived_secret(signer, _VISITOR_SECRET)
        self._signer, self._public, self._secrets = signer, public, secrets
        self._read_at = time.monotonic()

    def _stale(self, seconds: float) -> bool:
        return time.monotonic() - self._read_at >= seconds

    async def signer(
        self, now: datetime, session: AsyncSession | None = None
    ) -> keys.SigningKeyPair:
        if self._signer is None or self._stale(self.REFRESH_SECONDS):
            async with self._lock:
                if self._signer is None or self._stale(self.REFRESH_SECONDS):
                    await self._refresh(now, session)
        assert self._signer is not None
        return self._signer

    async def public(
        self, kid: str, now: datetime, session: AsyncSession | None = None
    ) -> Ed25519PublicKey | None:
        await self._know(kid in self._public, now, session)
        return self._public.get(kid)

    async def secret(
        self, kid: str, now: datetime, session: AsyncSession | None = None
    ) -> bytes | None:
        """The visitor tokens' secret of key `kid`."""
        await self._know(kid in self._secrets, now, session)
        return self._secrets.get(kid)

    async def _know(self, known: bool, now: datetime, session: AsyncSession | None) -> None:
        """Reads the keys again when they are stale, or sooner for a kid not `known`."""
        stale = self._stale(self.REFRESH_SECONDS)
        if stale or (not known and self._stale(self.UNKNOWN_KID_SECONDS)):
            async with self._lock:
                if self._stale(self.UNKNOWN_KID_SECONDS):
                    await self._refresh(now, session)

    async def sign(
        self,
        prefix: str,
        payload: dict[str, Any],
        now: datetime,
        session: AsyncSession | None = None,
    ) -> str:
        signer = await self.signer(now, session)
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=True).encode("ascii")
        signed = f"{prefix}.{signer.kid}.{b64url(body)}"
        if prefix == VISITOR:
            return f"{signed}.{b64url(_mac(self._secrets[signer.kid], signed))}"
        return f"{signed}.{b64url(signer.private_key.sign(signed.encode('ascii')))}"

    async def verify(
        self, prefix: str, token: str, now: datetime, session: AsyncSession | None = None
    ) -> Claims:
        """The claims of a genuine token of this kind (expiry not checked); BadToken else."""
        if len(token) > MAX_TOKEN_LENGTH or not token.isascii():
            raise BadToken("not a token")
        parts = token.strip().split(".")
        if len(parts) != 4 or parts[0] not in _READ_AS[prefix]:
            raise BadToken("not a token of this kind")
        kind, kid, payload_text, signature_text = parts
        signed = f"{kind}.{kid}.{payload_text}"
        key: bytes | Ed25519PublicKey | None
        if kind == VISITOR:
            key = await self.secret(kid, now, session)
        else:
            key = await self.public(kid, now, session)
        if key is None:
            raise BadToken("unknown key")
        try:
            signature = b64url_decode(signature_text)
            if isinstance(key, bytes):
                if not hmac.compare_digest(signature, _mac(key, signed)):
                    raise InvalidSignature()
            else:
                key.verify(signature, signed.encode())
            payload = json.loads(b64url_decode(payload_text))
            expiry = payload.get("na")
            return Claims(
                uuid.UUID(payload["s"]),
                uuid.UUID(payload["v"]),
                None if expiry is None else datetime.fromtimestamp(int(expiry), UTC),
            )
        except (InvalidSignature, BadTicket, ValueError, KeyError, TypeError, AttributeError):
            raise BadToken("bad token") from None


def _mac(secret: bytes, signed: str) -> bytes:
    return hmac.digest(secret, signed.encode("ascii"), hashlib.sha256)


async def visitor_token(
    queue_keys: QueueKeys,
    onsale_id: uuid.UUID,
    visitor_id: uuid.UUID,
    now: datetime,
    session: AsyncSession | None = None,
) -> str:
    payload = {"s": str(onsale_id), "v": str(visitor_id)}
    return await queue_keys.sign(VISITOR, payload, now, session)


async def admission_token(
    queue_keys: QueueKeys,
    onsale_id: uuid.UUID,
    visitor_id: uuid.UUID,
    not_after: datetime,
    now: datetime,
    session: AsyncSession | None = None,
) -> str:
    payload = {"s": str(onsale_id), "v": str(visitor_id), "na": int(not_after.timestamp())}
    return await queue_keys.sign(ADMISSION, payload, now, session)
