"""Accessible seats (SPEC "Back office"): wheelchair spaces and their companion seats, set in a
screen's layout, shown in the seat map, never handed out by best available unless asked
(`accessible: N`), each place with its companion when that is free; on both engines."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from tests.api import (
    Headers,
    create_movie,
    create_show,
    create_theatre,
    future,
    problem,
    set_theatre_prices,
)
from tests.api import register as new_customer
from tests.bookings.test_best_available import best, held, labels_to_ids, show_on
from tests.bookings.test_holds import hold

# Rows A-C of 6 GOLD seats; C1 and C6 are wheelchair spaces, C2 and C5 their companions.
# The default sweet spot is the middle of row B: C1 and C6 are as near, C1 (the left) first.
ACCESSIBLE_ROWS = [
    {"label": "A", "seat_type": "GOLD", "seats": 6},
    {"label": "B", "seat_type": "GOLD", "seats": 6},
    {"label": "C", "seat_type": "GOLD", "seats": 6, "wheelchair": [1, 6], "companions": [2, 5]},
]


def accessibility(seats: list[dict[str, Any]]) -> dict[str, str]:
    return {seat["label"]: seat["accessibility"] for seat in seats if seat["accessibility"]}


def test_the_layout_marks_wheelchair_spaces_and_companions_in_the_screen_and_the_seat_map(
    client: httpx.Client, admin: Headers
) -> None:
    show = show_on(client, admin, ACCESSIBLE_ROWS)
    marked = {"C1": "WHEELCHAIR", "C2": "COMPANION", "C5": "COMPANION", "C6": "WHEELCHAIR"}
    screen = client.get(f"/api/v1/screens/{show['screen_id']}").json()
    assert accessibility(screen["seats"]) == marked
    seat_map = client.get(f"/api/v1/shows/{show['id']}/seats").json()["seats"]
    assert accessibility(seat_map) == marked
    assert all("accessibility" in seat for seat in seat_map)  # null for the others
    # Independent of the seat type: C's seats are GOLD like the rest.
    assert {seat["seat_type"] for seat in seat_map if seat["row"] == "C"} == {"GOLD"}

    # A new layout (the screen has no bookings) sets them afresh.
    rows = [{"label": "A", "seat_type": "VIP", "seats": 4, "wheelchair": [4], "companions": [3]}]
    spare = client.post(
        f"/api/v1/theatres/{screen['theatre_id']}/screens",
        json={"name": "Spare", "rows": ACCESSIBLE_ROWS},
        headers=admin,
    ).json()
    replaced = client.put(
        f"/api/v1/screens/{spare['id']}/layout", json={"rows": rows}, headers=admin
    )
    assert replaced.status_code == 200, replaced.text
    assert accessibility(replaced.json()["seats"]) == {"A3": "COMPANION", "A4": "WHEELCHAIR"}


def test_companions_sit_next_to_a_wheelchair_space_or_the_layout_is_refused(
    client: httpx.Client, admin: Headers
) -> None:
    theatre = create_theatre(client, admin)

    def screen(**row: Any) -> httpx.Response:
        rows = [{"label": "A", "seat_type": "GOLD", "seats": 6, **row}]
        return client.post(
            f"/api/v1/theatres/{theatre['id']}/screens",
            json={"name": "Audi", "rows": rows},
            headers=admin,
        )

    for row in (
        {"wheelchair": [1], "companions": [3]},  # not next to it
        {"wheelchair": [3], "companions": [4], "aisles_after": [3]},  # across an aisle
        {"companions": [2]},  # no wheelchair space at all
        {"wheelchair": [2], "companions": [2]},  # both
        {"wheelchair": [7]},  # not a seat of the row
        {"wheelchair": [0]},
        {"wheelchair": [2, 2]},
        {"wheelchair": ["2"]},
    ):
        problem(screen(**row), 422)
    assert client.get(f"/api/v1/theatres/{theatre['id']}").status_code == 200
    # Two spaces may share one companion between them, and a space may have none.
    fine = screen(wheelchair=[1, 3, 6], companions=[2])
    assert fine.status_code == 201, fine.text


def test_best_available_never_hands_out_accessible_seats(
    client: httpx.Client, admin: Headers, customer: Headers
) -> None:
    show = show_on(client, admin, ACCESSIBLE_ROWS)
    # Row C's general seats (C3, C4) sit between the accessible ones: to best available they
    # are a row of two, as if aisles stood there.
    everything = held(best(client, customer, show, quantity=10))
    second = new_customer(client)
    rest = held(best(client, second, show, quantity=4))
    assert not {"C1", "C2", "C5", "C6"} & set(everything + rest)
    assert len(set(everything + rest)) == 14  # every general seat
    refused = problem(best(client, new_customer(client), show, quantity=1), 409)
    assert refused["type"].endswith("/not-enough-seats") and refused["available"] == 0
    # Picking them by seat id is allowed.
    ids = labels_to_ids(client, show)
    assert held(hold(client, new_customer(client), show["id"], [ids["C1"], ids["C2"]])) == [
        "C1",
        "C2",
    ]


def test_an_accessible_request_gets_wheelchair_places_each_with_its_companion(
    client: httpx.Client, admin: Headers, customer: Headers
) -> None:
    show = show_on(client, admin, ACCESSIBLE_ROWS)
    first = best(client, customer, show, accessible=1)
    assert held(first) == ["C1", "C2"] and first.json()["adjacent"] is True
    assert first.json()["amount_total"] == 2 * 35000
    second = best(client, new_customer(client), show, accessible=1)
    assert held(second) == ["C5", "C6"] and second.json()["adjacent"] is True
    refused = problem(best(client, new_customer(client), show, accessible=1), 409)
    assert refused["type"].endswith("/not-enough-seats") and refused["available"] == 0

    other = show_on(client, admin, ACCESSIBLE_ROWS)
    both = best(client, customer, other, accessible=2)
    assert held(both) == ["C1", "C2", "C5", "C6"] and both.json()["adjacent"] is True


def test_a_place_whose_companion_is_taken_comes_after_those_with_one_and_is_still_given(
    client: httpx.Client, admin: Headers, customer: Headers
) -> None:
    show = show_on(client, admin, ACCESSIBLE_ROWS)
    ids = labels_to_ids(client, show)
    assert held(hold(client, new_customer(client), show["id"], [ids["C2"]])) == ["C2"]
    # C1 is nearer the sweet spot's left, but its companion is taken: C6 with C5 first.
    assert held(best(client, customer, show, accessible=1)) == ["C5", "C6"]
    alone = best(client, new_customer(client), show, accessible=1)
    assert held(alone) == ["C1"] and alone.json()["adjacent"] is False

    other = show_on(client, admin, ACCESSIBLE_ROWS)
    ids = labels_to_ids(client, other)
    assert held(hold(client, new_customer(client), other["id"], [ids["C2"], ids["C5"]]))
    both = best(client, customer, other, accessible=2)
    assert held(both) == ["C1", "C6"] and both.json()["adjacent"] is False


def test_accessible_requests_that_make_no_sense_are_refused_and_hold_nothing(
    client: httpx.Client, admin: Headers, customer: Headers
) -> None:
    show = show_on(client, admin, ACCESSIBLE_ROWS)
    ids = labels_to_ids(client, show)
    for body in (
        {"accessible": 1, "quantity": 2},
        {"accessible": 1, "seat_ids": [ids["C1"]]},
        {"accessible": 0},
        {"accessible": "1"},
        {"accessible": 6},  # six places and their companions: above MAX_SEATS_PER_BOOKING
    ):
        problem(best(client, customer, show, **body), 422)
    seat_map = client.get(f"/api/v1/shows/{show['id']}/seats").json()["seats"]
    assert {seat["status"] for seat in seat_map} == {"AVAILABLE"}
    # The filters apply to places and companions alike.
    cheap = problem(best(client, customer, show, accessible=1, max_price=100), 409)
    assert cheap["available"] == 0
    assert held(best(client, customer, show, accessible=1, seat_type="GOLD")) == ["C1", "C2"]


def test_a_screen_without_accessible_seats_has_none_to_give(
    client: httpx.Client, admin: Headers, customer: Headers
) -> None:
    theatre = create_theatre(client, admin)
    set_theatre_prices(client, admin, theatre["id"])
    rows = [{"label": "A", "seat_type": "GOLD", "seats": 4}]
    screen = client.post(
        f"/api/v1/theatres/{theatre['id']}/screens",
        json={"name": "Small", "rows": rows},
        headers=admin,
    ).json()
    movie = create_movie(client, admin)
    show = create_show(
        client, admin, movie["id"], screen["id"], future(datetime.now().astimezone())
    )
    refused = problem(best(client, customer, show, accessible=1), 409)
    assert refused["available"] == 0
