"""Shifts: one open per cashier, closed once with the cash the drawer should hold, and totals
per method that are exactly the sales and refunds made in them."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from tests.api import Headers, create_theatre, problem
from tests.bookings.money_helpers import policy_theatre, show_in
from tests.counter.helpers import DAY, cash, close_shift, make_cashier, open_shift, refund, sell
from tests.invoicing.helpers import seats_of_type


def test_a_cashier_has_one_open_shift_and_a_closed_one_stays_closed(
    client: httpx.Client, admin: Headers
) -> None:
    theatre_id = create_theatre(client, admin)["id"]
    cashier = make_cashier(client, admin, [theatre_id])
    shift = open_shift(client, cashier, theatre_id, 250000)
    again = client.post(
        "/api/v1/counter/shifts", json={"theatre_id": theatre_id, "float": 0}, headers=cashier
    )
    assert problem(again, 409)["shift_id"] == shift["id"]
    current = client.get("/api/v1/counter/shifts/current", headers=cashier).json()
    assert current["id"] == shift["id"] and current["expected_cash"] == 250000

    closed = close_shift(client, cashier, shift["id"])
    assert closed["status"] == "CLOSED" and closed["closed_at"]
    assert closed["expected_cash"] == 250000
    assert closed["totals"] == {"CASH": 0, "CARD": 0, "UPI": 0}
    twice = client.post(f"/api/v1/counter/shifts/{shift['id']}/close", headers=cashier)
    assert problem(twice, 409)["type"].endswith("/shift-closed")
    read = client.get(f"/api/v1/counter/shifts/{shift['id']}", headers=cashier).json()
    assert read["status"] == "CLOSED" and read["closed_at"] == closed["closed_at"]
    none = client.get("/api/v1/counter/shifts/current", headers=cashier)
    assert problem(none, 409)["type"].endswith("/no-open-shift")
    # A new shift is a new one; the closed one is never reopened.
    assert open_shift(client, cashier, theatre_id)["id"] != shift["id"]


def test_bad_shifts_are_refused(client: httpx.Client, admin: Headers) -> None:
    theatre_id = create_theatre(client, admin)["id"]
    cashier = make_cashier(client, admin, [theatre_id])
    for body, status in (
        ({"theatre_id": theatre_id, "float": -1}, 422),
        ({"theatre_id": theatre_id, "float": 1.5}, 422),
        ({"theatre_id": theatre_id}, 422),
        ({"theatre_id": "not-an-id", "float": 0}, 422),
        ({"theatre_id": "00000000-0000-4000-8000-000000000000", "float": 0}, 404),
    ):
        problem(client.post("/api/v1/counter/shifts", json=body, headers=cashier), status)
    unknown = client.post(
        "/api/v1/counter/shifts/00000000-0000-4000-8000-000000000000/close", headers=cashier
    )
    problem(unknown, 404)


def test_shift_totals_are_the_sales_and_refunds_made(client: httpx.Client, admin: Headers) -> None:
    theatre_id = policy_theatre(client, admin)
    show = show_in(client, admin, theatre_id, DAY)
    cashier = make_cashier(client, admin, [theatre_id])
    shift = open_shift(client, cashier, theatre_id, 100000)
    vip = seats_of_type(client, show["id"], "VIP", 3)
    gold = seats_of_type(client, show["id"], "GOLD", 3)
    silver = seats_of_type(client, show["id"], "SILVER", 2)
    sales = [
        sell(client, cashier, show["id"], vip[:2], cash(200000)),
        sell(client, cashier, show["id"], gold[:2], {"method": "CARD", "reference": "C1"}),
        sell(client, cashier, show["id"], silver, {"method": "UPI", "reference": "U1"}),
        sell(client, cashier, show["id"], [vip[2], gold[2]]),
    ]
    refunds = [
        refund(client, cashier, sales[0]["id"], [vip[0]]),
        refund(client, cashier, sales[1]["id"]),
    ]
    moved: dict[str, dict[str, int]] = {"SALE": {}, "REFUND": {}}
    for answer in (*sales, *refunds):
        for m in answer["movements"]:
            moved[m["kind"]].setdefault(m["method"], 0)
    for answer in sales:
        m = answer["movements"][0]
        moved["SALE"][m["method"]] += m["amount"]
    for answer in refunds:
        m = answer["movements"][-1]
        assert m["kind"] == "REFUND"
        moved["REFUND"][m["method"]] += m["amount"]
    # The refunds follow the booking's policy: 75 % of the tickets back a day ahead.
    assert moved["REFUND"]["CASH"] == sales[0]["seats"][0]["ticket_total"] * 3 // 4
    net = {
        method: moved["SALE"].get(method, 0) - moved["REFUND"].get(method, 0)
        for method in ("CASH", "CARD", "UPI")
    }

    closed = close_shift(client, cashier, shift["id"])
    assert closed["totals"] == net
    assert closed["sales"] == {m: moved["SALE"].get(m, 0) for m in net}
    assert closed["refunds"] == {m: moved["REFUND"].get(m, 0) for m in net}
    assert (closed["sales_count"], closed["refunds_count"]) == (4, 2)
    assert closed["expected_cash"] == 100000 + net["CASH"]

    # The day's shifts of the theatre, by its own date.
    local = datetime.fromisoformat(closed["opened_at"]).astimezone(ZoneInfo("Asia/Kolkata"))
    listed = client.get(
        f"/api/v1/admin/shifts?theatre_id={theatre_id}&date={local.date()}", headers=admin
    )
    assert listed.status_code == 200, listed.text
    [item] = listed.json()["items"]
    assert item == closed
    other_day = (local + timedelta(days=1)).date()
    later = client.get(
        f"/api/v1/admin/shifts?theatre_id={theatre_id}&date={other_day}", headers=admin
    )
    assert later.json()["items"] == []
    # Nothing more goes into a closed shift.
    again = client.post(
        f"/api/v1/counter/sales/{sales[3]['id']}/refund",
        json={"shift_id": shift["id"]},
        headers=cashier,
    )
    assert problem(again, 409)["type"].endswith("/shift-closed")
