"""Holding seats: all or nothing, prices frozen, refusals that say why (SPEC invariants 1, 2)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from tests.api import Headers, problem, register
from tests.conftest import TestDatabase


def hold(
    client: httpx.Client, who: Headers, show_id: str, seat_ids: list[str], **headers: str
) -> httpx.Response:
    return client.post(
        "/api/v1/bookings",
        json={"show_id": show_id, "seat_ids": seat_ids},
        headers={**who, **headers},
    )


def seat_statuses(client: httpx.Client, show_id: str) -> dict[str, str]:
    response = client.get(f"/api/v1/shows/{show_id}/seats")
    assert response.status_code == 200
    return {seat["id"]: seat["status"] for seat in response.json()["seats"]}


def test_hold_returns_a_pending_booking_with_frozen_prices(
    client: httpx.Client, show: dict[str, Any], seats: list[str], admin: Headers, clock: Any
) -> None:
    customer = register(client)
    seat_map = {s["id"]: s for s in client.get(f"/api/v1/shows/{show['id']}/seats").json()["seats"]}
    chosen = [seats[0], seats[5]]  # a VIP and a GOLD seat

    before = clock.now()
    response = hold(client, customer, show["id"], chosen)
    after = clock.now()

    assert response.status_code == 201, response.text
    booking = response.json()
    assert booking["status"] == "PENDING"
    assert booking["show_id"] == show["id"]
    assert {s["seat_id"] for s in booking["seats"]} == set(chosen)
    for seat in booking["seats"]:
        assert seat["price"] == seat_map[seat["seat_id"]]["price"]
        assert seat["label"] == seat_map[seat["seat_id"]]["label"]
        assert seat["seat_type"] == seat_map[seat["seat_id"]]["seat_type"]
    assert booking["amount_total"] == sum(s["price"] for s in booking["seats"])
    assert booking["currency"] == "INR"
    assert booking["customer"]["kind"] == "user"
    expires_at = datetime.fromisoformat(booking["expires_at"])
    assert expires_at.utcoffset() is not None
    assert [(h["from"], h["to"]) for h in booking["history"]] == [(None, "PENDING")]
    held_at = datetime.fromisoformat(booking["history"][0]["at"])
    assert before <= held_at <= after  # the server's clock, read while it answered
    assert expires_at - held_at == timedelta(seconds=600)  # HOLD_TTL_SECONDS from then

    statuses = seat_statuses(client, show["id"])
    assert {statuses[s] for s in chosen} == {"HELD"}
    assert sum(1 for s in statuses.values() if s == "AVAILABLE") == len(seats) - 2


def test_price_change_after_hold_does_not_change_the_booking(
    client: httpx.Client, show: dict[str, Any], seats: list[str], admin: Headers
) -> None:
    customer = register(client)
    booking = hold(client, customer, show["id"], [seats[0]]).json()
    theatre_id = show["theatre_id"]
    rules = [
        {"seat_type": t, "day_type": d, "amount": 99900}
        for t in ("VIP", "GOLD", "SILVER")
        for d in ("WEEKDAY", "WEEKEND")
    ]
    assert (
        client.put(f"/api/v1/theatres/{theatre_id}/prices", json=rules, headers=admin).status_code
        == 200
    )

    again = client.get(f"/api/v1/bookings/{booking['id']}", headers=customer).json()
    assert again["amount_total"] == booking["amount_total"] != 99900
    assert again["seats"][0]["price"] == booking["seats"][0]["price"]


def test_overlapping_hold_is_refused_whole_and_names_the_taken_seats(
    client: httpx.Client, show: dict[str, Any], seats: list[str]
) -> None:
    first, second = register(client), register(client)
    assert hold(client, first, show["id"], seats[0:3]).status_code == 201

    response = hold(client, second, show["id"], seats[2:6])

    body = problem(response, 409)
    assert body["type"].endswith("/seats-unavailable")
    assert body["unavailable_seat_ids"] == [seats[2]]
    statuses = seat_statuses(client, show["id"])
    assert [statuses[s] for s in seats[3:6]] == ["AVAILABLE"] * 3  # nothing partially held
    assert client.get("/api/v1/me/bookings", headers=second).json()["items"] == []


def test_bad_seat_lists_are_refused(
    client: httpx.Client, show: dict[str, Any], seats: list[str]
) -> None:
    customer = register(client)
    problem(hold(client, customer, show["id"], []), 422)
    problem(hold(client, customer, show["id"], [seats[0], seats[0]]), 422)
    problem(hold(client, customer, show["id"], seats[:11]), 422)  # MAX_SEATS_PER_BOOKING = 10
    foreign = "00000000-0000-4000-8000-000000000000"
    body = problem(hold(client, customer, show["id"], [seats[0], foreign]), 422)
    assert body["unknown_seat_ids"] == [foreign]
    problem(hold(client, customer, show["id"], ["not-a-uuid"]), 422)
    problem(client.post("/api/v1/bookings", json={"seat_ids": [seats[0]]}, headers=customer), 422)
    problem(
        client.post(
            "/api/v1/bookings",
            content=b"{",
            headers={**customer, "content-type": "application/json"},
        ),
        422,
    )
    problem(hold(client, customer, "00000000-0000-4000-8000-000000000001", [seats[0]]), 404)
    assert set(seat_statuses(client, show["id"]).values()) == {"AVAILABLE"}


def test_hold_needs_a_token(client: httpx.Client, show: dict[str, Any], seats: list[str]) -> None:
    problem(hold(client, {}, show["id"], [seats[0]]), 401)
    problem(hold(client, {"Authorization": "Bearer nonsense"}, show["id"], [seats[0]]), 401)


def test_cancelled_or_started_show_is_not_on_sale(
    client: httpx.Client, show: dict[str, Any], seats: list[str], admin: Headers, clock: Any
) -> None:
    clock.advance(timedelta(days=3))
    customer = register(client)
    body = problem(hold(client, customer, show["id"], [seats[0]]), 409)
    assert body["type"].endswith("/show-not-on-sale")
    clock.offset = timedelta(0)
    customer = register(client)
    assert client.post(f"/api/v1/shows/{show['id']}/cancel", headers=admin).status_code == 200
    problem(hold(client, customer, show["id"], [seats[0]]), 409)


def test_live_holds_per_customer_per_show_are_capped(
    client: httpx.Client, show: dict[str, Any], seats: list[str]
) -> None:
    customer = register(client)
    for seat in seats[:3]:  # MAX_PENDING_BOOKINGS_PER_CUSTOMER = 3
        assert hold(client, customer, show["id"], [seat]).status_code == 201
    body = problem(hold(client, customer, show["id"], [seats[3]]), 409)
    assert body["type"].endswith("/too-many-holds")
    # Someone else is not affected.
    assert hold(client, register(client), show["id"], [seats[3]]).status_code == 201


@pytest.mark.postgres_only  # row locks: SQLite serialises its writers instead
def test_a_seat_another_hold_is_claiming_refuses_the_hold_whole_at_once(
    client: httpx.Client, show: dict[str, Any], seats: list[str], db: TestDatabase
) -> None:
    """A claim in flight (here a transaction holding the seat's row lock, as a hold does until
    it commits) is skipped, not waited on: the hold is refused at once, all or nothing, and the
    seat is free to hold again once that claim is over (migration 0010)."""
    who = register(client)
    with db.sync_engine.connect() as claiming:
        claiming.execute(
            sa.text(
                "SELECT 1 FROM show_seats WHERE show_id = :show AND seat_id = :seat FOR UPDATE"
            ),
            {"show": db.id(show["id"]), "seat": db.id(seats[1])},
        )
        response = hold(client, who, show["id"], seats[0:2])  # would block here if it waited

        body = problem(response, 409)
        assert body["unavailable_seat_ids"] == [seats[1]]
        statuses = seat_statuses(client, show["id"])
        assert [statuses[s] for s in seats[0:2]] == ["AVAILABLE", "AVAILABLE"]
        claiming.rollback()
    assert hold(client, who, show["id"], seats[0:2]).status_code == 201
