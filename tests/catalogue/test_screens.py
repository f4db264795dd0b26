"""Screens: the seat grid with aisles, validation of layouts, unique names, layout changes."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from tests.api import Headers, create_screen, create_theatre, problem
from tests.support.http import loopback_client


def test_screen_lists_its_seats_on_a_grid_with_aisle_gaps(
    client: httpx.Client, admin: Headers
) -> None:
    theatre = create_theatre(client, admin)
    rows = [
        {"label": "A", "seat_type": "VIP", "seats": 6, "aisles_after": [3]},
        {"label": "B", "seat_type": "GOLD", "seats": 8, "aisles_after": [6, 2]},
        {"label": "AA", "seat_type": "SILVER", "seats": 2},
    ]
    screen = create_screen(client, admin, theatre["id"], rows)

    assert screen["theatre_id"] == theatre["id"] and screen["name"] == "Audi 1"
    assert screen["seat_count"] == 16
    seats = screen["seats"]
    assert [s["label"] for s in seats[:6]] == ["A1", "A2", "A3", "A4", "A5", "A6"]
    assert [s["x"] for s in seats if s["row"] == "A"] == [0, 1, 2, 4, 5, 6]
    assert [s["x"] for s in seats if s["row"] == "B"] == [0, 1, 3, 4, 5, 6, 8, 9]
    assert {s["y"] for s in seats if s["row"] == "B"} == {1}
    assert [(s["label"], s["number"], s["x"], s["y"]) for s in seats if s["row"] == "AA"] == [
        ("AA1", 1, 0, 2),
        ("AA2", 2, 1, 2),
    ]
    first = seats[0]
    assert set(first) >= {"id", "label", "row", "number", "seat_type", "x", "y"}
    assert first["seat_type"] == "VIP"
    assert len({s["id"] for s in seats}) == 16

    fetched = client.get(f"/api/v1/screens/{screen['id']}")
    assert fetched.status_code == 200 and fetched.json() == screen


def test_screen_names_are_unique_per_theatre(client: httpx.Client, admin: Headers) -> None:
    one, other = create_theatre(client, admin), create_theatre(client, admin, name="Other")
    create_screen(client, admin, one["id"], name="Audi 1")
    create_screen(client, admin, other["id"], name="Audi 1")  # another theatre: fine
    again = client.post(
        f"/api/v1/theatres/{one['id']}/screens",
        json={"name": "audi 1", "rows": [{"label": "A", "seat_type": "VIP", "seats": 1}]},
        headers=admin,
    )
    problem(again, 409)


def test_screen_names_differing_only_in_case_race_and_one_wins(
    client: httpx.Client, admin: Headers, db: Any
) -> None:
    theatre = create_theatre(client, admin)
    rows = [{"label": "A", "seat_type": "VIP", "seats": 2}]
    names = ["Audi 7", "AUDI 7", "audi 7", "Audi 7"]

    def create(name: str) -> int:
        with loopback_client(base_url=str(client.base_url), timeout=30) as own:
            response = own.post(
                f"/api/v1/theatres/{theatre['id']}/screens",
                json={"name": name, "rows": rows},
                headers=admin,
            )
            return response.status_code

    with ThreadPoolExecutor(len(names)) as pool:
        statuses = sorted(pool.map(create, names))
    assert statuses == [201, 409, 409, 409]
    # The rule is the database's own: a write that skips the service is refused too.
    now = datetime.now(UTC)
    with pytest.raises(sa.exc.IntegrityError):
        db.execute(
            "INSERT INTO screens (id, theatre_id, name, created_at) VALUES (:id, :t, :n, :c)",
            id=uuid.uuid4().hex if db.is_sqlite else uuid.uuid4(),
            t=db.id(theatre["id"]),
            n="aUdI 7",
            c=now.replace(tzinfo=None) if db.is_sqlite else now,
        )


def test_screen_of_an_unknown_theatre_is_404(client: httpx.Client, admin: Headers) -> None:
    response = client.post(
        f"/api/v1/theatres/{uuid.uuid4()}/screens",
        json={"name": "A", "rows": [{"label": "A", "seat_type": "VIP", "seats": 1}]},
        headers=admin,
    )
    problem(response, 404)


def test_unknown_seat_types_are_named(client: httpx.Client, admin: Headers) -> None:
    theatre = create_theatre(client, admin)
    rows = [
        {"label": "A", "seat_type": "RECLINER", "seats": 4},
        {"label": "B", "seat_type": "BALCONY", "seats": 4},
        {"label": "C", "seat_type": "GOLD", "seats": 4},
    ]
    response = client.post(
        f"/api/v1/theatres/{theatre['id']}/screens", json={"name": "X", "rows": rows}, headers=admin
    )
    body = problem(response, 422)
    assert body["unknown_seat_types"] == ["BALCONY", "RECLINER"]


ROW = {"label": "A", "seat_type": "GOLD", "seats": 10, "aisles_after": [5]}


@pytest.mark.parametrize(
    "body",
    [
        {"name": "", "rows": [ROW]},
        {"name": "n" * 101, "rows": [ROW]},
        {"name": "S", "rows": []},
        {"rows": [ROW]},
        {"name": "S"},
        {"name": "S", "rows": [{**ROW, "label": "a"}]},
        {"name": "S", "rows": [{**ROW, "label": "ABCD"}]},
        {"name": "S", "rows": [{**ROW, "label": "A1"}]},
        {"name": "S", "rows": [{**ROW, "label": ""}]},
        {"name": "S", "rows": [ROW, ROW]},
        {"name": "S", "rows": [{**ROW, "seats": 0}]},
        {"name": "S", "rows": [{**ROW, "seats": 101}]},
        {"name": "S", "rows": [{**ROW, "seats": "10"}]},
        {"name": "S", "rows": [{**ROW, "seats": 10.0}]},
        {"name": "S", "rows": [{**ROW, "aisles_after": [0]}]},
        {"name": "S", "rows": [{**ROW, "aisles_after": [10]}]},
        {"name": "S", "rows": [{**ROW, "aisles_after": [3, 3]}]},
        {"name": "S", "rows": [{**ROW, "aisles_after": "5"}]},
        {"name": "S", "rows": [{**ROW, "seat_type": ""}]},
        {"name": "S", "rows": [{**ROW, "seats": 1, "aisles_after": [1]}]},
        {
            "name": "S",
            "rows": [{**ROW, "label": f"{a}{b}"} for a in "ABC" for b in "ABCDEFGHIJKLMNOPQRSTU"],
        },
        {"name": "S", "rows": [{**ROW, "colour": "red"}]},
    ],
)
def test_layout_validation(client: httpx.Client, admin: Headers, body: dict[str, Any]) -> None:
    theatre = create_theatre(client, admin)
    problem(client.post(f"/api/v1/theatres/{theatre['id']}/screens", json=body, headers=admin), 422)


def test_largest_layout_is_accepted(client: httpx.Client, admin: Headers) -> None:
    theatre = create_theatre(client, admin)
    labels = [f"{a}{b}" for a in "ABC" for b in "ABCDEFGHIJKLMNOPQRST"]  # 60 rows
    rows = [{"label": label, "seat_type": "SILVER", "seats": 100} for label in labels]
    screen = create_screen(client, admin, theatre["id"], rows)
    assert screen["seat_count"] == 6000


def test_layout_can_change_until_a_booking_exists(client: httpx.Client, admin: Headers) -> None:
    theatre = create_theatre(client, admin)
    screen = create_screen(client, admin, theatre["id"])
    rows = [{"label": "A", "seat_type": "SILVER", "seats": 3, "aisles_after": [1]}]
    response = client.put(
        f"/api/v1/screens/{screen['id']}/layout", json={"rows": rows}, headers=admin
    )
    assert response.status_code == 200, response.text
    assert [(s["label"], s["x"]) for s in response.json()["seats"]] == [
        ("A1", 0),
        ("A2", 2),
        ("A3", 3),
    ]
    assert client.get(f"/api/v1/screens/{screen['id']}").json()["seat_count"] == 3
    problem(
        client.put(f"/api/v1/screens/{uuid.uuid4()}/layout", json={"rows": rows}, headers=admin),
        404,
    )


def test_a_theatres_screens_are_listed_by_name_without_their_seats(
    client: httpx.Client, admin: Headers
) -> None:
    theatre = create_theatre(client, admin)
    other = create_theatre(client, admin, name="Elsewhere")
    create_screen(client, admin, theatre["id"], name="Audi 2")
    first = create_screen(client, admin, theatre["id"], name="Audi 1")
    create_screen(client, admin, other["id"], name="Audi 9")
    listed = client.get(f"/api/v1/theatres/{theatre['id']}/screens").json()["items"]
    assert [s["name"] for s in listed] == ["Audi 1", "Audi 2"]
    assert listed[0]["id"] == first["id"] and "seats" not in listed[0]
    problem(client.get(f"/api/v1/theatres/{uuid.uuid4()}/screens"), 404)


def test_a_replaced_layout_sets_its_sweet_spot_or_goes_back_to_the_default(
    client: httpx.Client, admin: Headers
) -> None:
    theatre = create_theatre(client, admin)
    screen = create_screen(client, admin, theatre["id"])
    rows = [{"label": "A", "seat_type": "SILVER", "seats": 6}]
    path = f"/api/v1/screens/{screen['id']}/layout"
    spot = {"row": "A", "number": 4}
    response = client.put(path, json={"rows": rows, "sweet_spot": spot}, headers=admin)
    assert response.status_code == 200, response.text
    assert client.get(f"/api/v1/screens/{screen['id']}").json()["sweet_spot"] == spot
    outside = {"rows": rows, "sweet_spot": {"row": "B", "number": 1}}
    problem(client.put(path, json=outside, headers=admin), 422)
    assert client.put(path, json={"rows": rows}, headers=admin).json()["sweet_spot"] is None
