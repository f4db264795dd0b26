"""The sale path's two front doors answer alike: the same requests, once to an app whose lane
(`SalePathLane`) takes what it can in front of the router, once to an app without the lane,
where the routes take everything, give the same statuses, problem types and bodies (ids and
instants aside): holds, best holds, cancels, idempotent replays, and every refusal."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from tests.api import (
    Headers,
    bearer,
    create_movie,
    create_screen,
    create_show,
    create_theatre,
    future,
    guest,
    make_admin,
    register,
    set_theatre_prices,
)
from tests.conftest import LiveServer, TestDatabase, running_app
from tests.payments.checkout import pay
from tests.support.http import loopback_client

from boxoffice.bookings.endpoints import SalePathLane

# Caps low enough for a 16-seat screen (4 VIP, 6 GOLD, 6 SILVER) to meet every one.
CAPS = {
    "rate_limit_enabled": True,
    "rate_limit_auth": "1000/minute",
    "rate_limit_holds": "3/minute",
    "max_pending_bookings_per_customer": 2,
    "max_held_seats_per_customer": 5,
    "max_held_seats_per_address_per_show": 6,
    "max_held_share_per_address": 1.0,  # the per-address cap above is the one met here
    "max_seats_per_booking": 4,
}
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_PROVIDER_ID = re.compile(r"\b(order|pay|rfnd)_\w+")  # Razorpay's (the sandbox's) ids
_INSTANT = re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d)")


class Door:
    """One front door's run: a client of its server, and each answer under the step's name."""

    def __init__(self, server: LiveServer, client: httpx.Client, admin: Headers) -> None:
        self.server, self.client, self.admin = server, client, admin
        self.answers: dict[str, tuple[Any, ...]] = {}
        self._ids: dict[str, str] = {}

    def hold(self, step: str, who: Headers, show_id: str, **body: Any) -> dict[str, Any]:
        response = self.client.post(
            "/api/v1/bookings", json={"show_id": show_id, **body}, headers=who
        )
        return self.record(step, response)

    def cancel(self, step: str, who: Headers, booking_id: str) -> dict[str, Any]:
        return self.record(
            step, self.client.post(f"/api/v1/bookings/{booking_id}/cancel", headers=who)
        )

    def record(self, step: str, response: httpx.Response) -> dict[str, Any]:
        body = response.json()
        self.answers[step] = (
            response.status_code,
            response.headers["content-type"],
            "retry-after" in response.headers,
            response.headers.get("idempotent-replayed"),
            self._anonymous(body),
        )
        return dict(body)

    def _anonymous(self, value: Any) -> Any:
        """Ids (and booking codes, made from them) as the order they first appeared in, the
        provider's and instants as a mark: what differs between two runs of the same requests."""
        if isinstance(value, dict):
            return {
                key: self._ids.setdefault(item, f"<code {len(self._ids)}>")
                if key == "code"
                else self._anonymous(item)
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self._anonymous(item) for item in value]
        if isinstance(value, str):
            value = _UUID.sub(lambda m: self._ids.setdefault(m[0], f"<id {len(self._ids)}>"), value)
            value = _PROVIDER_ID.sub(lambda m: self._ids.setdefault(m[0], f"<{m[1]}>"), value)
            return _INSTANT.sub("<instant>", value)
        return value


def _new_show(client: httpx.Client, admin: Headers) -> tuple[str, list[str]]:
    """A show two days ahead in a theatre of its own (named alike in both runs: a booking's
    answer names it), and its seat ids."""
    theatre = create_theatre(client, admin, name="Parity Palace")
    set_theatre_prices(client, admin, theatre["id"])
    screen = create_screen(client, admin, theatre["id"])
    movie = create_movie(client, admin)
    now = datetime.now().astimezone()
    show = create_show(client, admin, movie["id"], screen["id"], future(now))["id"]
    seats = client.get(f"/api/v1/shows/{show}/seats").json()["seats"]
    return show, [seat["id"] for seat in seats]


def _scenario(sale: Door) -> None:
    """Every answer of the sale path, each by a customer of its own where caps would mix."""
    client, admin = sale.client, sale.admin
    show, seats = _new_show(client, admin)
    first, second, third = register(client), register(client), register(client)

    held = sale.hold("hold", first, show, seat_ids=seats[4:6])
    best = sale.hold("best hold", second, show, quantity=2)
    sale.cancel("cancel a hold", first, held["id"])
    sale.cancel("cancel it again", first, held["id"])
    sale.cancel("cancel another's booking", first, best["id"])
    sale.cancel("cancel an unknown booking", first, str(uuid.uuid4()))
    sale.cancel("cancel without a token", {}, best["id"])
    sale.cancel("cancel with a bad token", bearer("not-a-token"), best["id"])

    taken = [seat["seat_id"] for seat in best["seats"]]
    free = [seat for seat in seats if seat not in taken]
    sale.hold("seats taken", third, show, seat_ids=taken[:1])
    sale.hold("seats taken, with a free one", third, show, seat_ids=[taken[1], free[0]])
    sale.hold("unknown seat", third, show, seat_ids=[str(uuid.uuid4())])
    sale.hold("rate limited", third, show, seat_ids=free[:1])
    fourth = register(client)
    sale.hold("seat twice", fourth, show, seat_ids=[free[0], free[0]])
    sale.hold("too many seats at once", fourth, show, seat_ids=free[:5])
    sale.hold("unknown show", fourth, str(uuid.uuid4()), seat_ids=free[:1])
    fifth = register(client)
    sale.hold("best: not enough", fifth, show, quantity=4, seat_type="VIP", max_price=1)
    sale.hold("best: unknown show", fifth, str(uuid.uuid4()), quantity=1)
    sale.hold("no token", {}, show, seat_ids=free[:1])
    sale.hold("bad body", fifth, show, seat_ids="all")

    sixth = register(client)
    sale.hold("hold, with a key", {**sixth, "Idempotency-Key": "k"}, show, seat_ids=free[1:2])
    sale.hold("replay", {**sixth, "Idempotency-Key": "k"}, show, seat_ids=free[1:2])
    sale.hold("key, other body", {**sixth, "Idempotency-Key": "k"}, show, seat_ids=free[2:3])
    seventh = register(client)
    sale.hold("hold one", seventh, show, seat_ids=free[3:4])
    sale.hold("hold two", seventh, show, seat_ids=free[4:5])
    sale.hold("too many holds", seventh, show, seat_ids=free[5:6])

    other_show, other = _new_show(client, admin)
    eighth = register(client)
    sale.hold("four seats", eighth, other_show, seat_ids=other[:4])
    sale.hold("too many seats, customer", eighth, show, seat_ids=free[6:8])
    ninth = register(client)
    sale.hold("too many seats, address", ninth, other_show, seat_ids=other[4:7])

    linked, token = guest(client)
    client.post(
        "/api/v1/auth/register",
        json={
            "email": f"{uuid.uuid4().hex[:8]}@x.in",
            "password": "pass-word-9",
            "name": "G",
            "guest_token": token,
        },
    )
    sale.hold("spent guest token", linked, show, seat_ids=free[8:9])

    paying = register(client)
    booked = pay(
        client, paying, sale.hold("hold to pay", paying, other_show, seat_ids=other[8:9])["id"]
    )
    sale.cancel("cancel a paid booking", paying, booked["id"])

    late = register(client)
    expiring = sale.hold("hold to let run out", late, other_show, seat_ids=other[9:10])
    sale.server.clock.offset = timedelta(minutes=11)
    try:
        sale.cancel("cancel a hold that ran out", late, expiring["id"])
    finally:
        sale.server.clock.offset = timedelta(0)

    cancelled_show, cancelled_seats = _new_show(client, admin)
    client.post(f"/api/v1/shows/{cancelled_show}/cancel", headers=admin)
    gone = register(client)
    sale.hold("cancelled show", gone, cancelled_show, seat_ids=cancelled_seats[:1])
    sale.hold("best: cancelled show", gone, cancelled_show, quantity=1)


@pytest.fixture
def doors(database: TestDatabase) -> Iterator[Callable[[bool], Door]]:
    with running_app(database.url, **CAPS) as with_lane:
        with running_app(database.url, sale_lane=False, **CAPS) as without:
            clients: list[httpx.Client] = []

            def door(lane: bool) -> Door:
                server = with_lane if lane else without
                client = loopback_client(base_url=server.url, timeout=30)
                clients.append(client)
                admin = make_admin(client, database, f"admin-{uuid.uuid4().hex[:6]}@example.com")
                return Door(server, client, admin)

            yield door
            for client in clients:
                client.close()


def test_the_lane_and_the_routes_give_the_same_answers(
    doors: Callable[[bool], Door],
) -> None:
    lane, routes = doors(True), doors(False)
    assert any(m.cls is SalePathLane for m in lane.server.app.user_middleware)
    assert not any(m.cls is SalePathLane for m in routes.server.app.user_middleware)
    _scenario(lane)
    _scenario(routes)
    assert list(lane.answers) == list(routes.answers)
    for step, answer in lane.answers.items():
        assert answer == routes.answers[step], step
    statuses = {step: answer[0] for step, answer in lane.answers.items()}
    assert statuses == EXPECTED, statuses


# What each step answers, so that two doors agreeing on something else would fail too.
EXPECTED = {
    "hold": 201,
    "best hold": 201,
    "cancel a hold": 200,
    "cancel it again": 409,
    "cancel another's booking": 404,
    "cancel an unknown booking": 404,
    "cancel without a token": 401,
    "cancel with a bad token": 401,
    "seats taken": 409,
    "seats taken, with a free one": 409,
    "unknown seat": 422,
    "rate limited": 429,
    "seat twice": 422,
    "too many seats at once": 422,
    "unknown show": 404,
    "best: not enough": 409,
    "best: unknown show": 404,
    "no token": 401,
    "bad body": 422,
    "hold, with a key": 201,
    "replay": 201,
    "key, other body": 422,
    "hold one": 201,
    "hold two": 201,
    "too many holds": 409,
    "four seats": 201,
    "too many seats, customer": 429,
    "too many seats, address": 429,
    "spent guest token": 401,
    "hold to pay": 201,
    "cancel a paid booking": 200,
    "hold to let run out": 201,
    "cancel a hold that ran out": 409,
    "cancelled show": 409,
    "best: cancelled show": 409,
}
