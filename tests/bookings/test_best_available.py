"""Best available through the API (SPEC "Choosing seats: best available"): `POST /bookings` with
`quantity` picks and holds N seats, side by side, stranding no single seat, nearest the sweet
spot; on both engines."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from tests.api import (
    DEFAULT_ROWS,
    Headers,
    create_movie,
    create_show,
    create_theatre,
    future,
    guest,
    problem,
    ready_show,
    set_theatre_prices,
)
from tests.conftest import LiveServer


def hall(rows: str, seats: int, **row: Any) -> list[dict[str, Any]]:
    return [{"label": label, "seat_type": "GOLD", "seats": seats, **row} for label in rows]


def show_on(
    client: httpx.Client,
    admin: Headers,
    rows: list[dict[str, Any]],
    sweet_spot: dict[str, Any] | None = None,
) -> dict[str, Any]:
    theatre = create_theatre(client, admin)
    set_theatre_prices(client, admin, theatre["id"])
    body: dict[str, Any] = {"name": "Audi 1", "rows": rows}
    if sweet_spot is not None:
        body["sweet_spot"] = sweet_spot
    screen = client.post(f"/api/v1/theatres/{theatre['id']}/screens", json=body, headers=admin)
    assert screen.status_code == 201, screen.text
    movie = create_movie(client, admin)
    return create_show(
        client, admin, movie["id"], screen.json()["id"], future(datetime.now().astimezone())
    )


def best(client: httpx.Client, who: Headers, show: dict[str, Any], **body: Any) -> httpx.Response:
    return client.post("/api/v1/bookings", json={"show_id": show["id"], **body}, headers=who)


def held(response: httpx.Response) -> list[str]:
    assert response.status_code == 201, response.text
    return [seat["label"] for seat in response.json()["seats"]]


def labels_to_ids(client: httpx.Client, show: dict[str, Any]) -> dict[str, str]:
    seats = client.get(f"/api/v1/shows/{show['id']}/seats").json()["seats"]
    return {seat["label"]: seat["id"] for seat in seats}


def test_side_by_side_nearest_the_default_sweet_spot(
    client: httpx.Client, admin: Headers, customer: Headers
) -> None:
    # Rows A-F (y 0-5): two thirds back is row D; the middle of D is between D5 and D6.
    show = show_on(client, admin, hall("ABCDEF", 10))
    first = best(client, customer, show, quantity=2)
    assert held(first) == ["D5", "D6"] and first.json()["adjacent"] is True
    body = first.json()
    assert body["status"] == "PENDING" and body["amount_total"] == 2 * 35000
    assert body["customer"]["kind"] == "user" and body["expires_at"]
    # Next nearest: one row off, middle (C or E); of two as near, the one further back.
    assert held(best(client, customer, show, quantity=2)) == ["E5", "E6"]
    # A booking read back has the usual shape (`adjacent` belongs to the hold's answer).
    read = client.get(f"/api/v1/bookings/{body['id']}", headers=customer).json()
    assert read["seats"] == body["seats"] and "adjacent" not in read


def test_no_single_seat_is_stranded_when_another_choice_avoids_it(
    client: httpx.Client, admin: Headers, customer: Headers
) -> None:
    show = show_on(client, admin, hall("A", 9))  # one row: the sweet spot is A5
    ids = labels_to_ids(client, show)
    other, _ = guest(client)
    assert held(best(client, other, show, seat_ids=[ids["A2"]]))
    # A4-A6 is centred on A5 but would leave A3 alone next to the taken A2.
    assert held(best(client, customer, show, quantity=3)) == ["A3", "A4", "A5"]


def test_the_screen_sweet_spot_is_kept_and_aimed_at(
    client: httpx.Client, admin: Headers, customer: Headers
) -> None:
    show = show_on(client, admin, hall("ABCD", 8), sweet_spot={"row": "B", "number": 5})
    screen = client.get(f"/api/v1/screens/{show['screen_id']}").json()
    assert screen["sweet_spot"] == {"row": "B", "number": 5}
    assert held(best(client, customer, show, quantity=2)) == ["B4", "B5"]  # left of two as near


def test_screens_without_a_sweet_spot_say_null(client: httpx.Client, admin: Headers) -> None:
    theatre = create_theatre(client, admin)
    response = client.post(
        f"/api/v1/theatres/{theatre['id']}/screens",
        json={"name": "Audi 1", "rows": DEFAULT_ROWS},
        headers=admin,
    )
    assert response.status_code == 201 and response.json()["sweet_spot"] is None


@pytest.mark.parametrize(
    "sweet_spot",
    [
        {"row": "Z", "number": 1},  # no such row
        {"row": "A", "number": 5},  # row A has 4 seats
        {"row": "A", "number": 0},
        {"row": "A", "number": "2"},
        {"row": "a", "number": 2},
        {"row": "A"},
        {"row": "A", "number": 2, "x": 1},
    ],
)
def test_a_sweet_spot_must_name_a_seat_of_the_layout(
    client: httpx.Client, admin: Headers, sweet_spot: dict[str, Any]
) -> None:
    theatre = create_theatre(client, admin)
    response = client.post(
        f"/api/v1/theatres/{theatre['id']}/screens",
        json={"name": "Audi 1", "rows": DEFAULT_ROWS, "sweet_spot": sweet_spot},
        headers=admin,
    )
    problem(response, 422)


def test_seat_type_and_max_price_filter_the_choice(
    client: httpx.Client, admin: Headers, customer: Headers
) -> None:
    # A: VIP 4 (aisle after 2), B: GOLD 6 (aisle after 3), C: SILVER 6; the sweet spot is
    # in row B, on its aisle (x 3).
    show = ready_show(client, admin)
    vip = best(client, customer, show, quantity=2, seat_type="VIP")
    assert held(vip) == ["A3", "A4"] and {s["seat_type"] for s in vip.json()["seats"]} == {"VIP"}
    cheap = best(client, customer, show, quantity=2, max_price=20000)
    assert held(cheap) == ["C3", "C4"] and all(s["price"] <= 20000 for s in cheap.json()["seats"])
    both = best(client, guest(client)[0], show, quantity=1, seat_type="GOLD", max_price=20000)
    assert problem(both, 409)["available"] == 0


def test_without_n_side_by_side_it_spreads_over_as_few_rows_as_possible(
    client: httpx.Client, admin: Headers, customer: Headers
) -> None:
    show = ready_show(client, admin)  # VIP: A1 A2 | A3 A4, no three together
    response = best(client, customer, show, quantity=3, seat_type="VIP")
    assert response.json()["adjacent"] is False
    assert held(response) == ["A2", "A3", "A4"]  # the nearest three, all in row A


def test_not_enough_matching_seats_is_409_with_how_many_there_are(
    client: httpx.Client, admin: Headers, customer: Headers, db: Any
) -> None:
    show = ready_show(client, admin)
    assert held(best(client, customer, show, quantity=1, seat_type="VIP"))
    refused = problem(best(client, customer, show, quantity=4, seat_type="VIP"), 409)
    assert refused["type"].endswith("/not-enough-seats") and refused["available"] == 3
    assert (
        problem(best(client, customer, show, quantity=7, seat_type="SILVER"), 409)["available"] == 6
    )
    # Nothing was held by the refusals.
    assert len(db.query("SELECT id FROM bookings")) == 1


def test_a_run_out_hold_frees_its_seats_for_best_available(
    client: httpx.Client, admin: Headers, customer: Headers, live_server: LiveServer
) -> None:
    show = show_on(client, admin, hall("A", 4))
    assert held(best(client, customer, show, quantity=4)) == ["A1", "A2", "A3", "A4"]
    assert problem(best(client, guest(client)[0], show, quantity=2), 409)["available"] == 0
    live_server.clock.offset = timedelta(seconds=live_server.settings.hold_ttl_seconds + 1)
    # A2-A3 is centred but would strand A1 and A4: A1-A2 and A3-A4 are as near; the left one.
    assert held(best(client, guest(client)[0], show, quantity=2)) == ["A1", "A2"]


@pytest.mark.parametrize(
    "body",
    [
        {"quantity": 2, "seat_ids": []},
        {},
        {"quantity": 0},
        {"quantity": "2"},
        {"quantity": 2.0},
        {"quantity": 11},  # MAX_SEATS_PER_BOOKING is 10
        {"quantity": 2, "max_price": -1},
        {"quantity": 2, "colour": "red"},
        {"seat_type": "VIP"},
        {"quantity": None, "seat_type": "VIP"},
    ],
)
def test_malformed_requests_are_422(
    client: httpx.Client, admin: Headers, customer: Headers, body: dict[str, Any]
) -> None:
    show = ready_show(client, admin)
    problem(best(client, customer, show, **body), 422)


def test_both_forms_at_once_or_filters_with_seat_ids_are_422(
    client: httpx.Client, admin: Headers, customer: Headers, seats: list[str], show: Any
) -> None:
    problem(best(client, customer, show, quantity=1, seat_ids=seats[:1]), 422)
    problem(best(client, customer, show, seat_ids=seats[:1], seat_type="VIP"), 422)
    problem(best(client, customer, show, seat_ids=seats[:1], max_price=100000), 422)
    too_many = problem(best(client, customer, show, quantity=11), 422)
    assert too_many["max_seats_per_booking"] == 10


def test_unknown_cancelled_and_started_shows(
    client: httpx.Client, admin: Headers, customer: Headers, show: Any, live_server: LiveServer
) -> None:
    problem(best(client, customer, {"id": str(uuid.uuid4())}, quantity=1), 404)
    live_server.clock.offset = timedelta(days=3)
    later, _ = guest(client)
    assert problem(best(client, later, show, quantity=1), 409)["type"].endswith("/show-not-on-sale")
    live_server.clock.offset = timedelta(0)
    assert client.post(f"/api/v1/shows/{show['id']}/cancel", headers=admin).status_code == 200
    assert problem(best(client, customer, show, quantity=1), 409)["type"].endswith(
        "/show-not-on-sale"
    )


def test_hold_rules_apply_guests_and_the_per_show_cap(
    client: httpx.Client, admin: Headers, show: Any
) -> None:
    who, _ = guest(client)
    for _ in range(3):  # MAX_PENDING_BOOKINGS_PER_CUSTOMER
        response = best(client, who, show, quantity=1)
        assert response.status_code == 201 and response.json()["customer"]["kind"] == "guest"
    assert problem(best(client, who, show, quantity=1), 409)["type"].endswith("/too-many-holds")
    problem(client.post("/api/v1/bookings", json={"show_id": show["id"], "quantity": 1}), 401)


def test_an_idempotency_key_holds_once_and_replays_the_answer(
    client: httpx.Client, admin: Headers, customer: Headers, show: Any, db: Any
) -> None:
    keyed = {**customer, "Idempotency-Key": f"best-{uuid.uuid4()}"}
    first = best(client, keyed, show, quantity=2)
    again = best(client, keyed, show, quantity=2)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and first.json()["adjacent"] is True
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len(db.query("SELECT id FROM bookings")) == 1
    problem(best(client, keyed, show, quantity=3), 422)  # the same key, another request
