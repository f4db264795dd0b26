"""A screen's new layout never lowers a show's seat-map version (SPEC "Back office"): the
inventory rebuilt from the new seats goes on from the version the old one had, so no map of the
old seats, cached in any process, passes for current; and the show counts its new seats."""

from __future__ import annotations

from datetime import datetime

import httpx
from tests.api import (
    Headers,
    create_movie,
    create_screen,
    create_show,
    create_theatre,
    future,
    set_theatre_prices,
)

SMALL = [{"label": "A", "seat_type": "GOLD", "seats": 3, "aisles_after": []}]
EMPTY_AGAIN = [{"label": "A", "seat_type": "GOLD", "seats": 3, "aisles_after": [1]}]


def test_a_replaced_layout_never_lowers_the_seat_maps_version(
    client: httpx.Client, admin: Headers
) -> None:
    theatre = create_theatre(client, admin)
    set_theatre_prices(client, admin, theatre["id"])
    screen = create_screen(client, admin, theatre["id"])  # 16 seats
    movie = create_movie(client, admin)
    show = create_show(
        client, admin, movie["id"], screen["id"], future(datetime.now().astimezone())
    )
    seats = f"/api/v1/shows/{show['id']}/seats"
    versions = [client.get(seats).json()["version"]]
    # Writes raise the version: each re-price writes every seat of the show.
    for gold in (36000, 37000):
        set_theatre_prices(
            client, admin, theatre["id"], {"VIP": 50000, "GOLD": gold, "SILVER": 20000}
        )
        versions.append(client.get(seats).json()["version"])
    assert versions[0] < versions[1] < versions[2]

    for rows in (SMALL, EMPTY_AGAIN):
        replaced = client.put(
            f"/api/v1/screens/{screen['id']}/layout", json={"rows": rows}, headers=admin
        )
        assert replaced.status_code == 200, replaced.text
        seat_map = client.get(seats).json()
        assert seat_map["version"] > versions[-1], (seat_map["version"], versions)
        versions.append(seat_map["version"])
        assert {s["id"] for s in seat_map["seats"]} == {s["id"] for s in replaced.json()["seats"]}
        assert [s["x"] for s in seat_map["seats"]] == [s["x"] for s in replaced.json()["seats"]]
        assert all(s["price"] == 37000 and s["status"] == "AVAILABLE" for s in seat_map["seats"])
        assert client.get(f"/api/v1/shows/{show['id']}").json()["seat_count"] == 3
