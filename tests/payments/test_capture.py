"""Money received means money captured, for exactly the order (SPEC "Payments — Razorpay",
capture; security review, issue 17).

Before: verify took a valid signature as money received and nothing ever called capture, so on
an account without automatic capture the payment stayed authorized (and was later returned to
the customer by Razorpay) while the seats stayed BOOKED; a webhook without an amount booked.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from tests.api import problem, register
from tests.payments.checkout import (
    SANDBOX,
    booking,
    capture,
    checkout,
    eventually,
    money_audit,
    provider_payment,
    provider_refunds,
    refund_processed,
    send_webhook,
    start_payment,
    verify,
    webhook_event,
    webhooks_answered,
)
from tests.payments.test_payments import held
from tests.payments.test_reconciliation import run_worker_pass

from boxoffice.payments.reconcile import GRACE


@pytest.fixture(autouse=True)
def manual_capture_account(client: httpx.Client) -> Iterator[None]:
    """A Razorpay account without automatic capture: Checkout only authorizes."""
    client.patch(f"{SANDBOX}/config", json={"auto_capture": False})
    yield
    client.delete(f"{SANDBOX}/config")


def pending_order(
    client: httpx.Client, show: dict[str, Any], seats: list[str]
) -> tuple[Any, dict[str, Any], str]:
    customer = register(client)
    pending = held(client, customer, show, seats)
    order = start_payment(client, customer, pending["id"])
    assert order.status_code == 201, order.text
    return customer, pending, order.json()["order_id"]


def test_verify_captures_an_authorized_payment_before_booking(
    client: httpx.Client, show: dict[str, Any], seats: list[str], db: Any
) -> None:
    customer, pending, order_id = pending_order(client, show, seats[:2])
    paid = checkout(client, order_id)
    assert provider_payment(client, paid["razorpay_payment_id"])["status"] == "authorized"

    response = verify(client, customer, paid)

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "BOOKED"
    captured = provider_payment(client, paid["razorpay_payment_id"])
    assert (captured["status"], captured["captured"]) == ("captured", True)
    assert captured["amount"] == pending["amount_total"]
    assert response.json()["payment"]["status"] == "CAPTURED"
    money_audit(client, db)


def test_the_payment_authorized_webhook_alone_captures_and_books(
    client: httpx.Client, show: dict[str, Any], seats: list[str], db: Any
) -> None:
    customer, pending, order_id = pending_order(client, show, seats[:1])
    paid = checkout(client, order_id, deliver_webhooks=True)  # the browser never verifies

    assert eventually(lambda: booking(client, customer, pending["id"])["status"] == "BOOKED")
    assert provider_payment(client, paid["razorpay_payment_id"])["captured"] is True
    money_audit(client, db)


def test_the_worker_captures_an_authorized_payment_nobody_reported(
    client: httpx.Client,
    show: dict[str, Any],
    seats: list[str],
    clock: Any,
    live_server: Any,
    db: Any,
) -> None:
    customer, pending, order_id = pending_order(client, show, seats[:1])
    paid = checkout(client, order_id)  # no webhook, no verify

    clock.advance(GRACE + timedelta(seconds=1))
    assert run_worker_pass(live_server) == 1

    assert booking(client, customer, pending["id"])["status"] == "BOOKED"
    assert provider_payment(client, paid["razorpay_payment_id"])["captured"] is True
    money_audit(client, db)


def test_an_authorization_for_another_amount_is_neither_captured_nor_booked(
    client: httpx.Client, show: dict[str, Any], seats: list[str], db: Any
) -> None:
    customer, pending, order_id = pending_order(client, show, seats[:1])
    less = pending["amount_total"] - 100
    paid = checkout(client, order_id, amount=less)  # authorized (the account captures by hand)
    payment_id = paid["razorpay_payment_id"]
    event = webhook_event("payment.authorized", provider_payment(client, payment_id))

    assert send_webhook(client, event).json()["status"] == "ignored"
    refused = problem(verify(client, customer, paid), 409)

    assert refused["type"].endswith("/payment-not-captured")
    assert booking(client, customer, pending["id"])["status"] == "PENDING"
    left = provider_payment(client, payment_id)
    assert (left["status"], left["captured"], left["amount"]) == ("authorized", False, less)
    money_audit(client, db)


@pytest.mark.parametrize(
    "change",
    [{"amount": None}, {"currency": None}, {"amount": "35000"}],
    ids=["no amount", "no currency", "amount as text"],
)
def test_a_captured_webhook_without_an_amount_and_currency_is_not_acted_on(
    client: httpx.Client,
    show: dict[str, Any],
    seats: list[str],
    change: dict[str, Any],
    clock: Any,
    live_server: Any,
    db: Any,
) -> None:
    """Not enough to act on: nothing is captured or booked; the worker asks the provider."""
    customer, pending, order_id = pending_order(client, show, seats[:1])
    paid = checkout(client, order_id)
    payment_id = paid["razorpay_payment_id"]
    event = webhook_event("payment.captured", provider_payment(client, payment_id))
    entity = event["payload"]["payment"]["entity"]
    for key, value in change.items():
        if value is None:
            entity.pop(key)
        else:
            entity[key] = value

    response = send_webhook(client, event)

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ignored"
    assert booking(client, customer, pending["id"])["status"] == "PENDING"
    assert provider_payment(client, payment_id)["captured"] is False
    assert booking(client, customer, pending["id"])["refunds"] == []
    clock.advance(GRACE + timedelta(seconds=1))
    assert run_worker_pass(live_server) == 1
    assert booking(client, customer, pending["id"])["status"] == "BOOKED"
    assert provider_payment(client, payment_id)["amount"] == pending["amount_total"]
    money_audit(client, db)


def test_a_payment_captured_in_another_currency_is_refunded_in_full_not_booked(
    client: httpx.Client, show: dict[str, Any], seats: list[str], db: Any
) -> None:
    customer, pending, order_id = pending_order(client, show, seats[:1])
    client.patch(f"{SANDBOX}/config", json={"auto_capture": True})  # captured at Checkout
    paid = checkout(client, order_id, currency="USD", deliver_webhooks=True)
    payment_id = paid["razorpay_payment_id"]

    assert eventually(lambda: webhooks_answered(client, order_id))  # its own webhooks

    current = booking(client, customer, pending["id"])
    assert current["status"] != "BOOKED"
    assert [r["amount"] for r in current["refunds"]] == [pending["amount_total"]]
    assert eventually(lambda: refund_processed(client, customer, pending["id"]))
    assert provider_payment(client, payment_id)["amount_refunded"] == pending["amount_total"]
    money_audit(client, db)


def test_a_second_captured_payment_for_a_paid_order_is_refunded(
    client: httpx.Client, show: dict[str, Any], seats: list[str], db: Any
) -> None:
    """Two tabs paid the same order; the account captured both. One books, one goes back."""
    customer, pending, order_id = pending_order(client, show, seats[:2])
    first, second = checkout(client, order_id), checkout(client, order_id)
    # The captures' webhooks are held back: delivered at once, the second payment's could book
    # the order before the first is verified (it did, in a loaded run), and which payment books
    # would be the race's, not the test's. The refund's webhooks below are delivered.
    client.patch(f"{SANDBOX}/config", json={"auto_deliver_webhooks": False})
    for paid in (first, second):
        capture(client, paid, pending["amount_total"])
    client.patch(f"{SANDBOX}/config", json={"auto_deliver_webhooks": True})

    assert verify(client, customer, first).status_code == 200
    refused = verify(client, customer, second)

    assert refused.status_code == 409, refused.text
    assert refused.json()["type"].endswith("/payment-refunded")
    state = booking(client, customer, pending["id"])
    assert state["status"] == "BOOKED"
    assert state["payment"]["payment_id"] == first["razorpay_payment_id"]
    assert [r["amount"] for r in state["refunds"]] == [pending["amount_total"]]
    assert eventually(lambda: len(provider_refunds(client, second["razorpay_payment_id"])) == 1)
    returned = provider_refunds(client, second["razorpay_payment_id"])
    assert [r["amount"] for r in returned] == [pending["amount_total"]]
    assert provider_refunds(client, first["razorpay_payment_id"]) == []
    assert eventually(lambda: refund_processed(client, customer, pending["id"]))
    assert booking(client, customer, pending["id"])["payment"]["status"] == "CAPTURED"
    money_audit(client, db)
