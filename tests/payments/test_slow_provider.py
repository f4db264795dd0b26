"""No provider call while a booking's row is locked or a transaction is open (issue 16, item 2).

The sandbox holds the booking's order create at a gate until the test opens it: while one
request waits for its order, other requests on the same booking and the same show go on, and a
second request for the same booking waits for that order instead of creating another.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from tests.api import register
from tests.bookings.test_holds import hold
from tests.payments.checkout import (
    SANDBOX,
    calls_held,
    checkout,
    close_gate,
    eventually,
    open_gate,
    sandbox_auth,
    start_payment,
    verify,
)
from tests.support.http import loopback_client


@pytest.fixture(autouse=True)
def sandbox_defaults(client: httpx.Client) -> Iterator[None]:
    yield
    client.delete(f"{SANDBOX}/config")  # opens any gate left closed too


def reservations(db: Any, booking_id: str) -> int:
    rows = db.query(
        "SELECT count(*) FROM order_reservations WHERE booking_id = :b", b=db.id(booking_id)
    )
    return int(rows[0][0])


def orders_for(client: httpx.Client, booking_id: str) -> list[dict[str, Any]]:
    listed = client.get(f"{SANDBOX}/v1/orders", params={"receipt": booking_id}, auth=sandbox_auth())
    assert listed.status_code == 200, listed.text
    return list(listed.json()["items"])


def test_a_slow_provider_blocks_neither_the_booking_nor_the_show(
    client: httpx.Client, show: dict[str, Any], seats: list[str], db: Any, live_server: Any
) -> None:
    customer = register(client)
    pending = hold(client, customer, show["id"], seats[:2]).json()
    neighbour = register(client)
    earlier = hold(client, neighbour, show["id"], [seats[2]]).json()
    gate = close_gate(client, pending["id"])  # the order's create carries the booking's id

    def order() -> httpx.Response:
        with loopback_client(base_url=live_server.url, timeout=30) as own:
            return start_payment(own, customer, pending["id"])

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(order)
        # The order is reserved, and the provider holds its create, unanswered.
        assert eventually(lambda: calls_held(client, gate) == 1)
        assert reservations(db, pending["id"]) == 1
        second = pool.submit(order)

        # Meanwhile, on the same show and the same booking, everything else goes on.
        other = hold(client, register(client), show["id"], [seats[3]])
        assert other.status_code == 201, other.text
        read = client.get(f"/api/v1/bookings/{pending['id']}", headers=customer)
        assert read.status_code == 200 and read.json()["status"] == "PENDING"
        released = client.post(f"/api/v1/bookings/{earlier['id']}/cancel", headers=neighbour)
        assert released.status_code == 200, released.text
        seat_map = client.get(f"/api/v1/shows/{show['id']}/seats")
        assert seat_map.status_code == 200
        # ... and all of it while the provider still holds the order's create: the second
        # request waits for the first one's order, it asks the provider for nothing.
        assert calls_held(client, gate) == 1
        assert reservations(db, pending["id"]) == 1
        assert not first.done()

        open_gate(client, gate)
        answers = [first.result(), second.result()]

    assert sorted(a.status_code for a in answers) == [200, 201], [a.text for a in answers]
    assert answers[0].json()["order_id"] == answers[1].json()["order_id"]
    assert [o["id"] for o in orders_for(client, pending["id"])] == [answers[0].json()["order_id"]]
    assert reservations(db, pending["id"]) == 0
    paid = verify(client, customer, checkout(client, answers[0].json()["order_id"]))
    assert paid.status_code == 200 and paid.json()["status"] == "BOOKED"


def test_an_order_reserved_by_a_request_that_died_is_taken_over_and_found(
    client: httpx.Client, show: dict[str, Any], seats: list[str], db: Any
) -> None:
    customer = register(client)
    pending = hold(client, customer, show["id"], seats[:1]).json()
    # A request reserved the order, created it at the provider, and died before recording it.
    made = client.post(
        f"{SANDBOX}/v1/orders",
        json={"amount": pending["amount_total"], "currency": "INR", "receipt": pending["id"]},
        auth=sandbox_auth(),
    )
    assert made.status_code == 200, made.text
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    db.execute(
        "INSERT INTO order_reservations (booking_id, token, reserved_until, created_at) "
        "VALUES (:b, :t, :u, :c)",
        b=db.id(pending["id"]),
        t=uuid.uuid4().hex if db.is_sqlite else uuid.uuid4(),
        u=long_ago.replace(tzinfo=None) if db.is_sqlite else long_ago,
        c=long_ago.replace(tzinfo=None) if db.is_sqlite else long_ago,
    )

    taken_over = start_payment(client, customer, pending["id"])

    assert taken_over.status_code == 201, taken_over.text
    assert taken_over.json()["order_id"] == made.json()["id"]  # found by receipt, not made again
    assert len(orders_for(client, pending["id"])) == 1
    assert reservations(db, pending["id"]) == 0
    again = start_payment(client, customer, pending["id"])
    assert again.status_code == 200 and again.json()["order_id"] == made.json()["id"]


def test_an_order_whose_create_failed_is_looked_for_before_another_is_made(
    client: httpx.Client, show: dict[str, Any], seats: list[str], db: Any
) -> None:
    customer = register(client)
    pending = hold(client, customer, show["id"], seats[:1]).json()
    # The provider makes the order but the answer is lost.
    client.patch(
        f"{SANDBOX}/config",
        json={"fail_next_requests": 1, "fail_after_applying": True, "fail_matching": pending["id"]},
    )
    lost = start_payment(client, customer, pending["id"])
    assert lost.status_code == 502, lost.text
    assert len(orders_for(client, pending["id"])) == 1

    retried = start_payment(client, customer, pending["id"])
    assert retried.status_code == 201, retried.text
    assert [o["id"] for o in orders_for(client, pending["id"])] == [retried.json()["order_id"]]
