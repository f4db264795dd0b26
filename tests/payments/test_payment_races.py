"""Verify and two webhooks racing in two server processes (on SQLite, in the one process of the
embedded mode): one payment, one BOOKED."""

from __future__ import annotations

import threading
from typing import Any

import httpx
from tests.api import register
from tests.bookings.test_holds import hold
from tests.payments.checkout import (
    checkout,
    money_audit,
    payment_event,
    send_webhook,
    start_payment,
    verify,
)
from tests.support.http import loopback_client
from tests.support.servers import Servers


def race_to_confirm(
    client: httpx.Client, a: httpx.Client, b: httpx.Client, show_id: str, seat: str
) -> list[str]:
    """Pays one booking, then fires verify and three webhooks at once; returns its history."""
    customer = register(client)
    pending = hold(client, customer, show_id, [seat]).json()
    order = start_payment(a, customer, pending["id"]).json()
    paid = checkout(a, order["order_id"])
    payment_id, amount = paid["razorpay_payment_id"], order["amount"]
    captured = payment_event("payment.captured", order["order_id"], payment_id, amount)
    order_paid = payment_event("order.paid", order["order_id"], payment_id, amount)
    senders = [
        lambda: verify(a, customer, paid),
        lambda: send_webhook(b, captured),
        lambda: send_webhook(a, order_paid),
        lambda: send_webhook(b, captured),  # a redelivery with a new event id
    ]
    barrier = threading.Barrier(len(senders))
    statuses: list[int] = []

    def fire(send: Any) -> None:
        barrier.wait()
        statuses.append(send().status_code)

    threads = [threading.Thread(target=fire, args=(send,)) for send in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [200] * len(senders), statuses
    final = client.get(f"/api/v1/bookings/{pending['id']}", headers=customer).json()
    return [h["to"] for h in final["history"]]


def test_verify_racing_webhooks_across_processes_books_once(
    client: httpx.Client, show: dict[str, Any], seats: list[str], db: Any, two_servers: Servers
) -> None:
    with (
        loopback_client(base_url=two_servers.urls[0], timeout=30) as a,
        loopback_client(base_url=two_servers.urls[1], timeout=30) as b,
    ):
        for seat in seats[:8]:
            assert race_to_confirm(client, a, b, show["id"], seat) == ["PENDING", "BOOKED"]
    assert db.query("SELECT count(*) FROM payments WHERE payment_id IS NOT NULL")[0][0] == 8
    assert (
        db.query("SELECT count(*) FROM booking_transitions WHERE to_status = 'BOOKED'")[0][0] == 8
    )
    money_audit(client, db)
