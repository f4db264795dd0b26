"""A ticket signing key's life (issue 22, item 9): an older key is published only while a ticket
it signed still opens a door; a leaked key is retired at once with `boxoffice rotate-ticket-key
--retire-old` and its tickets are signed again; with `TICKET_KEY_ENCRYPTION_KEY` the private keys
are sealed at rest."""

from __future__ import annotations

import base64
import os
from datetime import timedelta
from typing import Any

import httpx
import pytest
from tests.api import Headers, problem, register
from tests.conftest import TEST_JWT_SECRET, running_app
from tests.support.http import loopback_client
from tests.support.servers import run_boxoffice, server_env
from tests.tickets.helpers import booked, make_staff, scan, show_soon, tickets, verify_offline

from boxoffice.clock import Clock


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def rotate(db: Any, *args: str, **env: str) -> str:
    done = run_boxoffice(server_env(db.url, TEST_JWT_SECRET, **env), "rotate-ticket-key", *args)
    assert done.returncode == 0, done.stderr
    assert "PRIVATE" not in done.stdout + done.stderr
    return done.stdout


def kids(client: httpx.Client) -> list[str]:
    return [key["kid"] for key in client.get("/api/v1/tickets/keys").json()["keys"]]


def kid_of(ticket: dict[str, Any]) -> str:
    return str(ticket["qr"].split(".")[1])


def test_an_older_key_is_published_until_the_last_show_it_signed_for_has_ended(
    client: httpx.Client, admin: Headers, customer: Headers, clock: Clock, db: Any
) -> None:
    soon, later = show_soon(client, admin, minutes=60), show_soon(client, admin, minutes=24 * 60)
    first = tickets(client, customer, booked(client, customer, soon["id"], 1)["id"])[0]
    second = tickets(client, customer, booked(client, customer, later["id"], 1)["id"])[0]
    old = kid_of(first)
    rotate(db)
    new = kids(client)[0]
    assert kids(client) == [new, old]

    clock.advance(timedelta(hours=6))  # the first show is over, the second is not
    assert kids(client) == [new, old]
    verify_offline(second["qr"], client.get("/api/v1/tickets/keys").json())

    clock.advance(timedelta(days=2))  # both are over: nothing the old key signed opens a door
    assert kids(client) == [new]
    rotate(db)  # a key that never signed a ticket is gone as soon as it stops signing
    assert len(kids(client)) == 1 and new not in kids(client)


def test_a_leaked_key_is_retired_at_once_and_its_tickets_signed_again(
    client: httpx.Client, admin: Headers, customer: Headers, db: Any
) -> None:
    show = show_soon(client, admin)
    staff = make_staff(client, admin, [show["theatre_id"]])
    admitted, waiting = tickets(client, customer, booked(client, customer, show["id"], 2)["id"])
    assert scan(client, staff, admitted["qr"]).status_code == 200
    leaked = kid_of(waiting)

    output = rotate(db, "--retire-old")

    new = kids(client)
    assert len(new) == 1 and leaked not in new
    assert f"retired at once: {leaked}" in output and "1 tickets signed again" in output
    again = {t["id"]: t for t in tickets(client, customer, waiting["booking_id"])}
    assert again[admitted["id"]]["status"] == "CHECKED_IN"
    reissued = again[waiting["id"]]
    assert kid_of(reissued) == new[0] and reissued["qr"] != waiting["qr"]
    assert (
        verify_offline(reissued["qr"], client.get("/api/v1/tickets/keys").json())["t"]
        == (waiting["id"])
    )
    assert problem(scan(client, staff, waiting["qr"]), 422)  # the leaked key verifies nothing
    assert scan(client, staff, reissued["qr"]).status_code == 200


def test_signing_keys_are_sealed_at_rest_with_the_encryption_key(
    client: httpx.Client, admin: Headers, db: Any
) -> None:
    show = show_soon(client, admin)
    customer = register(client)
    unsealed = tickets(client, customer, booked(client, customer, show["id"], 1)["id"])[0]
    ((stored,),) = db.query("SELECT private_key FROM ticket_signing_keys")
    assert len(base64.urlsafe_b64decode(stored + "=")) == 32  # as it was: the raw key
    encryption_key = b64url(os.urandom(32))

    with (
        running_app(db.url, ticket_key_encryption_key=encryption_key) as server,
        loopback_client(base_url=server.url, timeout=30) as sealed_app,
    ):
        sold = tickets(sealed_app, customer, booked(sealed_app, customer, show["id"], 1)["id"])
        assert kid_of(sold[0]) == kid_of(unsealed)  # the same key, sealed on its first use
        rotate(db, TICKET_KEY_ENCRYPTION_KEY=encryption_key)
        newer = tickets(sealed_app, customer, booked(sealed_app, customer, show["id"], 1)["id"])
        stored_keys = [row[0] for row in db.query("SELECT private_key FROM ticket_signing_keys")]
        assert len(stored_keys) == 2
        for value in stored_keys:
            assert value.startswith("aesgcm1.") and value != stored
        published = sealed_app.get("/api/v1/tickets/keys").json()
        for ticket in (unsealed, sold[0], newer[0]):
            verify_offline(ticket["qr"], published)
            assert scan(sealed_app, admin, ticket["qr"]).status_code == 200

    # Without the key, or with another, the keys cannot be read: a clear 503, nothing signed.
    for other in (None, b64url(os.urandom(32))):
        with (
            running_app(db.url, ticket_key_encryption_key=other) as server,
            loopback_client(base_url=server.url, timeout=30) as blind,
        ):
            problem(blind.get("/api/v1/tickets/keys"), 503)


@pytest.mark.parametrize("malformed", ["short", b64url(b"x" * 31), "not base64!"])
def test_a_malformed_encryption_key_stops_the_command_without_printing_it(
    db: Any, malformed: str
) -> None:
    env = server_env(db.url, TEST_JWT_SECRET, TICKET_KEY_ENCRYPTION_KEY=malformed)
    refused = run_boxoffice(env, "rotate-ticket-key")
    assert refused.returncode == 2
    assert "TICKET_KEY_ENCRYPTION_KEY" in refused.stderr and malformed not in refused.stderr
