"""The Razorpay sandbox's own contract: auth, shapes, webhooks and the hooks tests use."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from tests.conftest import LiveServer, listening_socket, serving
from tests.payments.checkout import eventually
from tests.support.http import loopback_client
from tests.support.keys import sandbox_keys

from boxoffice.payments.razorpay_sdk import RazorpayProvider, get_provider
from boxoffice.sandbox import create_sandbox_app

SANDBOX = "/_sandbox/razorpay"


def basic(key_id: str, secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{key_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def auth() -> dict[str, str]:
    return basic(sandbox_keys().key_id, sandbox_keys().key_secret)


@pytest.fixture(autouse=True)
def _sandbox_defaults(client: httpx.Client) -> Iterator[None]:
    yield
    client.delete(f"{SANDBOX}/config")


@pytest.fixture
def provider(live_server: LiveServer) -> RazorpayProvider:
    return get_provider(live_server.settings, sandbox_keys())


def create_order(client: httpx.Client, amount: int = 30_000) -> dict[str, Any]:
    response = client.post(
        f"{SANDBOX}/v1/orders",
        json={"amount": amount, "currency": "INR", "receipt": str(uuid.uuid4())},
        headers=auth(),
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def checkout(client: httpx.Client, order_id: str, outcome: str = "success") -> dict[str, Any]:
    response = client.post(
        f"{SANDBOX}/checkout/{order_id}", json={"outcome": outcome, "deliver_webhooks": False}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def events(client: httpx.Client, **filters: str) -> list[dict[str, Any]]:
    response = client.get(f"{SANDBOX}/events", params=filters)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def signed(body: str) -> str:
    return hmac.new(
        sandbox_keys().webhook_secret.encode(), body.encode(), hashlib.sha256
    ).hexdigest()


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)
    status: int = 200


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A stand-in webhook endpoint that records what it gets."""
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def test_the_rest_api_wants_the_key_id_and_secret(client: httpx.Client) -> None:
    order = create_order(client)
    for headers, description in (
        ({}, "Please provide your api key for authentication purposes."),
        (basic(sandbox_keys().key_id, "wrong"), "The api key provided is invalid"),
        (
            basic("rzp_test_other", sandbox_keys().key_secret),
            "The api key provided is invalid",
        ),
        ({"Authorization": "Basic !!!"}, "The api key provided is invalid"),
        ({"Authorization": "Bearer x"}, "Please provide your api key for authentication purposes."),
    ):
        response = client.get(f"{SANDBOX}/v1/orders/{order['id']}", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"] == {
            "code": "BAD_REQUEST_ERROR",
            "description": description,
            "source": "NA",
            "step": "NA",
            "reason": "NA",
            "metadata": {},
        }
    assert client.get(f"{SANDBOX}/v1/orders/{order['id']}", headers=auth()).json() == order


def test_orders_have_razorpays_shape_and_validation(client: httpx.Client) -> None:
    order = create_order(client, 30_000)
    assert re.fullmatch(r"order_[A-Za-z0-9]{14}", order["id"])
    assert order | {"id": "", "receipt": "", "created_at": 0} == {
        "id": "",
        "entity": "order",
        "amount": 30_000,
        "amount_paid": 0,
        "amount_due": 30_000,
        "currency": "INR",
        "receipt": "",
        "offer_id": None,
        "status": "created",
        "attempts": 0,
        "notes": [],
        "created_at": 0,
    }
    for body, field_name in (
        ({"currency": "INR"}, "amount"),
        ({"amount": "100", "currency": "INR"}, "amount"),
        ({"amount": 99, "currency": "INR"}, "amount"),
        ({"amount": 100}, "currency"),
        ({"amount": 100, "currency": "INR", "receipt": "x" * 41}, "receipt"),
        ({"amount": 100, "currency": "INR", "surprise": 1}, "surprise"),
    ):
        response = client.post(f"{SANDBOX}/v1/orders", json=body, headers=auth())
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == "BAD_REQUEST_ERROR"
        assert response.json()["error"]["field"] == field_name
    broken = client.post(f"{SANDBOX}/v1/orders", content=b"{nope", headers=auth())
    assert broken.status_code == 400
    unknown = client.get(f"{SANDBOX}/v1/payments/pay_Unknown0000000", headers=auth())
    assert unknown.status_code == 400
    assert unknown.json()["error"]["description"] == "The id provided does not exist"


def test_checkout_success_generates_signed_events_in_order(client: httpx.Client) -> None:
    order = create_order(client)
    paid = checkout(client, order["id"])
    payment_id = paid["razorpay_payment_id"]
    assert re.fullmatch(r"pay_[A-Za-z0-9]{14}", payment_id)
    expected = hmac.new(
        sandbox_keys().key_secret.encode(),
        f"{order['id']}|{payment_id}".encode(),
        hashlib.sha256,
    ).hexdigest()
    assert paid == {
        "razorpay_order_id": order["id"],
        "razorpay_payment_id": payment_id,
        "razorpay_signature": expected,
    }

    captured, order_paid = events(client, order_id=order["id"])
    for event in (captured, order_paid):
        assert re.fullmatch(r"[A-Za-z0-9]{14}", event["id"])
        assert event["signature"] == signed(event["body"])
        assert json.loads(event["body"]) == event["payload"]
        assert event["deliveries"] == 0 and event["last_status"] is None
        assert (event["order_id"], event["payment_id"]) == (order["id"], payment_id)
    assert captured["id"] != order_paid["id"]
    body = captured["payload"]
    assert body["entity"] == "event" and body["account_id"] == "acc_sandbox"
    assert (body["event"], body["contains"]) == ("payment.captured", ["payment"])
    payment = body["payload"]["payment"]["entity"]
    assert payment["id"] == payment_id and payment["entity"] == "payment"
    assert (payment["status"], payment["captured"], payment["amount"]) == ("captured", True, 30_000)
    assert (payment["order_id"], payment["method"], payment["currency"]) == (
        order["id"],
        "card",
        "INR",
    )
    body = order_paid["payload"]
    assert (body["event"], body["contains"]) == ("order.paid", ["payment", "order"])
    assert body["payload"]["order"]["entity"]["status"] == "paid"
    assert body["payload"]["payment"]["entity"] == payment
    assert client.get(f"{SANDBOX}/v1/payments/{payment_id}", headers=auth()).json() == payment


def test_checkout_failure_gives_checkouts_error_and_a_payment_failed_event(
    client: httpx.Client,
) -> None:
    order = create_order(client)
    failed = checkout(client, order["id"], "failure")
    payment_id = failed["razorpay_payment_id"]
    assert failed["error"]["code"] == "BAD_REQUEST_ERROR"
    assert failed["error"]["metadata"] == {"order_id": order["id"], "payment_id": payment_id}
    assert "razorpay_signature" not in failed

    (event,) = events(client, order_id=order["id"])
    assert event["event"] == "payment.failed"
    payment = event["payload"]["payload"]["payment"]["entity"]
    assert (payment["id"], payment["status"], payment["captured"]) == (payment_id, "failed", False)
    assert payment["error_code"] == "BAD_REQUEST_ERROR"
    assert client.post(f"{SANDBOX}/checkout/order_Unknown000000").status_code == 400
    assert client.post(f"{SANDBOX}/checkout/{order['id']}", json={"outcome": "x"}).status_code == (
        400
    )


def test_a_stored_event_is_redelivered_to_the_configured_url_only(
    client: httpx.Client, receiver: Receiver, live_server: LiveServer
) -> None:
    order = create_order(client)
    checkout(client, order["id"])
    captured, order_paid = events(client, order_id=order["id"])
    webhook_url = live_server.settings.razorpay_sandbox_webhook_url

    # Out of order, and twice: our own webhook endpoint takes each event id once.
    for event in (order_paid, captured, order_paid):
        response = client.post(f"{SANDBOX}/events/{event['id']}/deliver")
        assert response.status_code == 200, response.text
        assert response.json() == {
            "event_id": event["id"],
            "event": event["event"],
            "url": webhook_url,
            "status_code": 200,
            "error": None,
        }
    assert {e["id"]: e["deliveries"] for e in events(client, order_id=order["id"])} == {
        captured["id"]: 1,
        order_paid["id"]: 2,
    }
    assert client.post(f"{SANDBOX}/events/NoSuchEvent0000/deliver").status_code == 404

    # The target never comes from the request: this hook must not make the server post (and
    # report the answer) to an address of the caller's choosing.
    refused = client.post(f"{SANDBOX}/events/{captured['id']}/deliver", json={"url": receiver.url})
    assert refused.status_code == 400
    assert "url" in refused.json()["error"]["description"]
    assert receiver.received == []
    assert {e["id"]: e["deliveries"] for e in events(client, order_id=order["id"])}[
        captured["id"]
    ] == 1


def test_checkout_delivers_webhooks_to_the_configured_url_by_itself(
    client: httpx.Client, live_server: LiveServer
) -> None:
    order = create_order(client)
    response = client.post(f"{SANDBOX}/checkout/{order['id']}", json={"outcome": "success"})
    assert response.status_code == 200

    def all_delivered() -> list[dict[str, Any]] | None:
        found = events(client, order_id=order["id"])
        return found if found and all(e["last_status"] is not None for e in found) else None

    delivered = eventually(all_delivered)
    assert delivered, events(client, order_id=order["id"])
    assert [e["event"] for e in delivered] == ["payment.captured", "order.paid"]
    assert all(e["deliveries"] >= 1 for e in delivered)


def test_webhooks_stay_undelivered_when_switched_off(client: httpx.Client) -> None:
    client.patch(f"{SANDBOX}/config", json={"auto_deliver_webhooks": False})
    order = create_order(client)
    client.post(f"{SANDBOX}/checkout/{order['id']}", json={})
    # A later checkout that asks for delivery is the barrier: once its webhooks went out, the
    # first checkout's would have gone out too, had they been scheduled.
    later = create_order(client)
    client.post(f"{SANDBOX}/checkout/{later['id']}", json={"deliver_webhooks": True})
    assert eventually(
        lambda: all(e["deliveries"] >= 1 for e in events(client, order_id=later["id"]))
    )
    assert [e["deliveries"] for e in events(client, order_id=order["id"])] == [0, 0]


def test_a_pending_refund_is_processed_later(
    client: httpx.Client, provider: RazorpayProvider
) -> None:
    config = client.patch(
        f"{SANDBOX}/config", json={"refund_status": "pending", "auto_deliver_webhooks": False}
    )
    assert config.json()["refund_status"] == "pending"
    order = create_order(client, 50_000)
    payment_id = checkout(client, order["id"])["razorpay_payment_id"]

    refund = asyncio.run(provider.refund_payment(payment_id, 20_000, {"refund_id": "ours"}))
    assert refund.status == "pending"
    assert [e["event"] for e in events(client, refund_id=refund.id)] == ["refund.created"]

    processed = client.post(f"{SANDBOX}/refunds/{refund.id}/process")
    assert processed.status_code == 200
    assert processed.json()["status"] == "processed"
    assert asyncio.run(provider.fetch_refund(refund.id)).status == "processed"
    _created, done = events(client, refund_id=refund.id)
    assert done["event"] == "refund.processed"
    assert done["payload"]["contains"] == ["refund", "payment"]
    assert done["payload"]["payload"]["refund"]["entity"]["status"] == "processed"
    assert done["payload"]["payload"]["refund"]["entity"]["notes"] == {"refund_id": "ours"}
    assert done["payload"]["payload"]["payment"]["entity"]["amount_refunded"] == 20_000
    assert done["payload"]["payload"]["payment"]["entity"]["refund_status"] == "partial"
    assert done["order_id"] == order["id"]
    # Settling twice changes nothing.
    assert client.post(f"{SANDBOX}/refunds/{refund.id}/process").json() == processed.json()
    assert len(events(client, refund_id=refund.id)) == 2
    assert client.post(f"{SANDBOX}/refunds/{refund.id}/fail").status_code == 400


def test_a_failed_refund_gives_the_amount_back(
    client: httpx.Client, provider: RazorpayProvider
) -> None:
    client.patch(f"{SANDBOX}/config", json={"refund_status": "pending"})
    payment_id = checkout(client, create_order(client, 30_000)["id"])["razorpay_payment_id"]
    refund = asyncio.run(provider.refund_payment(payment_id))

    failed = client.post(f"{SANDBOX}/refunds/{refund.id}/fail", json={"deliver_webhooks": False})
    assert failed.json()["status"] == "failed"
    assert events(client, refund_id=refund.id)[-1]["event"] == "refund.failed"
    payment = asyncio.run(provider.fetch_payment(payment_id))
    assert (payment.status, payment.amount_refunded) == ("captured", 0)
    assert asyncio.run(provider.refund_payment(payment_id)).amount == 30_000


def test_immediately_processed_refunds_send_created_and_processed(
    client: httpx.Client, provider: RazorpayProvider
) -> None:
    client.patch(f"{SANDBOX}/config", json={"auto_deliver_webhooks": False})
    payment_id = checkout(client, create_order(client)["id"])["razorpay_payment_id"]
    refund = asyncio.run(provider.refund_payment(payment_id))
    assert [e["event"] for e in events(client, refund_id=refund.id)] == [
        "refund.created",
        "refund.processed",
    ]


def test_config_is_validated_and_resets(client: httpx.Client) -> None:
    defaults = client.get(f"{SANDBOX}/config").json()
    assert defaults == {
        "refund_status": "processed",
        "auto_deliver_webhooks": True,
        "fail_next_requests": 0,
        "fail_after_applying": False,
        "fail_matching": "",
        "auto_capture": True,
    }
    for bad in (
        {"refund_status": "lost"},
        {"delay_seconds": 3},
        {"fail_matching": "x" * 201},
        {"fail_matching": 7},
        {"fail_next_requests": -1},
        {"fail_next_requests": "2"},
        {"nonsense": True},
    ):
        assert client.patch(f"{SANDBOX}/config", json=bad).status_code == 400
    client.patch(f"{SANDBOX}/config", json={"fail_next_requests": 3})
    assert client.delete(f"{SANDBOX}/config").json() == defaults
    assert client.get(f"{SANDBOX}/config").json() == defaults


def test_injected_failures_go_only_to_the_calls_that_name_their_key(
    client: httpx.Client,
) -> None:
    mine, other = create_order(client), create_order(client)
    client.patch(f"{SANDBOX}/config", json={"fail_next_requests": 1, "fail_matching": mine["id"]})

    assert client.get(f"{SANDBOX}/v1/orders/{other['id']}", headers=auth()).status_code == 200
    assert client.get(f"{SANDBOX}/v1/orders/{mine['id']}", headers=auth()).status_code == 500
    assert client.get(f"{SANDBOX}/v1/orders/{mine['id']}", headers=auth()).status_code == 200
    assert client.get(f"{SANDBOX}/config").json()["fail_next_requests"] == 0


def test_a_gate_holds_the_calls_that_name_its_key_until_it_opens(
    client: httpx.Client, live_server: LiveServer
) -> None:
    held, free = create_order(client), create_order(client)
    gate = client.post(f"{SANDBOX}/gates", json={"matching": held["id"]})
    assert gate.status_code == 201, gate.text
    assert gate.json() | {"id": None} == {
        "id": None,
        "matching": held["id"],
        "open": False,
        "waiting": 0,
    }
    url = f"{SANDBOX}/v1/orders/{held['id']}"

    with loopback_client(base_url=live_server.url, timeout=30) as other:
        waiting = threading.Thread(target=lambda: answers.append(other.get(url, headers=auth())))
        answers: list[httpx.Response] = []
        waiting.start()
        state = f"{SANDBOX}/gates/{gate.json()['id']}"
        assert eventually(lambda: client.get(state).json()["waiting"] == 1)
        # Other calls go on, and the held one has not been answered.
        assert client.get(f"{SANDBOX}/v1/orders/{free['id']}", headers=auth()).status_code == 200
        assert answers == []
        opened = client.post(f"{state}/open")
        assert opened.status_code == 200 and opened.json()["open"] is True
        waiting.join(timeout=30)
    assert [a.status_code for a in answers] == [200]
    assert client.get(state).json()["waiting"] == 0
    assert client.get(url, headers=auth()).status_code == 200  # an open gate holds nothing
    for bad in ({}, {"matching": ""}, {"matching": 5}, {"matching": "x", "extra": 1}):
        assert client.post(f"{SANDBOX}/gates", json=bad).status_code == 400
    assert client.get(f"{SANDBOX}/gates/gate_Unknown0000000").status_code == 404


def test_resetting_the_config_opens_every_gate(
    client: httpx.Client, live_server: LiveServer
) -> None:
    order = create_order(client)
    gate = client.post(f"{SANDBOX}/gates", json={"matching": order["id"]}).json()
    answers: list[int] = []

    def fetch() -> None:
        with loopback_client(base_url=live_server.url, timeout=30) as other:
            answers.append(
                other.get(f"{SANDBOX}/v1/orders/{order['id']}", headers=auth()).status_code
            )

    waiting = threading.Thread(target=fetch)
    waiting.start()
    assert eventually(lambda: client.get(f"{SANDBOX}/gates/{gate['id']}").json()["waiting"] == 1)
    client.delete(f"{SANDBOX}/config")
    waiting.join(timeout=30)
    assert answers == [200]


def test_checkout_can_pay_another_amount_or_currency_than_the_orders(
    client: httpx.Client,
) -> None:
    order = create_order(client, amount=30_000)
    paid = client.post(
        f"{SANDBOX}/checkout/{order['id']}",
        json={"amount": 29_999, "currency": "USD", "deliver_webhooks": False},
    )
    assert paid.status_code == 200, paid.text
    payment = client.get(
        f"{SANDBOX}/v1/payments/{paid.json()['razorpay_payment_id']}", headers=auth()
    ).json()
    assert (payment["amount"], payment["currency"], payment["captured"]) == (29_999, "USD", True)
    for bad in ({"amount": 5}, {"amount": "30000"}, {"currency": "XYZ"}):
        other = create_order(client)
        assert client.post(f"{SANDBOX}/checkout/{other['id']}", json=bad).status_code == 400


@pytest.fixture
def standalone(live_server: LiveServer) -> Iterator[str]:
    """`boxoffice sandbox` in-process: the sandbox alone, on the same database."""
    with listening_socket() as sock, serving(create_sandbox_app(live_server.settings), sock):
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_the_standalone_sandbox_shares_state_with_the_servers_sandbox(
    standalone: str, live_server: LiveServer, provider: RazorpayProvider
) -> None:
    alone = RazorpayProvider(sandbox_keys(), standalone, timeout_seconds=5)
    alone_prefixed = RazorpayProvider(sandbox_keys(), standalone + SANDBOX, timeout_seconds=5)

    order = asyncio.run(alone.create_order(12_300, "INR", "standalone"))

    assert asyncio.run(alone_prefixed.fetch_order(order.id)) == order
    assert asyncio.run(provider.fetch_order(order.id)) == order
    assert httpx.get(f"{standalone}/health").json()["status"] == "ok"
