"""The payment provider through the official SDK, against the sandbox the live server mounts."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tests.conftest import LiveServer, make_settings
from tests.support.keys import sandbox_keys

from boxoffice.config import RazorpayCredentials
from boxoffice.payments.provider import PaymentProviderError, ProviderRejected, ProviderUnavailable
from boxoffice.payments.razorpay_sdk import RazorpayProvider, get_provider, razorpay_api_base_url

SANDBOX = "/_sandbox/razorpay"


@pytest.fixture
def provider(live_server: LiveServer) -> RazorpayProvider:
    return get_provider(live_server.settings, sandbox_keys())


@pytest.fixture(autouse=True)
def _sandbox_defaults(client: httpx.Client) -> Iterator[None]:
    yield
    client.delete(f"{SANDBOX}/config")


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def new_order(provider: RazorpayProvider, amount: int = 45_000) -> Any:
    booking_id = str(uuid.uuid4())
    return run(provider.create_order(amount, "INR", booking_id, {"booking_id": booking_id}))


def pay(client: httpx.Client, order_id: str, outcome: str = "success") -> dict[str, Any]:
    response = client.post(
        f"{SANDBOX}/checkout/{order_id}", json={"outcome": outcome, "deliver_webhooks": False}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_base_url_points_the_sdk_at_the_sandbox_or_razorpay() -> None:
    sandboxed = make_settings("sqlite:///x.db", public_base_url="http://h:1")
    assert razorpay_api_base_url(sandboxed) == f"http://h:1{SANDBOX}"
    assert (
        razorpay_api_base_url(make_settings("sqlite:///x.db", razorpay_base_url="http://s:9/v1/"))
        == "http://s:9"
    )
    real = make_settings(
        "sqlite:///x.db",
        razorpay_key_id="rzp_live_x",
        razorpay_key_secret="the-key-secret",
        razorpay_webhook_secret="the-webhook-secret",
        razorpay_sandbox=False,
    )
    assert razorpay_api_base_url(real) == "https://api.razorpay.com"
    assert real.razorpay_keys is not None
    assert get_provider(real, real.razorpay_keys).key_id == "rzp_live_x"
    assert "secret" not in repr(get_provider(real, real.razorpay_keys))


def test_create_and_fetch_an_order(provider: RazorpayProvider) -> None:
    order = new_order(provider, 45_000)

    assert re.fullmatch(r"order_[A-Za-z0-9]{14}", order.id)
    assert (order.amount, order.amount_paid, order.amount_due) == (45_000, 0, 45_000)
    assert (order.currency, order.status) == ("INR", "created")
    assert order.notes == {"booking_id": order.receipt}
    assert abs(order.created_at - time.time()) < 60
    assert run(provider.fetch_order(order.id)) == order
    assert run(provider.fetch_order_payments(order.id)) == []


def test_checkout_signature_verifies_and_a_tampered_one_does_not(
    provider: RazorpayProvider, client: httpx.Client
) -> None:
    order = new_order(provider)
    paid = pay(client, order.id)
    order_id, payment_id = paid["razorpay_order_id"], paid["razorpay_payment_id"]
    signature = paid["razorpay_signature"]

    assert order_id == order.id
    assert provider.verify_payment_signature(order_id, payment_id, signature)
    tampered = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    assert not provider.verify_payment_signature(order_id, payment_id, tampered)
    assert not provider.verify_payment_signature(order_id, "pay_SomeoneElse001", signature)
    assert not provider.verify_payment_signature(order_id, payment_id, "")
    assert not provider.verify_payment_signature(order_id, payment_id, "é" * 64)

    fetched = run(provider.fetch_order(order.id))
    assert (fetched.status, fetched.amount_paid, fetched.amount_due) == ("paid", 45_000, 0)
    payment = run(provider.fetch_payment(payment_id))
    assert (payment.order_id, payment.amount, payment.status) == (order.id, 45_000, "captured")
    assert payment.captured and payment.is_captured
    assert run(provider.fetch_order_payments(order.id)) == [payment]
    # Sandbox payments are auto-captured; capturing again answers the payment unchanged.
    assert run(provider.capture_payment(payment_id, 45_000, "INR")) == payment


def test_a_failed_attempt_then_a_successful_one(
    provider: RazorpayProvider, client: httpx.Client
) -> None:
    order = new_order(provider)
    failed = pay(client, order.id, "failure")
    assert failed["error"]["metadata"] == {
        "order_id": order.id,
        "payment_id": failed["razorpay_payment_id"],
    }
    assert run(provider.fetch_order(order.id)).status == "attempted"

    paid = pay(client, order.id)
    payments = {p.id: p for p in run(provider.fetch_order_payments(order.id))}
    assert payments[failed["razorpay_payment_id"]].status == "failed"
    assert not payments[failed["razorpay_payment_id"]].is_captured
    assert payments[paid["razorpay_payment_id"]].status == "captured"
    assert run(provider.fetch_order(order.id)).status == "paid"
    again = client.post(f"{SANDBOX}/checkout/{order.id}", json={"deliver_webhooks": False})
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "BAD_REQUEST_ERROR"


def test_webhook_signature_is_checked_over_the_raw_body(
    provider: RazorpayProvider, client: httpx.Client
) -> None:
    order = new_order(provider)
    pay(client, order.id)
    events = client.get(f"{SANDBOX}/events", params={"order_id": order.id}).json()["items"]
    assert [e["event"] for e in events] == ["payment.captured", "order.paid"]

    for event in events:
        raw = event["body"].encode()
        assert provider.verify_webhook_signature(raw, event["signature"])
        # The same JSON serialized differently is another body: the signature must not match.
        assert not provider.verify_webhook_signature(
            json.dumps(json.loads(raw), indent=1).encode(), event["signature"]
        )
        assert not provider.verify_webhook_signature(raw + b" ", event["signature"])
        assert not provider.verify_webhook_signature(raw, event["signature"].upper()[::-1])
        assert not provider.verify_webhook_signature(raw, "")
    assert not provider.verify_webhook_signature(b"\xff\xfe", events[0]["signature"])


def test_refund_in_full_then_more_is_refused(
    provider: RazorpayProvider, client: httpx.Client
) -> None:
    order = new_order(provider, 45_000)
    payment_id = pay(client, order.id)["razorpay_payment_id"]

    refund = run(provider.refund_payment(payment_id, notes={"refund_id": "r-1"}))
    assert re.fullmatch(r"rfnd_[A-Za-z0-9]{14}", refund.id)
    assert (refund.payment_id, refund.amount, refund.status) == (payment_id, 45_000, "processed")
    assert refund.notes == {"refund_id": "r-1"}
    assert run(provider.fetch_refund(refund.id)) == refund
    assert run(provider.fetch_payment_refunds(payment_id)) == [refund]
    payment = run(provider.fetch_payment(payment_id))
    assert (payment.status, payment.amount_refunded, payment.refund_status) == (
        "refunded",
        45_000,
        "full",
    )

    with pytest.raises(ProviderRejected) as refused:
        run(provider.refund_payment(payment_id, 100))
    assert isinstance(refused.value, PaymentProviderError)
    assert refused.value.status == 502 and not refused.value.retryable
    assert "fully refunded" in refused.value.provider_message
    assert len(run(provider.fetch_payment_refunds(payment_id))) == 1


def test_partial_refunds_never_exceed_the_capture(
    provider: RazorpayProvider, client: httpx.Client
) -> None:
    order = new_order(provider, 45_000)
    payment_id = pay(client, order.id)["razorpay_payment_id"]

    first = run(provider.refund_payment(payment_id, 10_000))
    with pytest.raises(ProviderRejected, match="refused"):
        run(provider.refund_payment(payment_id, 35_001))
    second = run(provider.refund_payment(payment_id, 35_000))

    assert {r.id for r in run(provider.fetch_payment_refunds(payment_id))} == {
        first.id,
        second.id,
    }
    assert run(provider.fetch_payment(payment_id)).amount_refunded == 45_000


def test_a_refund_repeated_with_its_idempotency_key_is_made_once(
    provider: RazorpayProvider, client: httpx.Client
) -> None:
    payment_id = pay(client, new_order(provider).id)["razorpay_payment_id"]
    receipt = str(uuid.uuid4())  # also the X-Refund-Idempotency key by default

    first = run(provider.refund_payment(payment_id, 20_000, {"n": "1"}, receipt=receipt))
    again = run(provider.refund_payment(payment_id, 20_000, {"n": "1"}, receipt=receipt))
    assert again == first
    with pytest.raises(ProviderRejected):  # same key, another request
        run(provider.refund_payment(payment_id, 25_000, {"n": "1"}, receipt=receipt))
    assert run(provider.fetch_payment_refunds(payment_id)) == [first]


def test_refunding_a_failed_payment_is_refused(
    provider: RazorpayProvider, client: httpx.Client
) -> None:
    failed = pay(client, new_order(provider).id, "failure")
    with pytest.raises(ProviderRejected):
        run(provider.refund_payment(failed["razorpay_payment_id"]))


def test_unknown_ids_and_invalid_orders_are_rejected(provider: RazorpayProvider) -> None:
    for call in (
        provider.fetch_order("order_DoesNotExist00"),
        provider.fetch_payment("pay_DoesNotExist000"),
        provider.fetch_refund("rfnd_DoesNotExist00"),
        provider.fetch_order_payments("order_DoesNotExist00"),
        provider.create_order(99, "INR", "too-small"),
        provider.create_order(10_000, "XYZ", "bad-currency"),
        provider.create_order(10_000, "INR", "r" * 41),
        provider.create_order(10_000, "INR", "many-notes", {str(i): "x" for i in range(16)}),
    ):
        with pytest.raises(ProviderRejected):
            run(call)


def test_wrong_credentials_are_refused(live_server: LiveServer) -> None:
    wrong = RazorpayProvider(
        RazorpayCredentials("rzp_test_boxoffice_sandbox", "not-the-secret", "whatever"),
        razorpay_api_base_url(live_server.settings),
        timeout_seconds=5,
    )
    with pytest.raises(ProviderRejected) as refused:
        run(wrong.create_order(10_000, "INR", "r"))
    assert "api key" in refused.value.provider_message


def test_a_500_is_retried_for_a_fetch_but_not_for_a_create(
    provider: RazorpayProvider, client: httpx.Client
) -> None:
    order = new_order(provider)
    client.patch(f"{SANDBOX}/config", json={"fail_next_requests": 2, "fail_matching": order.id})
    assert run(provider.fetch_order(order.id)) == order  # two 500s, then the answer

    receipt = str(uuid.uuid4())
    client.patch(f"{SANDBOX}/config", json={"fail_next_requests": 1, "fail_matching": receipt})
    with pytest.raises(ProviderUnavailable) as failed:
        run(provider.create_order(45_000, "INR", receipt, {}))
    assert failed.value.retryable and failed.value.status == 502
    assert client.get(f"{SANDBOX}/config").json()["fail_next_requests"] == 0


def test_a_refund_whose_answer_was_lost_is_retried_safely(
    provider: RazorpayProvider, client: httpx.Client
) -> None:
    payment_id = pay(client, new_order(provider).id)["razorpay_payment_id"]
    client.patch(
        f"{SANDBOX}/config",
        json={"fail_next_requests": 1, "fail_after_applying": True, "fail_matching": payment_id},
    )

    refund = run(provider.refund_payment(payment_id, receipt=str(uuid.uuid4())))

    assert run(provider.fetch_payment_refunds(payment_id)) == [refund]


@pytest.fixture
def silent_server() -> Iterator[tuple[str, list[socket.socket]]]:
    """Accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}", accepted
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


def test_a_silent_provider_times_out_and_only_reads_are_repeated(
    live_server: LiveServer, silent_server: tuple[str, list[socket.socket]]
) -> None:
    url, accepted = silent_server
    slow = RazorpayProvider(sandbox_keys(), url, timeout_seconds=0.3)

    def connections_settle_at(count: int) -> int:
        # The call has returned, so every attempt it made has connected; only the accepting
        # thread may lag behind under load. Wait for it to have seen `count` of them.
        deadline = time.monotonic() + 5
        while len(accepted) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return len(accepted)

    with pytest.raises(ProviderUnavailable):  # each attempt timed out (else: a hang, and the
        run(slow.fetch_order("order_Whatever000000"))  # test's own timeout fails it)
    assert connections_settle_at(3) == 3  # a read is tried three times

    with pytest.raises(ProviderUnavailable):  # it may have been created: not repeated
        run(slow.create_order(10_000, "INR", "r"))
    assert connections_settle_at(4) == 4


def test_an_unreachable_provider_is_an_error_not_a_hang(live_server: LiveServer) -> None:
    with socket.socket() as sock:
        # Bound but not listening: connections are refused, and no other server can take it.
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
        down = RazorpayProvider(
            sandbox_keys(), f"http://127.0.0.1:{closed_port}", timeout_seconds=1
        )
        for call in (down.create_order(10_000, "INR", "r"), down.fetch_refund("rfnd_X")):
            with pytest.raises(ProviderUnavailable):
                run(call)
