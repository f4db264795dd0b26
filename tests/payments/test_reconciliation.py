"""The worker finishes what a lost webhook, a crashed verify or a failed refund call left undone."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from tests.api import register
from tests.bookings.test_holds import hold
from tests.payments.checkout import (
    SANDBOX,
    booking,
    checkout,
    eventually,
    money_audit,
    pay,
    provider_refunds,
    start_payment,
)
from tests.support.keys import sandbox_keys

from boxoffice.db.engine import create_engine, create_sessionmaker
from boxoffice.payments.razorpay_sdk import get_provider
from boxoffice.payments.reconcile import GRACE, reconcile
from boxoffice.payments.refunds import retry_delay
from boxoffice.worker import run_pass


@pytest.fixture(autouse=True)
def sandbox_defaults(client: httpx.Client) -> Iterator[None]:
    yield
    client.delete(f"{SANDBOX}/config")


def run_worker_pass(live_server: Any) -> int:
    """The worker's payment share (`reconcile`) once, in this thread, on the test clock; how
    many payments it settled."""
    return int(_on_an_engine_of_its_own(live_server, reconcile))


def whole_worker_pass(live_server: Any) -> None:
    """One whole pass of `boxoffice worker` (sweep, cancellations, payments, emails), in this
    thread, on the test clock, as a worker process of its own would."""
    _on_an_engine_of_its_own(live_server, run_pass)


def _on_an_engine_of_its_own(live_server: Any, work: Any) -> Any:
    async def run() -> Any:
        engine = create_engine(live_server.settings)
        try:
            return await work(
                create_sessionmaker(engine, live_server.settings),  # as the worker makes it
                live_server.settings,
                get_provider(live_server.settings, sandbox_keys()),
                live_server.clock,
            )
        finally:
            await engine.dispose()

    return asyncio.run(run())


def paid_booking(client: httpx.Client, show: dict[str, Any], seats: list[str]) -> tuple[Any, str]:
    customer = register(client)
    pending = hold(client, customer, show["id"], seats).json()
    pay(client, customer, pending["id"])
    return customer, pending["id"]


def test_a_payment_nobody_told_us_about_is_settled_by_the_worker(
    client: httpx.Client, show: dict[str, Any], seats: list[str], clock: Any, live_server: Any
) -> None:
    customer = register(client)
    pending = hold(client, customer, show["id"], seats[:2]).json()
    order = start_payment(client, customer, pending["id"]).json()
    checkout(client, order["order_id"], deliver_webhooks=False)  # and the browser never verifies

    assert run_worker_pass(live_server) == 0  # too early: verify or a webhook may still come
    clock.advance(GRACE + timedelta(seconds=1))
    assert run_worker_pass(live_server) == 1

    settled = booking(client, customer, pending["id"])
    assert settled["status"] == "BOOKED"
    assert settled["history"][-1]["reason"] == "paid"
    assert run_worker_pass(live_server) == 0  # settled once


def test_a_refund_whose_request_failed_is_issued_by_the_worker_once(
    client: httpx.Client,
    show: dict[str, Any],
    seats: list[str],
    live_server: Any,
    db: Any,
    clock: Any,
) -> None:
    customer, booking_id = paid_booking(client, show, [seats[0]])
    # The provider answers 500 to every call about this payment for a while: the after-commit
    # refund call fails.
    payment_id = db.query("SELECT payment_id FROM payments")[0][0]
    client.patch(f"{SANDBOX}/config", json={"fail_next_requests": 20, "fail_matching": payment_id})
    cancelled = client.post(f"/api/v1/bookings/{booking_id}/cancel", headers=customer)
    assert cancelled.status_code == 200
    assert eventually(lambda: db.query("SELECT count(*) FROM refund_attempts")[0][0] == 1)
    assert eventually(lambda: db.query("SELECT finished_at FROM refund_attempts")[0][0])
    client.delete(f"{SANDBOX}/config")

    clock.advance(retry_delay(1))  # the next attempt waits for its backoff
    run_worker_pass(live_server)
    run_worker_pass(live_server)

    refunds = booking(client, customer, booking_id)["refunds"]
    assert [r["status"] for r in refunds] == ["PROCESSED"]
    assert db.query("SELECT provider_refund_id FROM refunds")[0][0]
    assert len(provider_refunds(client, payment_id)) == 1
    money_audit(client, db)


def test_a_pending_refund_is_polled_until_processed(
    client: httpx.Client, show: dict[str, Any], seats: list[str], live_server: Any, db: Any
) -> None:
    client.patch(
        f"{SANDBOX}/config", json={"refund_status": "pending", "auto_deliver_webhooks": False}
    )
    customer, booking_id = paid_booking(client, show, [seats[0]])
    client.post(f"/api/v1/bookings/{booking_id}/cancel", headers=customer)
    assert eventually(lambda: db.query("SELECT provider_refund_id FROM refunds")[0][0])
    provider_refund_id = db.query("SELECT provider_refund_id FROM refunds")[0][0]

    run_worker_pass(live_server)
    assert booking(client, customer, booking_id)["refunds"][0]["status"] == "PENDING"

    processed = client.post(f"{SANDBOX}/refunds/{provider_refund_id}/process", json={})
    assert processed.status_code == 200, processed.text
    run_worker_pass(live_server)

    assert booking(client, customer, booking_id)["refunds"][0]["status"] == "PROCESSED"
    assert booking(client, customer, booking_id)["payment"]["status"] == "REFUNDED"


@pytest.mark.parametrize(
    ("outcome", "refund_status"), [("process", "PROCESSED"), ("fail", "FAILED")]
)
def test_refund_webhooks_settle_a_pending_refund(
    client: httpx.Client,
    show: dict[str, Any],
    seats: list[str],
    db: Any,
    outcome: str,
    refund_status: str,
) -> None:
    client.patch(f"{SANDBOX}/config", json={"refund_status": "pending"})
    customer, booking_id = paid_booking(client, show, [seats[0]])
    client.post(f"/api/v1/bookings/{booking_id}/cancel", headers=customer)
    assert eventually(lambda: db.query("SELECT provider_refund_id FROM refunds")[0][0])
    provider_refund_id = db.query("SELECT provider_refund_id FROM refunds")[0][0]
    assert booking(client, customer, booking_id)["refunds"][0]["status"] == "PENDING"

    # The provider settles it and says so by webhook (refund.processed / refund.failed).
    assert (
        client.post(f"{SANDBOX}/refunds/{provider_refund_id}/{outcome}", json={}).status_code == 200
    )

    assert eventually(
        lambda: booking(client, customer, booking_id)["refunds"][0]["status"] == refund_status
    )
    expected_payment = "REFUNDED" if refund_status == "PROCESSED" else "CAPTURED"
    assert booking(client, customer, booking_id)["payment"]["status"] == expected_payment
