"""`Idempotency-Key` on POST /bookings: one execution per key, replayed answers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from tests.api import problem, register
from tests.bookings.test_holds import hold
from tests.payments.checkout import start_payment
from tests.support.http import loopback_client


def test_same_key_same_body_replays_the_first_response(
    client: httpx.Client, show: dict[str, Any], seats: list[str]
) -> None:
    customer = register(client)
    first = hold(client, customer, show["id"], seats[:2], **{"Idempotency-Key": "k-1"})
    again = hold(client, customer, show["id"], seats[:2], **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len(client.get("/api/v1/me/bookings", headers=customer).json()["items"]) == 1


def test_same_key_other_body_is_refused(
    client: httpx.Client, show: dict[str, Any], seats: list[str]
) -> None:
    customer = register(client)
    assert (
        hold(client, customer, show["id"], [seats[0]], **{"Idempotency-Key": "k-2"}).status_code
        == 201
    )
    body = problem(
        hold(client, customer, show["id"], [seats[1]], **{"Idempotency-Key": "k-2"}), 422
    )
    assert body["type"].endswith("/idempotency-key-reused")
    assert len(client.get("/api/v1/me/bookings", headers=customer).json()["items"]) == 1


def test_keys_are_scoped_per_customer(
    client: httpx.Client, show: dict[str, Any], seats: list[str]
) -> None:
    first, second = register(client), register(client)
    a = hold(client, first, show["id"], [seats[0]], **{"Idempotency-Key": "same"})
    b = hold(client, second, show["id"], [seats[1]], **{"Idempotency-Key": "same"})
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]


def test_a_refused_request_is_not_remembered(
    client: httpx.Client, show: dict[str, Any], seats: list[str]
) -> None:
    first, second = register(client), register(client)
    taken = hold(client, first, show["id"], [seats[0]]).json()
    problem(hold(client, second, show["id"], [seats[0]], **{"Idempotency-Key": "retry"}), 409)
    client.post(f"/api/v1/bookings/{taken['id']}/cancel", headers=first)
    retried = hold(client, second, show["id"], [seats[0]], **{"Idempotency-Key": "retry"})
    assert retried.status_code == 201, retried.text


def test_concurrent_duplicates_execute_once(
    live_server: Any, client: httpx.Client, show: dict[str, Any], seats: list[str]
) -> None:
    customer = register(client)

    def send(_: int) -> httpx.Response:
        with loopback_client(base_url=live_server.url, timeout=30) as own:
            return hold(own, customer, show["id"], seats[:2], **{"Idempotency-Key": "burst"})

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(send, range(8)))

    ok = [r for r in responses if r.status_code == 201]
    assert ok, [r.text for r in responses]
    assert {r.json()["id"] for r in ok} == {ok[0].json()["id"]}
    assert all(r.status_code in (201, 409) for r in responses)
    assert len(client.get("/api/v1/me/bookings", headers=customer).json()["items"]) == 1


def test_a_payment_order_request_replays_by_key_and_never_makes_a_second_order(
    client: httpx.Client, show: dict[str, Any], seats: list[str], db: Any
) -> None:
    customer = register(client)
    first_booking = hold(client, customer, show["id"], [seats[0]]).json()["id"]
    second_booking = hold(client, customer, show["id"], [seats[1]]).json()["id"]
    key = {"Idempotency-Key": "pay-1"}

    first = start_payment(client, customer, first_booking, **key)
    again = start_payment(client, customer, first_booking, **key)

    assert first.status_code == again.status_code == 201  # the replay is the first answer
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    # The same key for another booking is another request: refused, nothing created.
    reused = problem(start_payment(client, customer, second_booking, **key), 422)
    assert reused["type"].endswith("/idempotency-key-reused")
    assert db.query("SELECT count(*) FROM payments")[0][0] == 1


def test_a_payment_orders_key_replays_its_answer_and_refuses_another_booking(
    client: httpx.Client, show: dict[str, Any], seats: list[str]
) -> None:
    """The order's key is looked up and stored around the call to the provider, each in a
    transaction of its own (`respond_once` with a sessionmaker)."""
    customer = register(client)
    first = hold(client, customer, show["id"], seats[:1]).json()["id"]
    second = hold(client, customer, show["id"], seats[1:2]).json()["id"]
    key = {"Idempotency-Key": "order-1"}
    ordered = start_payment(client, customer, first, **key)
    again = start_payment(client, customer, first, **key)
    assert ordered.status_code == again.status_code == 201, (ordered.text, again.text)
    assert again.json() == ordered.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in ordered.headers
    other = problem(start_payment(client, customer, second, **key), 422)
    assert other["type"].endswith("/idempotency-key-reused")
