"""The live seat map: shape, order, statuses, ETag / If-None-Match; layout locked by bookings."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Any

import httpx
from tests.api import DEFAULT_PRICES, Headers, problem, ready_show, register
from tests.conftest import running_app
from tests.support.http import loopback_client


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


# --- the seat map's version, ETag and memory (SPEC "Live seat map", issue 11) -----------------


def seat_map(client: httpx.Client, show_id: str, **headers: str) -> httpx.Response:
    return client.get(f"/api/v1/shows/{show_id}/seats", headers=headers)


def test_version_and_etag_follow_every_write_and_a_hold_running_out(
    client: httpx.Client, show: dict[str, Any], seats: list[str], clock: Any
) -> None:
    customer = register(client)
    first = seat_map(client, show["id"])
    assert first.json()["version"] >= 0
    assert (
        seat_map(client, show["id"], **{"If-None-Match": first.headers["etag"]}).status_code == 304
    )

    held = client.post(
        "/api/v1/bookings", json={"show_id": show["id"], "seat_ids": seats[:2]}, headers=customer
    )
    assert held.status_code == 201, held.text
    after_hold = seat_map(client, show["id"], **{"If-None-Match": first.headers["etag"]})
    assert after_hold.status_code == 200  # read its own write at once: no stale 304
    assert after_hold.json()["version"] > first.json()["version"]
    statuses = {s["id"]: s["status"] for s in after_hold.json()["seats"]}
    assert [statuses[s] for s in seats[:2]] == ["HELD", "HELD"]

    # The hold runs out: nothing is written, but the map and its ETag change at once.
    clock.advance(timedelta(seconds=601))
    ran_out = seat_map(client, show["id"], **{"If-None-Match": after_hold.headers["etag"]})
    assert ran_out.status_code == 200
    assert ran_out.json()["version"] == after_hold.json()["version"]
    assert ran_out.headers["etag"] != after_hold.headers["etag"]
    assert {s["status"] for s in ran_out.json()["seats"]} == {"AVAILABLE"}


def test_an_etag_names_one_state_in_every_process_and_read(
    client: httpx.Client, show: dict[str, Any], seats: list[str], db: Any
) -> None:
    """A map read after a hold ran out (by another process behind the load balancer, or by this
    one after a notification emptied its memory) must not carry the ETag of the map that showed
    the hold: a client polling with If-None-Match would never see those seats free again."""
    held = client.post(
        "/api/v1/bookings",
        json={"show_id": show["id"], "seat_ids": seats[:2]},
        headers=register(client),
    )
    assert held.status_code == 201, held.text
    while_held = seat_map(client, show["id"])
    with running_app(db.url) as later, loopback_client(base_url=later.url, timeout=30) as other:
        later.clock.advance(timedelta(seconds=601))
        ran_out = seat_map(other, show["id"], **{"If-None-Match": while_held.headers["etag"]})
        assert ran_out.status_code == 200
        assert {s["status"] for s in ran_out.json()["seats"]} == {"AVAILABLE"}
        assert ran_out.headers["etag"] != while_held.headers["etag"]


def test_a_hold_made_through_another_process_shows_once_this_one_hears_of_it(
    client: httpx.Client, show: dict[str, Any], seats: list[str], db: Any, live_server: Any
) -> None:
    """On PostgreSQL the other process's hold notifies every process, which drops the show's
    map at once; the next read here must show the seat held. On SQLite nothing is kept without
    notifications: every read checks the show's version, so the first read already must."""
    before = seat_map(client, show["id"]).json()  # now in this process's memory
    seat_maps = live_server.app.state.seat_maps
    heard = threading.Event()

    def observe(show_id: uuid.UUID | None) -> None:
        if show_id is None or str(show_id) == show["id"]:
            heard.set()

    seat_maps.observers.append(observe)
    try:
        with running_app(db.url) as other, loopback_client(base_url=other.url) as elsewhere:
            customer = register(elsewhere)
            held = elsewhere.post(
                "/api/v1/bookings",
                json={"show_id": show["id"], "seat_ids": [seats[0]]},
                headers=customer,
            )
            assert held.status_code == 201, held.text
            if seat_maps.notified:
                assert heard.wait(10), "the other process's hold was never announced here"
            current = seat_map(client, show["id"]).json()
    finally:
        seat_maps.observers.remove(observe)
    status = next(s["status"] for s in current["seats"] if s["id"] == seats[0])
    assert status == "HELD"
    assert current["version"] > before["version"]
