"""A booking's seats come in seat order wherever they are listed: by row (A to Z, then AA), then
by number as a number, so H8 comes before H10 (SPEC: a booking's seats in seat order)."""

from __future__ import annotations

from typing import Any

import httpx
from tests.api import Headers, ready_show, register
from tests.payments.checkout import pay

ROWS = [
    {"label": "AA", "seat_type": "SILVER", "seats": 2, "aisles_after": []},
    {"label": "H", "seat_type": "GOLD", "seats": 12, "aisles_after": []},
    {"label": "B", "seat_type": "VIP", "seats": 2, "aisles_after": []},
]


def _labels(booking: dict[str, Any]) -> list[str]:
    return [seat["label"] for seat in booking["seats"]]


def test_every_listing_of_a_bookings_seats_is_in_seat_order(
    client: httpx.Client, admin: Headers
) -> None:
    show = ready_show(client, admin, ROWS)
    by_label = {
        seat["label"]: seat["id"]
        for seat in client.get(f"/api/v1/shows/{show['id']}/seats").json()["seats"]
    }
    customer = register(client)
    # Asked for out of order. Without an Idempotency-Key the sale path's lane answers; with
    # one, the route.
    held = client.post(
        "/api/v1/bookings",
        json={"show_id": show["id"], "seat_ids": [by_label[s] for s in ("H11", "H10", "H9", "H8")]},
        headers=customer,
    )
    keyed = client.post(
        "/api/v1/bookings",
        json={"show_id": show["id"], "seat_ids": [by_label[s] for s in ("AA1", "H2", "H1", "B2")]},
        headers={**customer, "Idempotency-Key": "seat-order"},
    )
    assert held.status_code == keyed.status_code == 201, (held.text, keyed.text)
    assert _labels(held.json()) == ["H8", "H9", "H10", "H11"]
    assert _labels(keyed.json()) == ["B2", "H1", "H2", "AA1"]

    one = held.json()["id"]
    read = client.get(f"/api/v1/bookings/{one}", headers=customer)
    assert _labels(read.json()) == ["H8", "H9", "H10", "H11"]
    mine = client.get("/api/v1/me/bookings", headers=customer).json()["items"]
    assert sorted(_labels(booking) for booking in mine) == sorted(
        [["H8", "H9", "H10", "H11"], ["B2", "H1", "H2", "AA1"]]
    )
    listed = client.get(f"/api/v1/admin/shows/{show['id']}/bookings", headers=admin)
    assert [_labels(booking) for booking in listed.json()["items"]] == [
        ["H8", "H9", "H10", "H11"],
        ["B2", "H1", "H2", "AA1"],
    ]

    paid = pay(client, customer, keyed.json()["id"])
    assert _labels(paid) == ["B2", "H1", "H2", "AA1"]
    tickets = client.get(f"/api/v1/bookings/{paid['id']}/tickets", headers=customer)
    assert [ticket["seat_label"] for ticket in tickets.json()["items"]] == [
        "B2",
        "H1",
        "H2",
        "AA1",
    ]

    cancelled = client.post(f"/api/v1/bookings/{one}/cancel", headers=customer)
    assert cancelled.status_code == 200, cancelled.text
    assert _labels(cancelled.json()) == ["H8", "H9", "H10", "H11"]
    refunded = client.post(f"/api/v1/bookings/{paid['id']}/cancel", headers=customer)
    assert refunded.status_code == 200, refunded.text
    assert _labels(refunded.json()) == ["B2", "H1", "H2", "AA1"]
