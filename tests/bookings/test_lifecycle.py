"""Reading, cancelling and expiring bookings (SPEC invariants 3, 4, 6)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
from tests.api import Headers, guest, login, problem, register
from tests.bookings.test_holds import hold, seat_statuses

from boxoffice import events
from boxoffice.bookings.events import BookingStatusChanged
from boxoffice.db.engine import create_engine, create_sessionmaker
from boxoffice.worker import sweep_expired_holds

TTL = timedelta(seconds=600)


def sweep(live_server: Any) -> int:
    async def run() -> int:
        engine = create_engine(live_server.settings)
        try:
            return await sweep_expired_holds(create_sessionmaker(engine), live_server.clock)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_owner_and_admin_read_a_booking_others_get_404(
    client: httpx.Client, show: dict[str, Any], seats: list[str], admin: Headers
) -> None:
    owner, other = register(client), register(client)
    booking = hold(client, owner, show["id"], [seats[0]]).json()
    url = f"/api/v1/bookings/{booking['id']}"

    assert client.get(url, headers=owner).json()["id"] == booking["id"]
    assert client.get(url, headers=admin).status_code == 200
    problem(client.get(url, headers=other), 404)
    problem(client.post(f"{url}/cancel", headers=other), 404)
    problem(client.get(url), 401)
    problem(client.get("/api/v1/bookings/00000000-0000-4000-8000-000000000000", headers=owner), 404)
    assert client.get(url, headers=owner).json()["status"] == "PENDING"


def test_cancel_frees_exactly_its_own_seats(
    client: httpx.Client, show: dict[str, Any], seats: list[str]
) -> None:
    first, second = register(client), register(client)
    mine = hold(client, first, show["id"], seats[0:2]).json()
    theirs = hold(client, second, show["id"], seats[2:4]).json()

    response = client.post(f"/api/v1/bookings/{mine['id']}/cancel", headers=first)

    assert response.status_code == 200, response.text
    cancelled = response.json()
    assert cancelled["status"] == "CANCELLED"
    assert [(h["from"], h["to"]) for h in cancelled["history"]] == [
        (None, "PENDING"),
        ("PENDING", "CANCELLED"),
    ]
    statuses = seat_statuses(client, show["id"])
    assert [statuses[s] for s in seats[0:4]] == ["AVAILABLE", "AVAILABLE", "HELD", "HELD"]
    assert (
        client.get(f"/api/v1/bookings/{theirs['id']}", headers=second).json()["status"] == "PENDING"
    )
    # A second cancel is an illegal transition and changes nothing.
    body = problem(client.post(f"/api/v1/bookings/{mine['id']}/cancel", headers=first), 409)
    assert body["type"].endswith("/illegal-transition")
    assert len(client.get(f"/api/v1/bookings/{mine['id']}", headers=first).json()["history"]) == 2


def test_an_expired_hold_blocks_nobody_before_any_sweep(
    client: httpx.Client, show: dict[str, Any], seats: list[str], clock: Any
) -> None:
    first, second = register(client), register(client)
    stale = hold(client, first, show["id"], seats[0:2]).json()

    clock.advance(TTL + timedelta(seconds=1))

    assert (
        client.get(f"/api/v1/bookings/{stale['id']}", headers=first).json()["status"] == "EXPIRED"
    )
    statuses = seat_statuses(client, show["id"])
    assert [statuses[s] for s in seats[0:2]] == ["AVAILABLE", "AVAILABLE"]
    fresh = hold(client, second, show["id"], seats[1:3])
    assert fresh.status_code == 201, fresh.text
    # The old booking cannot be cancelled any more: it has expired.
    problem(client.post(f"/api/v1/bookings/{stale['id']}/cancel", headers=first), 409)
    assert (
        client.get(f"/api/v1/bookings/{stale['id']}", headers=first).json()["status"] == "EXPIRED"
    )


def test_sweeper_expires_holds_without_freeing_seats_others_hold_now(
    client: httpx.Client,
    show: dict[str, Any],
    seats: list[str],
    clock: Any,
    live_server: Any,
    db: Any,
) -> None:
    first, second = register(client), register(client)
    stale = hold(client, first, show["id"], seats[0:2]).json()
    clock.advance(TTL + timedelta(seconds=1))
    retaken = hold(client, second, show["id"], [seats[1]]).json()

    assert sweep(live_server) == 1
    assert sweep(live_server) == 0  # nothing left to do: idempotent

    booking = client.get(f"/api/v1/bookings/{stale['id']}", headers=first).json()
    assert booking["status"] == "EXPIRED"
    assert booking["history"][-1]["from"] == "PENDING" and booking["history"][-1]["to"] == "EXPIRED"
    statuses = seat_statuses(client, show["id"])
    assert statuses[seats[0]] == "AVAILABLE"
    assert statuses[seats[1]] == "HELD"  # the second customer's hold survived the sweep
    owner = db.query("SELECT booking_id FROM show_seats WHERE seat_id = :s", s=db.id(seats[1]))
    assert uuid.UUID(str(owner[0][0])) == uuid.UUID(retaken["id"])


def test_my_bookings_are_newest_first_and_paginated(
    client: httpx.Client, show: dict[str, Any], seats: list[str], clock: Any
) -> None:
    customer = register(client)
    ids = []
    for seat in seats[:3]:
        ids.append(hold(client, customer, show["id"], [seat]).json()["id"])
        clock.advance(timedelta(seconds=1))
    listed = client.get("/api/v1/me/bookings", headers=customer).json()["items"]
    assert [b["id"] for b in listed] == ids[::-1]
    page = client.get("/api/v1/me/bookings?limit=1&offset=1", headers=customer).json()["items"]
    assert [b["id"] for b in page] == [ids[1]]
    problem(client.get("/api/v1/me/bookings?limit=1000", headers=customer), 422)


def test_admin_lists_a_shows_bookings(
    client: httpx.Client, show: dict[str, Any], seats: list[str], admin: Headers
) -> None:
    customer = register(client)
    booking = hold(client, customer, show["id"], [seats[0]]).json()
    url = f"/api/v1/admin/shows/{show['id']}/bookings"
    problem(client.get(url), 401)
    problem(client.get(url, headers=customer), 403)
    listed = client.get(url, headers=admin).json()["items"]
    assert [(b["id"], b["status"]) for b in listed] == [(booking["id"], "PENDING")]


def test_guest_holds_and_keeps_the_booking_after_registering_mid_checkout(
    client: httpx.Client, show: dict[str, Any], seats: list[str]
) -> None:
    guest_headers, guest_token = guest(client)
    booking = hold(client, guest_headers, show["id"], seats[0:2]).json()
    assert booking["customer"]["kind"] == "guest"

    response = client.post(
        "/api/v1/auth/register",
        json={
            "email": "late@example.com",
            "password": "correct-horse-9",
            "name": "Late",
            "guest_token": guest_token,
        },
    )
    assert response.status_code == 201, response.text
    user = {"Authorization": f"Bearer {response.json()['access_token']}"}

    mine = client.get("/api/v1/me/bookings", headers=user).json()["items"]
    assert [(b["id"], b["status"], b["customer"]["kind"]) for b in mine] == [
        (booking["id"], "PENDING", "user")
    ]
    problem(client.get(f"/api/v1/bookings/{booking['id']}", headers=guest_headers), 401)
    # Linking again (log in with the spent guest token) is idempotent for the same account.
    assert login(client, "late@example.com", "correct-horse-9", guest_token=guest_token)
    cancelled = client.post(f"/api/v1/bookings/{booking['id']}/cancel", headers=user)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "CANCELLED"


def test_guest_cannot_be_linked_to_two_accounts(
    client: httpx.Client, show: dict[str, Any], seats: list[str]
) -> None:
    guest_headers, guest_token = guest(client)
    booking = hold(client, guest_headers, show["id"], [seats[0]]).json()
    register(client, email="one@example.com", guest_token=guest_token)
    register(client, email="two@example.com")
    response = client.post(
        "/api/v1/auth/login",
        json={
            "email": "two@example.com",
            "password": "correct-horse-9",
            "guest_token": guest_token,
        },
    )
    problem(response, 409)
    one = login(client, "one@example.com", "correct-horse-9")
    assert [b["id"] for b in client.get("/api/v1/me/bookings", headers=one).json()["items"]] == [
        booking["id"]
    ]


def test_a_reaction_to_a_holds_cancellation_runs_in_the_cancels_transaction(
    client: httpx.Client, show: dict[str, Any], seats: list[str], monkeypatch: Any
) -> None:
    """Nothing reacts to a hold given up today, so PostgreSQL cancels it in one statement
    without a transaction (tests/bench/test_hold_statements.py). Once a domain subscribes to
    that change, the cancel runs in a unit of work again and the reaction joins it."""
    seen: list[tuple[str, bool]] = []

    async def react(session: Any, event: BookingStatusChanged) -> None:
        seen.append((str(event.booking.id), session.in_transaction()))

    subscribed = [*events._handlers[BookingStatusChanged], (react, None)]
    monkeypatch.setitem(events._handlers, BookingStatusChanged, subscribed)
    who = register(client)
    held = hold(client, who, show["id"], seats[:1]).json()

    cancelled = client.post(f"/api/v1/bookings/{held['id']}/cancel", headers=who)

    assert cancelled.status_code == 200, cancelled.text
    assert seen == [(held["id"], True)]
