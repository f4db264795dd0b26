"""A refund the provider fails is retried with backoff, never paid out twice, and stays FAILED
for a human after the last attempt (SPEC "Refunds that fail").

The sandbox plays the provider's side: `refund_status: pending` plus `/refunds/{id}/fail` (the bank
bounced it), and `fail_next_requests` + `fail_after_applying` (the refund was made, the answer
was lost). The worker's pass is run in-process against the same database with the test clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tests.api import ADMIN_PASSWORD, login, register
from tests.bookings.test_holds import hold
from tests.conftest import METRICS
from tests.payments.checkout import (
    SANDBOX,
    booking,
    eventually,
    money_audit,
    pay,
    provider_refunds,
    refund_processed,
)
from tests.payments.test_reconciliation import run_worker_pass

from boxoffice.payments.refunds import retry_delay


@pytest.fixture(autouse=True)
def sandbox_defaults(client: httpx.Client) -> Iterator[None]:
    yield
    client.delete(f"{SANDBOX}/config")


def cancelled_paid_booking(
    client: httpx.Client, show: dict[str, Any], seat: str, email: str | None = None
) -> tuple[dict[str, str], str]:
    customer = register(client, email)
    pending = hold(client, customer, show["id"], [seat]).json()
    pay(client, customer, pending["id"])
    cancelled = client.post(f"/api/v1/bookings/{pending['id']}/cancel", headers=customer)
    assert cancelled.status_code == 200, cancelled.text
    return customer, pending["id"]


def refund_row(db: Any) -> Any:
    rows = db.query("SELECT id, status, attempts, provider_refund_id, next_attempt_at FROM refunds")
    assert len(rows) == 1
    return rows[0]


def issued_attempt(db: Any, number: int) -> str:
    """Waits for attempt `number` to be accepted by the provider; its provider refund id."""

    def issued() -> Any:
        row = refund_row(db)
        return row.provider_refund_id if row.attempts == number else None

    provider_refund_id = eventually(issued)
    assert provider_refund_id, refund_row(db)
    return str(provider_refund_id)


def refunds_at_provider(client: httpx.Client, db: Any) -> list[dict[str, Any]]:
    """The provider's refunds of the one payment there is."""
    return provider_refunds(client, db.query("SELECT payment_id FROM payments")[0][0])


def fail_at_provider(client: httpx.Client, provider_refund_id: str) -> None:
    failed = client.post(f"{SANDBOX}/refunds/{provider_refund_id}/fail", json={})
    assert failed.status_code == 200, failed.text


def admin_refunds(client: httpx.Client, admin: dict[str, str], status: str) -> list[Any]:
    listed = client.get("/api/v1/admin/refunds", params={"status": status}, headers=admin)
    assert listed.status_code == 200, listed.text
    return list(listed.json()["items"])


def failed_metric(client: httpx.Client) -> float:
    for line in client.get("/metrics", headers=METRICS).text.splitlines():
        if line.startswith('boxoffice_refunds_total{status="failed"}'):
            return float(line.split()[-1])
    return 0.0


def test_a_refund_that_fails_twice_then_succeeds_is_paid_out_once(
    client: httpx.Client,
    show: dict[str, Any],
    seats: list[str],
    live_server: Any,
    db: Any,
    clock: Any,
    admin: dict[str, str],
) -> None:
    client.patch(f"{SANDBOX}/config", json={"refund_status": "pending"})
    customer, booking_id = cancelled_paid_booking(client, show, seats[0])

    for number in (1, 2):
        fail_at_provider(client, issued_attempt(db, number))
        # refund.failed arrives by webhook: FAILED, with the next attempt scheduled.
        assert eventually(
            lambda: booking(client, customer, booking_id)["refunds"][0]["status"] == "FAILED"
        )
        assert refund_row(db).next_attempt_at is not None
        run_worker_pass(live_server)  # not due yet: nothing happens
        assert refund_row(db).attempts == number
        clock.advance(retry_delay(number))
        run_worker_pass(live_server)

    processed = client.post(f"{SANDBOX}/refunds/{issued_attempt(db, 3)}/process", json={})
    assert processed.status_code == 200, processed.text
    assert eventually(lambda: refund_processed(client, customer, booking_id))
    settled = booking(client, customer, booking_id)
    assert settled["payment"]["status"] == "REFUNDED"
    assert settled["refunds"][0]["attempts"] == 3

    # Three attempts on one refund row, each with its own provider refund; one paid out.
    (listed,) = admin_refunds(client, admin, "PROCESSED")
    assert listed["booking_id"] == booking_id and listed["attempts"] == 3
    assert [a["status"] for a in listed["history"]] == ["FAILED", "FAILED", "PROCESSED"]
    assert len({a["provider_refund_id"] for a in listed["history"]}) == 3
    at_provider = refunds_at_provider(client, db)
    assert sorted(r["status"] for r in at_provider) == ["failed", "failed", "processed"]
    keys = db.query("SELECT DISTINCT idempotency_key FROM refund_attempts")
    assert len(keys) == 3
    assert admin_refunds(client, admin, "FAILED") == []
    money_audit(client, db)


def test_a_refund_that_fails_every_time_stays_failed_for_an_admin_to_retry(
    client: httpx.Client,
    show: dict[str, Any],
    seats: list[str],
    live_server: Any,
    db: Any,
    clock: Any,
    admin: dict[str, str],
) -> None:
    limit = live_server.settings.refund_max_attempts
    failed_before = failed_metric(client)
    client.patch(f"{SANDBOX}/config", json={"refund_status": "pending"})
    email = "refund-forever@example.com"
    customer, booking_id = cancelled_paid_booking(client, show, seats[0], email)

    for number in range(1, limit + 1):
        fail_at_provider(client, issued_attempt(db, number))
        assert eventually(lambda: refund_row(db).status == "FAILED")
        clock.advance(retry_delay(number))
        run_worker_pass(live_server)

    # After the last attempt: FAILED for good, however long the worker keeps running.
    row = refund_row(db)
    assert (row.status, row.attempts, row.next_attempt_at) == ("FAILED", limit, None)
    clock.advance(retry_delay(limit) * 24)
    run_worker_pass(live_server)
    assert refund_row(db).attempts == limit
    assert failed_metric(client) == failed_before + 1

    # Hours went by: sign in again.
    customer = login(client, email, "correct-horse-9")
    admin = login(client, "admin@example.com", ADMIN_PASSWORD)
    seen = booking(client, customer, booking_id)
    assert seen["status"] == "CANCELLED"
    assert seen["refunds"][0]["status"] == "FAILED" and seen["payment"]["status"] == "CAPTURED"
    (listed,) = admin_refunds(client, admin, "FAILED")
    assert listed["id"] == seen["refunds"][0]["id"] and listed["booking_id"] == booking_id
    assert listed["amount"] == seen["amount_total"] and listed["attempts"] == limit
    assert listed["last_error"] and listed["next_attempt_at"] is None
    money_audit(client, db)  # the money is still held, and shows as a FAILED refund

    # An admin retries it from the list: one more attempt, at once; the bank takes it this time.
    retry = client.post(f"/api/v1/admin/refunds/{listed['id']}/retry", headers=admin)
    assert retry.status_code == 200, retry.text
    assert retry.json()["status"] == "PENDING" and retry.json()["attempts"] == limit + 1
    again = client.post(f"/api/v1/admin/refunds/{listed['id']}/retry", headers=admin)
    assert again.status_code == 409, again.text
    assert again.headers["content-type"].startswith("application/problem+json")
    client.post(f"{SANDBOX}/refunds/{issued_attempt(db, limit + 1)}/process", json={})
    assert eventually(lambda: refund_processed(client, customer, booking_id))
    done = client.post(f"/api/v1/admin/refunds/{listed['id']}/retry", headers=admin)
    assert done.status_code == 409
    at_provider = refunds_at_provider(client, db)
    assert [r["status"] for r in at_provider].count("processed") == 1
    assert all(r["status"] in ("failed", "processed") for r in at_provider)
    money_audit(client, db)


def test_a_refund_the_provider_made_but_whose_answer_was_lost_is_adopted_not_repeated(
    client: httpx.Client,
    show: dict[str, Any],
    seats: list[str],
    live_server: Any,
    db: Any,
    clock: Any,
) -> None:
    customer = register(client)
    pending = hold(client, customer, show["id"], [seats[0]]).json()
    pay(client, customer, pending["id"])
    # The refund call is applied, but its answer (and every retry's, and the refund list's) is
    # lost, and no webhook tells: the first attempt ends with an unknown outcome.
    client.patch(
        f"{SANDBOX}/config",
        json={
            "fail_next_requests": 6,
            "fail_after_applying": True,
            "fail_matching": db.query("SELECT payment_id FROM payments")[0][0],
            "auto_deliver_webhooks": False,
        },
    )
    cancelled = client.post(f"/api/v1/bookings/{pending['id']}/cancel", headers=customer)
    assert cancelled.status_code == 200, cancelled.text
    assert eventually(
        lambda: db.query("SELECT status FROM refund_attempts WHERE number = 1") == [("UNKNOWN",)]
    )
    client.patch(f"{SANDBOX}/config", json={"fail_next_requests": 0})
    unknown = booking(client, customer, pending["id"])["refunds"][0]
    assert unknown["status"] == "PENDING" and unknown["last_error"]
    assert len(refunds_at_provider(client, db)) == 1  # the provider did make it

    clock.advance(retry_delay(1))
    run_worker_pass(live_server)

    refunded = booking(client, customer, pending["id"])
    assert refunded["refunds"][0]["status"] == "PROCESSED"
    assert refunded["payment"]["status"] == "REFUNDED"
    assert len(refunds_at_provider(client, db)) == 1  # found and adopted, not asked for again
    attempts = db.query("SELECT number, status FROM refund_attempts ORDER BY number")
    assert [tuple(a) for a in attempts] == [(1, "UNKNOWN"), (2, "PROCESSED")]
    money_audit(client, db)


def test_only_admins_see_and_retry_refunds(
    client: httpx.Client, customer: dict[str, str], admin: dict[str, str]
) -> None:
    assert client.get("/api/v1/admin/refunds").status_code == 401
    assert client.get("/api/v1/admin/refunds", headers=customer).status_code == 403
    missing = "00000000-0000-4000-8000-000000000000"
    assert (
        client.post(f"/api/v1/admin/refunds/{missing}/retry", headers=customer).status_code == 403
    )
    assert client.post(f"/api/v1/admin/refunds/{missing}/retry", headers=admin).status_code == 404
    bad = client.get("/api/v1/admin/refunds", params={"status": "LOST"}, headers=admin)
    assert bad.status_code == 422
