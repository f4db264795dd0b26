"""The live seat map: shape, order, statuses, ETag / If-None-Match; layout locked by bookings."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from tests.api import DEFAULT_PRICES, Headers, problem, ready_show, register


def test_seat_map_lists_every_seat_available_in_grid_order(
    client: httpx.Client, admin: Headers
) -> None:
    show = ready_show(client, admin)
    response = client.get(f"/api/v1/shows/{show['id']}/seats")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["show_id"] == show["id"]
    seats = body["seats"]
    assert len(seats) == 16
    assert {s["status"] for s in seats} == {"AVAILABLE"}
    assert [(s["y"], s["x"]) for s in seats] == sorted((s["y"], s["x"]) for s in seats)
    assert [s["label"] for s in seats[:4]] == ["A1", "A2", "A3", "A4"]
    assert [s["x"] for s in seats[:4]] == [0, 1, 3, 4]  # aisle after A2
    for seat in seats:
        assert set(seat) >= {"id", "label", "row", "number", "seat_type", "x", "y", "price"}
        assert seat["price"] == DEFAULT_PRICES[seat["seat_type"]]
        assert seat["label"] == f"{seat['row']}{seat['number']}"
    problem(client.get(f"/api/v1/shows/{uuid.uuid4()}/seats"), 404)


def test_etag_and_not_modified(client: httpx.Client, admin: Headers) -> None:
    show = ready_show(client, admin)
    url = f"/api/v1/shows/{show['id']}/seats"
    first = client.get(url)
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')

    not_modified = client.get(url, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["etag"] == etag
    assert client.get(url, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"stale"'}).status_code == 200

    seat = first.json()["seats"][0]
    customer = register(client)
    held = client.post(
        "/api/v1/bookings", json={"show_id": show["id"], "seat_ids": [seat["id"]]}, headers=customer
    )
    assert held.status_code == 201, held.text
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    statuses = {s["id"]: s["status"] for s in changed.json()["seats"]}
    assert statuses[seat["id"]] == "HELD"
    assert sum(1 for s in statuses.values() if s == "AVAILABLE") == 15


def test_layout_cannot_change_once_a_seat_was_booked(client: httpx.Client, admin: Headers) -> None:
    show = ready_show(client, admin)
    seat_id = client.get(f"/api/v1/shows/{show['id']}/seats").json()["seats"][0]["id"]
    customer = register(client)
    held = client.post(
        "/api/v1/bookings", json={"show_id": show["id"], "seat_ids": [seat_id]}, headers=customer
    )
    assert held.status_code == 201, held.text
    rows: list[dict[str, Any]] = [{"label": "A", "seat_type": "VIP", "seats": 2}]
    response = client.put(
        f"/api/v1/screens/{show['screen_id']}/layout", json={"rows": rows}, headers=admin
    )
    problem(response, 409)
    assert len(client.get(f"/api/v1/screens/{show['screen_id']}").json()["seats"]) == 16


def test_new_layout_rebuilds_the_seat_map_of_upcoming_shows(
    client: httpx.Client, admin: Headers
) -> None:
    show = ready_show(client, admin)
    rows = [
        {"label": "A", "seat_type": "GOLD", "seats": 3, "aisles_after": [1]},
        {"label": "B", "seat_type": "SILVER", "seats": 2},
    ]
    response = client.put(
        f"/api/v1/screens/{show['screen_id']}/layout", json={"rows": rows}, headers=admin
    )
    assert response.status_code == 200, response.text
    seats = client.get(f"/api/v1/shows/{show['id']}/seats").json()["seats"]
    assert [(s["label"], s["price"], s["status"]) for s in seats] == [
        ("A1", DEFAULT_PRICES["GOLD"], "AVAILABLE"),
        ("A2", DEFAULT_PRICES["GOLD"], "AVAILABLE"),
        ("A3", DEFAULT_PRICES["GOLD"], "AVAILABLE"),
        ("B1", DEFAULT_PRICES["SILVER"], "AVAILABLE"),
        ("B2", DEFAULT_PRICES["SILVER"], "AVAILABLE"),
    ]
    assert client.get(f"/api/v1/shows/{show['id']}").json()["prices"] == {
        "GOLD": DEFAULT_PRICES["GOLD"],
        "SILVER": DEFAULT_PRICES["SILVER"],
    }
