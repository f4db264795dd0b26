"""Reports (SPEC "Reports") against a fixture computed by hand: sales, a cancellation with its
refund, a pending hold, a check-in."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from tests.api import Headers, problem, register
from tests.payments.checkout import pay
from tests.tickets.helpers import scan, show_soon, tickets


def _hold(client: httpx.Client, who: Headers, show_id: str, seat_ids: list[str]) -> dict[str, Any]:
    response = client.post(
        "/api/v1/bookings", json={"show_id": show_id, "seat_ids": seat_ids}, headers=who
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def _fixture(client: httpx.Client, admin: Headers) -> dict[str, Any]:
    """16 seats: 4 VIP at 500.00, 6 GOLD at 350.00, 6 SILVER at 200.00."""
    show = show_soon(client, admin, minutes=150)
    seats = client.get(f"/api/v1/shows/{show['id']}/seats").json()["seats"]
    by_type: dict[str, list[str]] = {}
    for seat in seats:
        by_type.setdefault(seat["seat_type"], []).append(seat["id"])
    alice, bob, carol, dave = (register(client) for _ in range(4))
    vip_pair = pay(client, alice, _hold(client, alice, show["id"], by_type["VIP"][:2])["id"])
    cancelled = pay(
        client,
        bob,
        _hold(client, bob, show["id"], [by_type["GOLD"][0], by_type["SILVER"][0]])["id"],
    )
    response = client.post(f"/api/v1/bookings/{cancelled['id']}/cancel", headers=bob)
    assert response.status_code == 200 and response.json()["refunds"], response.text
    _hold(client, carol, show["id"], [by_type["GOLD"][1]])  # pending, unpaid
    pay(client, dave, _hold(client, dave, show["id"], [by_type["SILVER"][1]])["id"])
    ok = scan(client, admin, tickets(client, alice, vip_pair["id"])[0]["qr"])
    assert ok.status_code == 200, ok.text
    return show


def test_show_report_matches_the_hand_computed_numbers(
    client: httpx.Client, admin: Headers
) -> None:
    show = _fixture(client, admin)
    response = client.get(f"/api/v1/admin/shows/{show['id']}/report", headers=admin)
    assert response.status_code == 200, response.text
    report = response.json()
    by_type = {row["seat_type"]: row for row in report.pop("by_seat_type")}
    assert report == {
        "show_id": show["id"],
        "capacity": 16,
        "booked": 3,  # 2 VIP + 1 SILVER; the cancelled pair is free again
        "held": 1,
        "blocked": 0,
        "available": 12,
        "occupancy": 0.1875,
        "gross": 50000 * 2 + 35000 + 20000 + 20000,
        "refunded": 35000 + 20000,
        "net": 50000 * 2 + 20000,
        "checked_in": 1,
        "currency": "INR",
        # The theatre is not registered: its receipts charged no GST, so all of `gross` that
        # booked is taxable value.
        "taxable": 50000 * 2 + 35000 + 20000 + 20000,
        "cgst": 0,
        "sgst": 0,
        "fees": 0,
        # Everything sold online: the counter's part is all zeros.
        "by_channel": [
            {"channel": "online", "booked": 3, "gross": 175000, "refunded": 55000, "net": 120000},
            {"channel": "counter", "booked": 0, "gross": 0, "refunded": 0, "net": 0},
        ],
    }
    assert by_type == {
        "VIP": {
            "seat_type": "VIP",
            "capacity": 4,
            "booked": 2,
            "held": 0,
            "blocked": 0,
            "available": 2,
            "net": 100000,
        },
        "GOLD": {
            "seat_type": "GOLD",
            "capacity": 6,
            "booked": 0,
            "held": 1,
            "blocked": 0,
            "available": 5,
            "net": 0,
        },
        "SILVER": {
            "seat_type": "SILVER",
            "capacity": 6,
            "booked": 1,
            "held": 0,
            "blocked": 0,
            "available": 5,
            "net": 20000,
        },
    }


def test_sales_report_days_movies_totals_and_csv(client: httpx.Client, admin: Headers) -> None:
    show = _fixture(client, admin)
    local_day = datetime.fromisoformat(show["starts_at"]).astimezone(ZoneInfo("Asia/Kolkata"))
    day = local_day.date()
    params = {
        "theatre_id": show["theatre_id"],
        "from": (day - timedelta(days=1)).isoformat(),
        "to": (day + timedelta(days=1)).isoformat(),
    }
    response = client.get("/api/v1/admin/reports/sales", params=params, headers=admin)
    assert response.status_code == 200, response.text
    report = response.json()
    no_tax = {"cgst": 0, "sgst": 0, "fees": 0}
    zero = {"shows": 0, "tickets": 0, "gross": 0, "refunded": 0, "net": 0, "occupancy": 0.0}
    zero |= {"taxable": 0, **no_tax}
    zero |= {"online_tickets": 0, "online_net": 0, "counter_tickets": 0, "counter_net": 0}
    online = {"online_tickets": 3, "online_net": 120000, "counter_tickets": 0, "counter_net": 0}
    assert report["days"] == [
        {"date": (day - timedelta(days=1)).isoformat(), **zero},
        {
            "date": day.isoformat(),
            "shows": 1,
            "tickets": 3,
            "gross": 175000,
            "refunded": 55000,
            "net": 120000,
            "occupancy": 0.1875,
            "taxable": 175000,
            **no_tax,
            **online,
        },
        {"date": (day + timedelta(days=1)).isoformat(), **zero},
    ]
    assert report["by_movie"] == [
        {"movie_id": show["movie_id"], "title": "The Long Night", "tickets": 3, "net": 120000}
    ]
    assert report["totals"] == {
        "tickets": 3,
        "gross": 175000,
        "refunded": 55000,
        "net": 120000,
        "taxable": 175000,
        **no_tax,
        **online,
    }
    assert report["currency"] == "INR"

    as_csv = client.get(
        "/api/v1/admin/reports/sales", params={**params, "format": "csv"}, headers=admin
    )
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert rows[0] == [
        *("date", "shows", "tickets", "gross", "refunded", "net", "occupancy"),
        *("taxable", "cgst", "sgst", "fees"),
        *("online_tickets", "online_net", "counter_tickets", "counter_net"),
    ]
    assert rows[2] == [
        *(day.isoformat(), "1", "3", "175000", "55000", "120000", "0.1875"),
        *("175000", "0", "0", "0"),
        *("3", "120000", "0", "0"),
    ]
    assert len(rows) == 4

    problem(
        client.get(
            "/api/v1/admin/reports/sales",
            params={**params, "to": params["from"], "from": params["to"]},
            headers=admin,
        ),
        422,
    )
    customer = register(client)
    problem(client.get("/api/v1/admin/reports/sales", params=params, headers=customer), 403)
