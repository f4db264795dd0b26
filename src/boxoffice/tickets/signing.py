"""The signed ticket format, `BX1.<kid>.<payload>.<signature>` (SPEC "Tickets and check-in").

`<payload>` is base64url (no padding) of compact JSON `{"t", "s", "seat", "nb", "na"}` — no
personal data — and `<signature>` the Ed25519 signature of the ASCII bytes `BX1.<kid>.<payload>`.
Pure functions: anything holding the public key can verify a ticket, offline.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

PREFIX = "BX1"
_B64URL = re.compile(r"^[A-Za-z0-9_-]+$")
MAX_QR_LENGTH = 1000


class BadTicket(ValueError):
    """Not a ticket we signed: garbage, an unknown key or a signature that does not match."""


@dataclass(frozen=True)
class TicketClaims:
    ticket_id: str
    show_id: str
    seat: str
    not_before: int
    not_after: int


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    if not _B64URL.match(text):
        raise BadTicket("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise BadTicket("not base64url") from exc


def raw_public_key(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def private_key_from_raw(raw: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(raw)


def kid_for(public_raw: bytes) -> str:
    """A key id derived from the public key: the same key always has the same kid."""
    return "k" + b64url(hashlib.sha256(public_raw).digest()[:9])


def sign(private_key: Ed25519PrivateKey, kid: str, claims: TicketClaims) -> str:
    payload = {
        "t": claims.ticket_id,
        "s": claims.show_id,
        "seat": claims.seat,
        "nb": claims.not_before,
        "na": claims.not_after,
    }
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    signed = f"{PREFIX}.{kid}.{b64url(body)}"
    return f"{signed}.{b64url(private_key.sign(signed.encode('ascii')))}"


def verify(qr: str, public_keys: dict[str, Ed25519PublicKey]) -> TicketClaims:
    """The claims of a genuine ticket; BadTicket for anything else."""
    if not isinstance(qr, str) or len(qr) > MAX_QR_LENGTH or not qr.isascii():
        raise BadTicket("not a ticket")
    parts = qr.strip().split(".")
    if len(parts) != 4 or parts[0] != PREFIX:
        raise BadTicket("not a BX1 ticket")
    _, kid, payload_text, signature_text = parts
    key = public_keys.get(kid)
    if key is None:
        raise BadTicket("unknown key")
    try:
        key.verify(b64url_decode(signature_text), f"{PREFIX}.{kid}.{payload_text}".encode("ascii"))
    except InvalidSignature as exc:
        raise BadTicket("bad signature") from exc
    try:
        payload: Any = json.loads(b64url_decode(payload_text))
        claims = TicketClaims(
            ticket_id=str(payload["t"]),
            show_id=str(payload["s"]),
            seat=str(payload["seat"]),
            not_before=int(payload["nb"]),
            not_after=int(payload["na"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise BadTicket("malformed payload") from exc
    return claims
