"""TICKET_SIGNING_KEY (SPEC "Tickets and check-in"): when set, that key signs and is the one
published; a malformed value stops the server at start, naming the setting and never the value."""

from __future__ import annotations

import base64
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from tests.api import Headers, register
from tests.conftest import TEST_JWT_SECRET, running_app
from tests.support.http import loopback_client
from tests.support.race import at_once, request
from tests.support.servers import Servers, bare_env, serve_refusing
from tests.tickets.helpers import booked, scan, show_soon, tickets, verify_offline


def no_keys_yet(db: Any) -> None:
    """A server makes the first key as it starts: the session's server did, when this is the
    first test of its worker to use it (the clean-up after each test deletes keys). These tests
    start from none, whichever ran first; no ticket exists between tests to need one."""
    db.execute("DELETE FROM ticket_signing_keys")


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_a_configured_key_signs_the_tickets_and_is_published(db: Any, admin: Headers) -> None:
    private = Ed25519PrivateKey.generate()
    public = _b64url(private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
    configured = _b64url(private.private_bytes_raw())
    no_keys_yet(db)

    with (
        running_app(db.url, ticket_signing_key=configured) as server,
        loopback_client(base_url=server.url, timeout=30) as client,
    ):
        published = client.get("/api/v1/tickets/keys").json()
        signing = published["keys"][0]
        assert (signing["alg"], signing["public_key"]) == ("Ed25519", public)
        assert configured not in str(published)

        show = show_soon(client, admin)
        customer = register(client)
        items = tickets(client, customer, booked(client, customer, show["id"], 2)["id"])
        # A scanner that knows only the configured key's public half accepts them.
        only_ours = {"keys": [{"kid": signing["kid"], "alg": "Ed25519", "public_key": public}]}
        for ticket in items:
            assert ticket["qr"].split(".")[1] == signing["kid"]
            assert verify_offline(ticket["qr"], only_ours)["t"] == ticket["id"]
        assert scan(client, admin, items[0]["qr"]).status_code == 200

    # No key was made in the database: the setting is the only signer.
    assert db.query("SELECT COUNT(*) FROM ticket_signing_keys")[0][0] == 0


def test_a_malformed_signing_key_stops_the_server_without_printing_it(db: Any) -> None:
    for malformed in (
        "not base64 at all: hunter2!",
        _b64url(b"31 bytes are not an Ed25519 key"),  # valid base64url, wrong length
        _b64url(b"s" * 64),  # a 64-byte "private key" (seed and public key glued) is refused too
    ):
        env = bare_env(db.url, TEST_JWT_SECRET, RAZORPAY_SANDBOX="true")
        env["TICKET_SIGNING_KEY"] = malformed
        refused = serve_refusing(env)
        assert refused.returncode == 2, refused.stderr
        assert "TICKET_SIGNING_KEY" in refused.stderr
        assert malformed not in refused.stdout + refused.stderr


def test_the_first_key_is_made_once_when_every_process_needs_it_at_once(
    live_server: Any, db: Any, two_servers: Servers
) -> None:
    """No key yet; every server process asks for the keys at the same instant (each would make
    the first one): one key is made, and every answer publishes that one. (Tried with a plain
    insert instead of one that yields to a racing process: PostgreSQL answered some 409.)"""
    no_keys_yet(db)
    urls = [live_server.url, *two_servers.urls] * 3
    answers = at_once(*(request(url, "GET", "/api/v1/tickets/keys") for url in urls))

    assert [a.status_code for a in answers] == [200] * len(urls), [a.text for a in answers]
    published = {tuple(k["kid"] for k in a.json()["keys"]) for a in answers}
    assert len(published) == 1 and len(next(iter(published))) == 1, published
    assert db.query("SELECT count(*) FROM ticket_signing_keys")[0][0] == 1
