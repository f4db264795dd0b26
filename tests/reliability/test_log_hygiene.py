"""Nothing secret reaches the logs or an error body, and every line of a request is traceable.

A realistic flow runs against the live test server while every log record of the process is
captured as rendered for stderr: a guest holds seats and adds a contact, registers with its guest
token (linking the booking), logs in (once with a wrong password), refreshes (and replays the
spent refresh token), pays through the sandbox's Checkout and verify (once with a forged
signature), and a second booking is paid by signed webhooks only (one delivered twice, one badly
signed). Then no password, token (whole, or its signature segment), JWT secret, Razorpay key
secret, webhook secret, Basic-auth value, payment signature or Authorization header value may
appear in any log line (captured down to DEBUG, libraries included) or in any error response
body; and each line the server logged at INFO or above during the flow carries a request_id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import uuid
from typing import Any

import httpx
from tests.api import ADMIN_PASSWORD, bearer, make_admin, ready_show, seat_ids
from tests.conftest import TEST_JWT_SECRET, LiveServer
from tests.payments.checkout import (
    checkout,
    eventually,
    provider_payment,
    webhook_event,
    webhooks_answered,
)
from tests.reliability.logcapture import capture_logs
from tests.support.keys import sandbox_keys

PASSWORD = "hunter2-but-longer-and-unique-7781"
WRONG_PASSWORD = "not-the-password-but-also-secret-9912"
ODD_BEARER = "some-opaque-bearer-value-that-must-not-be-logged-4410"


class Recorder:
    """Sends requests, keeping every secret it sees and every error body it gets."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.secrets: dict[str, str] = {}
        self.error_bodies: list[str] = []

    def secret(self, name: str, value: str) -> str:
        self.secrets[name] = value
        if value.count(".") == 2:  # a JWT: its signature alone is as telling as the whole
            self.secrets[f"{name} (signature)"] = value.rsplit(".", 1)[1]
        return value

    def tokens(self, name: str, body: dict[str, Any]) -> str:
        access = self.secret(f"{name} access token", body["access_token"])
        if body.get("refresh_token"):
            self.secret(f"{name} refresh token", body["refresh_token"])
        return access

    def send(self, method: str, url: str, expect: int, **kwargs: Any) -> httpx.Response:
        response = self.client.request(method, url, **kwargs)
        assert response.status_code == expect, (method, url, response.status_code, response.text)
        if response.status_code >= 400:
            self.error_bodies.append(f"{method} {url} -> {response.status_code}: {response.text}")
        return response


def signed(event: dict[str, Any], secret: str) -> tuple[bytes, str]:
    raw = json.dumps(event).encode()
    return raw, hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def run_flow(client: httpx.Client, db: Any, r: Recorder) -> None:
    admin = make_admin(client, db, email=f"admin-{uuid.uuid4().hex[:6]}@example.com")
    r.secret("admin password", ADMIN_PASSWORD)
    r.secret("admin access token", admin["Authorization"].split(" ", 1)[1])
    show = ready_show(client, admin)
    seats = seat_ids(client, show["id"])

    # A guest holds seats and leaves a contact.
    guest = r.tokens("guest", r.send("POST", "/api/v1/auth/guest", 201).json())
    hold = r.send(
        "POST",
        "/api/v1/bookings",
        201,
        json={"show_id": show["id"], "seat_ids": seats[:2]},
        headers=bearer(guest),
    ).json()
    r.send("PATCH", "/api/v1/me", 200, json={"phone": "+919812345678"}, headers=bearer(guest))

    # Signs up, bringing the guest's booking; a malformed sign-up carrying a password first.
    email = f"moviegoer-{uuid.uuid4().hex[:8]}@example.com"
    r.secret("password", PASSWORD)
    r.send(
        "POST",
        "/api/v1/auth/register",
        422,
        json={"email": "not-an-email", "password": PASSWORD, "name": "X", "extra": PASSWORD},
    )
    r.tokens(
        "register",
        r.send(
            "POST",
            "/api/v1/auth/register",
            201,
            json={"email": email, "password": PASSWORD, "name": "Movie Goer", "guest_token": guest},
        ).json(),
    )
    r.send("GET", "/api/v1/me", 401, headers=bearer(guest))  # spent by linking

    # Logs in (a wrong password first), refreshes, replays the spent refresh token.
    r.secret("wrong password", WRONG_PASSWORD)
    r.send("POST", "/api/v1/auth/login", 401, json={"email": email, "password": WRONG_PASSWORD})
    login = r.send("POST", "/api/v1/auth/login", 200, json={"email": email, "password": PASSWORD})
    r.tokens("login", login.json())
    old_refresh = login.json()["refresh_token"]
    refreshed = r.send("POST", "/api/v1/auth/refresh", 200, json={"refresh_token": old_refresh})
    user = r.tokens("refreshed", refreshed.json())
    # The new pair in use ends the grace a second tab has: the old token is then a stolen copy.
    again = r.send(
        "POST",
        "/api/v1/auth/refresh",
        200,
        json={"refresh_token": refreshed.json()["refresh_token"]},
    )
    r.tokens("refreshed again", again.json())
    r.send("POST", "/api/v1/auth/refresh", 401, json={"refresh_token": old_refresh})
    r.send("POST", "/api/v1/auth/refresh", 401, json={"refresh_token": guest})
    r.secret("odd bearer", ODD_BEARER)
    r.send("GET", "/api/v1/me", 401, headers=bearer(ODD_BEARER))
    r.send("GET", "/api/v1/me", 401, headers={"Authorization": f"Basic {ODD_BEARER}"})
    r.send("GET", "/api/v1/me", 401, headers=bearer(TEST_JWT_SECRET))

    # Pays the linked booking: order, Checkout, a forged verify, the real verify.
    order = r.send(
        "POST", f"/api/v1/bookings/{hold['id']}/payments", 201, headers=bearer(user)
    ).json()
    paid = r.send(
        "POST", f"/_sandbox/razorpay/checkout/{order['order_id']}", 200, json={"outcome": "success"}
    ).json()
    r.secret("razorpay_signature", paid["razorpay_signature"])
    forged = {**paid, "razorpay_signature": hmac.new(b"guess", b"x", hashlib.sha256).hexdigest()}
    r.secret("forged razorpay_signature", forged["razorpay_signature"])
    r.send("POST", "/api/v1/payments/razorpay/verify", 400, json=forged, headers=bearer(user))
    verified = r.send(
        "POST", "/api/v1/payments/razorpay/verify", 200, json=paid, headers=bearer(user)
    )
    assert verified.json()["status"] == "BOOKED"

    # A second booking, paid by webhooks alone: a forged one, a real one twice.
    second = r.send(
        "POST",
        "/api/v1/bookings",
        201,
        json={"show_id": show["id"], "seat_ids": seats[2:3]},
        headers=bearer(user),
    ).json()
    order2 = r.send(
        "POST", f"/api/v1/bookings/{second['id']}/payments", 201, headers=bearer(user)
    ).json()
    paid2 = checkout(client, order2["order_id"])  # the customer closes the tab: no verify
    event = webhook_event(
        "payment.captured", provider_payment(client, paid2["razorpay_payment_id"])
    )
    raw, signature = signed(event, sandbox_keys().webhook_secret)
    _, bad_signature = signed(event, "an-attacker-guess")
    r.secret("webhook signature", signature)
    r.secret("forged webhook signature", bad_signature)
    hook = {"Content-Type": "application/json", "X-Razorpay-Event-Id": f"evt_{uuid.uuid4().hex}"}
    r.send(
        "POST",
        "/api/v1/webhooks/razorpay",
        400,
        content=raw,
        headers={**hook, "X-Razorpay-Signature": bad_signature},
    )
    for _ in range(2):
        r.send(
            "POST",
            "/api/v1/webhooks/razorpay",
            200,
            content=raw,
            headers={**hook, "X-Razorpay-Signature": signature},
        )
    status = r.send("GET", f"/api/v1/bookings/{second['id']}", 200, headers=bearer(user))
    assert status.json()["status"] == "BOOKED"
    # The sandbox's own webhooks for the first order, sent after its Checkout answered, have
    # been answered: what the server logged for them is in the capture.
    assert eventually(lambda: webhooks_answered(client, order["order_id"]))
    r.send("GET", "/api/v1/me/bookings", 200, headers=bearer(user))


def test_no_secret_in_logs_or_error_bodies_and_every_line_has_a_request_id(
    client: httpx.Client, db: Any, live_server: LiveServer
) -> None:
    recorder = Recorder(client)
    recorder.secret("JWT secret", live_server.settings.jwt_secret.get_secret_value())
    recorder.secret("Razorpay key secret", sandbox_keys().key_secret)
    recorder.secret("Razorpay webhook secret", sandbox_keys().webhook_secret)
    basic = f"{sandbox_keys().key_id}:{sandbox_keys().key_secret}"
    recorder.secret("Razorpay Basic auth", base64.b64encode(basic.encode()).decode())

    with capture_logs(logging.DEBUG) as logs:
        run_flow(client, db, recorder)

    lines = logs.lines
    assert any('"event": "request"' in line for line in lines), "the capture saw no access log"
    leaks = [
        f"{name} in log line: {line[:300]}"
        for line in lines
        for name, value in recorder.secrets.items()
        if value in line
    ]
    leaks += [
        f"{name} in error body: {body[:300]}"
        for body in recorder.error_bodies
        for name, value in recorder.secrets.items()
        if value in body
    ]
    assert not leaks, "\n".join(leaks)

    server_lines = logs.lines_from_other_threads()
    assert server_lines
    untraceable = []
    for line in server_lines:
        try:
            record = json.loads(line)
        except ValueError:
            untraceable.append(f"not a JSON line: {line[:300]}")
            continue
        if record.get("level") != "debug" and not record.get("request_id"):
            untraceable.append(line[:300])
    assert not untraceable, "server log lines without a request_id:\n" + "\n".join(untraceable)


def test_a_caller_supplied_request_id_is_echoed_and_logged(client: httpx.Client) -> None:
    with capture_logs() as logs:
        response = client.get("/health", headers={"X-Request-ID": "trace-me-123"})
        bogus = client.get("/health", headers={"X-Request-ID": "x" * 500})
    assert response.headers["x-request-id"] == "trace-me-123"
    assert bogus.headers["x-request-id"] != "x" * 500  # too long: a fresh one instead
    records = [json.loads(line) for line in logs.lines_from_other_threads()]
    assert any(r.get("request_id") == "trace-me-123" for r in records), records
