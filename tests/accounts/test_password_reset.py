"""A forgotten password, reset by email (SPEC "Accounts", issue 22): the same answer whether an
account uses the address or not; a single-use link valid 30 minutes through the email outbox;
using it ends every session; a used, expired or forged token is a 400; requests are limited per
address and per account."""

from __future__ import annotations

import email
import email.policy
import re
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.accounts.test_sessions import PASSWORD, new_account, refresh, sign_in
from tests.api import problem
from tests.bookings.test_hoarding import assert_429, from_address
from tests.conftest import LiveServer, TestDatabase, running_app
from tests.notifications.test_emails import worker_passes
from tests.support.http import loopback_client

from boxoffice.clock import Clock

NEW_PASSWORD = "a-brand-new-secret"


def ask(client: httpx.Client, address: str, **headers: str) -> httpx.Response:
    return client.post("/api/v1/auth/password-reset", json={"email": address}, headers=headers)


def confirm(client: httpx.Client, token: str, password: str = NEW_PASSWORD) -> httpx.Response:
    return client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": password}
    )


def queued_resets(db: TestDatabase, recipient: str) -> int:
    """Reset emails queued for `recipient` (an account's address is known when queued)."""
    rows = db.query(
        "SELECT count(*) FROM outbox_emails WHERE kind = 'PASSWORD_RESET' AND recipient = :to",
        to=recipient,
    )
    return int(rows[0][0])


# Where the tests' worker passes write the emails they send (.eml files, named by when they
# were queued): a reset's link is kept nowhere else once sent.
_SENT = Path(tempfile.mkdtemp(prefix="boxoffice-resets-"))


def reset_emails(db: TestDatabase, live_server: LiveServer, recipient: str) -> list[str]:
    """Every reset email sent to `recipient` so far, oldest first, after a worker pass at the
    server's time (it composes an email when it sends it). Once sent, the outbox keeps no copy
    of the link: only the email has it."""
    worker_passes(live_server, live_server.clock, outbox_dir=_SENT)
    kept = db.query(
        "SELECT count(*) FROM outbox_emails WHERE kind = 'PASSWORD_RESET' AND recipient = :to"
        " AND status = 'SENT' AND (message IS NOT NULL OR params IS NOT NULL)",
        to=recipient,
    )
    assert kept[0][0] == 0
    sent = []
    for path in sorted(_SENT.glob("*-password_reset-*.eml")):
        message = path.read_text("ascii")
        if email.message_from_string(message)["To"] == recipient:
            sent.append(message)
    return sent


def token_in(message: str) -> str:
    parsed = email.message_from_string(message, policy=email.policy.default)
    body = parsed.get_body(preferencelist=("plain",))
    assert body is not None
    found = re.search(r"/reset-password#token=([A-Za-z0-9_-]+)", str(body.get_content()))
    assert found, message
    return found.group(1)


def test_the_answer_is_the_same_whether_the_account_exists(
    client: httpx.Client, db: TestDatabase
) -> None:
    address = new_account(client)
    known, unknown = ask(client, address), ask(client, "nobody-here@example.com")
    assert (known.status_code, unknown.status_code) == (202, 202)
    assert known.json() == unknown.json()
    assert known.headers["content-type"] == unknown.headers["content-type"]
    assert queued_resets(db, address) == 1
    assert queued_resets(db, "nobody-here@example.com") == 0


def test_the_emailed_link_sets_a_new_password_once_and_ends_every_session(
    client: httpx.Client, db: TestDatabase, live_server: LiveServer
) -> None:
    address = new_account(client)
    sessions = [sign_in(client, address) for _ in range(2)]
    assert ask(client, address.upper()).status_code == 202
    (message,) = reset_emails(db, live_server, address)
    assert f"{live_server.url}/reset-password#token=" in message  # the fragment: never logged
    token = token_in(message)
    assert not db.query("SELECT 1 FROM password_reset_tokens WHERE token_hash = :t", t=token)

    assert confirm(client, token).status_code == 204

    for tokens in sessions:
        problem(refresh(client, tokens), 401)
    problem(client.post("/api/v1/auth/login", json={"email": address, "password": PASSWORD}), 401)
    sign_in(client, address, NEW_PASSWORD)
    assert problem(confirm(client, token, "yet-another-secret"), 400)["type"].endswith(
        "/invalid-reset-token"
    )
    sign_in(client, address, NEW_PASSWORD)


def test_an_expired_a_forged_or_a_superseded_token_is_400(
    client: httpx.Client, db: TestDatabase, live_server: LiveServer
) -> None:
    address = new_account(client)
    ask(client, address)
    live_server.clock.advance(timedelta(minutes=31))
    problem(confirm(client, token_in(reset_emails(db, live_server, address)[0])), 400)
    problem(confirm(client, "A" * 43), 400)

    ask(client, address)
    ask(client, address)
    first, second = (token_in(message) for message in reset_emails(db, live_server, address)[1:])
    assert confirm(client, second).status_code == 204
    problem(confirm(client, first), 400)  # a reset spends every other link of the account
    sign_in(client, address, NEW_PASSWORD)


def test_a_bad_new_password_is_422_and_spends_nothing(
    client: httpx.Client, db: TestDatabase, live_server: LiveServer
) -> None:
    address = new_account(client)
    ask(client, address)
    token = token_in(reset_emails(db, live_server, address)[0])
    problem(confirm(client, token, "short"), 422)
    problem(confirm(client, token, "nul\x00inside-it"), 422)
    assert confirm(client, token).status_code == 204


def test_the_worker_sends_the_link(
    client: httpx.Client, db: TestDatabase, live_server: LiveServer, tmp_path: Path
) -> None:
    address = new_account(client)
    ask(client, address)
    worker_passes(live_server, Clock(), outbox_dir=tmp_path)
    (sent,) = tmp_path.glob("*-password_reset-*.eml")
    message = sent.read_text()
    assert f"To: {address}" in message
    assert confirm(client, token_in(message)).status_code == 204
    ((status,),) = db.query("SELECT status FROM outbox_emails WHERE kind = 'PASSWORD_RESET'")
    assert status == "SENT"


@pytest.fixture
def limited(db: TestDatabase) -> Iterator[httpx.Client]:
    with (
        running_app(
            db.url,
            trusted_proxies="127.0.0.1",
            rate_limit_enabled=True,
            rate_limit_password_reset="4/hour",
            rate_limit_password_reset_per_account="2/hour",
        ) as server,
        loopback_client(base_url=server.url, timeout=30) as http,
    ):
        yield http


def test_requests_are_limited_per_account_and_per_address(
    limited: httpx.Client, db: TestDatabase
) -> None:
    address = new_account(limited)
    for client_address in ("203.0.113.1", "203.0.113.2"):
        assert ask(limited, address, **from_address(client_address)).status_code == 202
    assert_429(ask(limited, address, **from_address("203.0.113.3")))  # the account's 2 an hour
    assert queued_resets(db, address) == 2
    # The same for an address no account uses: the limit says nothing about accounts.
    for client_address in ("203.0.113.1", "203.0.113.2"):
        assert ask(limited, "ghost@example.com", **from_address(client_address)).status_code == 202
    assert_429(ask(limited, "ghost@example.com", **from_address("203.0.113.3")))

    bot: dict[str, Any] = from_address("198.51.100.9")
    for index in range(4):  # the address's 4 an hour, whatever accounts it names
        assert ask(limited, f"someone-{index}@example.com", **bot).status_code == 202
    assert_429(ask(limited, "someone-5@example.com", **bot))
