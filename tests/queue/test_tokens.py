"""A visitor's token (`queue.tokens`): an HMAC (BXV2) with a secret every process derives from
the tickets' keys, read by any process and after a restart; the Ed25519 tokens given before it
(BXV1) still hold their places; a token changed or made with another secret holds none."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import uuid

import httpx
from tests.api import Headers, problem
from tests.conftest import LiveServer, TestDatabase, running_app
from tests.queue.test_queue import join, place, queued_show
from tests.support.http import loopback_client

from boxoffice.clock import Clock
from boxoffice.queue.tokens import SIGNED_VISITOR, QueueKeys


def signed_the_old_way(server: LiveServer, onsale_id: str, visitor_id: str) -> str:
    """A BXV1 visitor token, as joins gave them before BXV2: Ed25519 with the server's own
    signing key (the test database's keys go with every test; a server keeps its own a while)."""
    keys: QueueKeys = server.app.state.queue_keys
    sign = keys.sign(SIGNED_VISITOR, {"s": onsale_id, "v": visitor_id}, server.clock.now())
    assert server.traffic.loop is not None  # the server has answered a request
    return asyncio.run_coroutine_threadsafe(sign, server.traffic.loop).result(30)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def test_a_token_given_before_the_hmac_still_holds_its_place(
    client: httpx.Client, live_server: LiveServer, admin: Headers, clock: Clock
) -> None:
    show, _ = queued_show(client, admin, clock)
    joined = join(client, show["id"])
    assert joined["visitor_token"].startswith("BXV2.")
    old = signed_the_old_way(live_server, joined["onsale_id"], joined["visitor_id"])
    assert old.startswith("BXV1.")
    assert place(client, show["id"], old)["visitor_id"] == joined["visitor_id"]
    forged = old.split(".")
    forged[0] = "BXV2"  # a signature is no MAC
    refused = client.get(
        f"/api/v1/shows/{show['id']}/queue/me", headers={"X-Queue-Visitor": ".".join(forged)}
    )
    problem(refused, 403)


def test_a_changed_token_or_one_of_another_secret_holds_no_place(
    client: httpx.Client, admin: Headers, clock: Clock
) -> None:
    show, _ = queued_show(client, admin, clock)
    mine, theirs = join(client, show["id"]), join(client, show["id"])
    prefix, kid, payload, mac = mine["visitor_token"].split(".")
    their_payload = theirs["visitor_token"].split(".")[2]
    guessed = hmac.digest(b"not our secret", f"{prefix}.{kid}.{payload}".encode(), hashlib.sha256)
    made_up = b64url(json.dumps({"s": mine["onsale_id"], "v": str(uuid.uuid4())}).encode())
    for token in (
        f"{prefix}.{kid}.{their_payload}.{mac}",  # another visitor's place, my MAC
        f"{prefix}.{kid}.{payload}.{b64url(guessed)}",
        f"{prefix}.{kid}.{made_up}.{mac}",
        f"{prefix}.unknown-kid.{payload}.{mac}",
    ):
        refused = client.get(
            f"/api/v1/shows/{show['id']}/queue/me", headers={"X-Queue-Visitor": token}
        )
        assert problem(refused, 403)["type"].endswith("/queue-place-unknown"), token


def test_a_token_is_read_by_another_process_and_after_a_restart(
    client: httpx.Client, db: TestDatabase, admin: Headers, clock: Clock
) -> None:
    # Servers of their own, each with its own keys read from the database (the session's
    # servers keep keys a while, and the test database's go with every test).
    show, _ = queued_show(client, admin, clock)
    with running_app(db.url, clock) as there, running_app(db.url, clock) as elsewhere:
        with loopback_client(base_url=there.url, timeout=30) as http:
            joined = join(http, show["id"])
        with loopback_client(base_url=elsewhere.url, timeout=30) as http:
            assert place(http, show["id"], joined["visitor_token"])["state"] == "IN_DRAW"
    with running_app(db.url, clock) as restarted:  # started after the join, and the others gone
        with loopback_client(base_url=restarted.url, timeout=30) as http:
            read = place(http, show["id"], joined["visitor_token"])
    assert read["visitor_id"] == joined["visitor_id"]
