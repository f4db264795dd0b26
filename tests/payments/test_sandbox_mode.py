"""The sandbox is never on by accident (SPEC "Razorpay sandbox"; security review, issue 17).

Before: a server without Razorpay keys mounted the sandbox with fixed secrets written in the
code, so anyone could sign a verify offline or press the sandbox's Checkout and get BOOKED
seats for free.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import httpx
from tests.api import register
from tests.conftest import (
    TEST_JWT_SECRET,
    LiveServer,
    TestDatabase,
    make_settings,
    running_app,
)
from tests.payments.checkout import booking, start_payment
from tests.payments.test_payments import held
from tests.support.http import loopback_client
from tests.support.keys import sandbox_keys
from tests.support.servers import bare_env, launched, serve_refusing

from boxoffice.db.migrate import upgrade_to_head
from boxoffice.sandbox.api import api, hooks

# The constants every copy of the code used to carry.
OLD_PUBLIC_KEY_SECRET = "boxoffice-sandbox-key-secret"
OLD_PUBLIC_WEBHOOK_SECRET = "boxoffice-sandbox-webhook-secret"
REAL_KEYS = {
    "razorpay_sandbox": False,
    "razorpay_key_id": "rzp_live_boxofficeTest",
    "razorpay_key_secret": "a-real-key-secret-nobody-knows",
    "razorpay_webhook_secret": "a-real-webhook-secret-nobody-knows",
    "razorpay_base_url": None,
}


def test_without_keys_or_the_flag_the_server_refuses_to_start(db: TestDatabase) -> None:
    refused = serve_refusing(bare_env(db.url, TEST_JWT_SECRET))
    assert refused.returncode == 2
    assert "RAZORPAY_KEY_ID" in refused.stderr
    assert "RAZORPAY_SANDBOX" in refused.stderr


def test_the_sandbox_says_so_loudly_at_start(db: TestDatabase, tmp_path: Path) -> None:
    env = bare_env(db.url, TEST_JWT_SECRET, RAZORPAY_SANDBOX="true")
    with launched(env, tmp_path / "server.log") as server:
        output = server.until("Application startup complete")
    warnings = [
        json.loads(line)
        for line in output.splitlines()
        if line.startswith("{") and "razorpay_sandbox_enabled" in line
    ]
    assert [w["level"] for w in warnings] == ["warning"], output


def test_with_real_keys_every_sandbox_route_is_404(db: TestDatabase) -> None:
    paths = {
        (method, route.path.replace("{", "").replace("}", ""))  # any value fills a parameter
        for route in (*api.routes, *hooks.routes)
        for method in getattr(route, "methods", ())
    }
    assert len(paths) >= 12  # REST API, checkout and every test hook
    with running_app(db.url, **REAL_KEYS) as server, loopback_client(base_url=server.url) as http:
        assert http.get("/health").json()["payments"] == "razorpay"
        for method, path in sorted(paths):
            response = http.request(method, f"/_sandbox/razorpay{path}", json={})
            assert response.status_code == 404, (method, path, response.status_code)


def test_sandbox_keys_are_random_per_database_and_shared_by_its_processes(
    db: TestDatabase, live_server: LiveServer, tmp_path: Any
) -> None:
    keys = sandbox_keys()
    assert OLD_PUBLIC_KEY_SECRET not in (keys.key_secret, keys.webhook_secret)
    assert len(keys.key_secret) >= 32 and len(keys.webhook_secret) >= 32
    with running_app(db.url) as another_process:
        assert another_process.app.state.provider.credentials == keys
    other_database = f"sqlite:///{tmp_path / 'other.db'}"
    asyncio.run(upgrade_to_head(make_settings(other_database)))
    with running_app(other_database) as elsewhere:
        theirs = elsewhere.app.state.provider.credentials
    assert theirs.key_secret != keys.key_secret
    assert theirs.webhook_secret != keys.webhook_secret


def test_a_verify_forged_with_the_old_public_secret_books_nothing(
    client: httpx.Client, show: dict[str, Any], seats: list[str]
) -> None:
    customer = register(client)
    pending = held(client, customer, show, seats[:2])
    order_id = start_payment(client, customer, pending["id"]).json()["order_id"]
    payment_id = "pay_Forged00000000"
    forged = hmac.new(
        OLD_PUBLIC_KEY_SECRET.encode(), f"{order_id}|{payment_id}".encode(), hashlib.sha256
    ).hexdigest()

    response = client.post(
        "/api/v1/payments/razorpay/verify",
        json={
            "razorpay_order_id": order_id,
            "razorpay_payment_id": payment_id,
            "razorpay_signature": forged,
        },
        headers=customer,
    )

    assert response.status_code == 400, response.text
    assert booking(client, customer, pending["id"])["status"] == "PENDING"


def test_a_webhook_forged_with_the_old_public_secret_books_nothing(
    client: httpx.Client, show: dict[str, Any], seats: list[str]
) -> None:
    customer = register(client)
    pending = held(client, customer, show, seats[:2])
    order_id = start_payment(client, customer, pending["id"]).json()["order_id"]
    event = {
        "entity": "event",
        "event": "payment.captured",
        "payload": {
            "payment": {
                "entity": {
                    "id": "pay_Forged00000001",
                    "order_id": order_id,
                    "amount": pending["amount_total"],
                    "currency": "INR",
                    "status": "captured",
                    "captured": True,
                }
            }
        },
    }
    raw = json.dumps(event).encode()
    signature = hmac.new(OLD_PUBLIC_WEBHOOK_SECRET.encode(), raw, hashlib.sha256).hexdigest()

    response = client.post(
        "/api/v1/webhooks/razorpay",
        content=raw,
        headers={"Content-Type": "application/json", "X-Razorpay-Signature": signature},
    )

    assert response.status_code == 400
    assert booking(client, customer, pending["id"])["status"] == "PENDING"
