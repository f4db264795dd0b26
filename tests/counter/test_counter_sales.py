"""Selling at the counter: the same seats and the same claim as the shop, BOOKED at once with
tickets and an invoice and no convenience fee, the change counted; every bad sale refused with
nothing changed."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import httpx
from tests.api import Headers, guest, problem, register
from tests.bookings.money_helpers import PRICES
from tests.conftest import LiveServer
from tests.counter.helpers import (
    cash,
    close_shift,
    counts,
    make_cashier,
    open_counter,
    open_shift,
    sale_body,
    sell,
    taken_seats,
)
from tests.invoicing.helpers import hold_seats, seats_of_type
from tests.payments.checkout import money_audit, pay
from tests.support.race import at_once, request


def counter(client: httpx.Client, admin: Headers) -> tuple[str, dict[str, Any], Headers]:
    """A registered theatre with a fee and a policy, a show a day ahead, a cashier on shift."""
    theatre_id, show, cashier, _shift = open_counter(client, admin)
    return theatre_id, show, cashier


def test_a_cash_sale_is_booked_at_once_with_change_tickets_and_an_invoice_and_no_fee(
    client: httpx.Client, admin: Headers, db: Any
) -> None:
    _, show, cashier = counter(client, admin)
    seats = [seats_of_type(client, show["id"], kind, 1)[0] for kind in ("VIP", "GOLD")]
    total = PRICES["VIP"] + PRICES["GOLD"]  # prices include GST; no fee at the counter

    sold = sell(
        client,
        cashier,
        show["id"],
        seats,
        cash(total + 4000),
        customer={"name": "Asha", "phone": "+919800000000"},
    )

    assert sold["amount_total"] == total and sold["change"] == 4000
    assert sold["charges"]["fees"]["total"] == 0 and sold["charges"]["grand_total"] == total
    assert all(seat["fee"] == 0 for seat in sold["seats"])
    assert [h["to"] for h in sold["history"]] == ["PENDING", "BOOKED"]
    assert sold["expires_at"] is None
    [movement] = sold["movements"]
    assert (movement["kind"], movement["method"], movement["amount"]) == ("SALE", "CASH", total)
    assert (movement["tendered"], movement["change"]) == (total + 4000, 4000)
    assert sold["show"]["movie_title"] == show_title(client, show)

    statuses = {s["id"]: s["status"] for s in seat_map(client, show["id"])}
    assert [statuses[seat] for seat in seats] == ["BOOKED", "BOOKED"]
    tickets = client.get(f"/api/v1/bookings/{sold['id']}/tickets", headers=cashier)
    assert tickets.status_code == 200, tickets.text
    assert [t["status"] for t in tickets.json()["items"]] == ["VALID", "VALID"]
    invoice = client.get(f"/api/v1/bookings/{sold['id']}/invoice", headers=cashier)
    assert invoice.status_code == 200, invoice.text
    document = invoice.json()
    assert document["kind"] == "TAX_INVOICE" and document["number"]
    assert document["totals"]["total"] == total
    assert document["recipient"]["name"] == "Asha"
    assert {line["kind"] for line in document["lines"]} == {"TICKET"}
    # The admin sees the channel on the booking; online bookings say theirs.
    read = client.get(f"/api/v1/bookings/{sold['id']}", headers=admin).json()
    assert read["channel"] == "counter" and read["status"] == "BOOKED"
    reprint = client.get(f"/api/v1/counter/sales/{sold['id']}", headers=cashier)
    assert reprint.status_code == 200 and reprint.json()["id"] == sold["id"]
    customer = register(client)
    held = hold_seats(client, customer, show["id"], seats_of_type(client, show["id"], "GOLD", 1))
    assert pay(client, customer, held)["channel"] == "online"
    money_audit(client, db)


def test_best_available_at_the_counter_sells_seats_side_by_side(
    client: httpx.Client, admin: Headers
) -> None:
    _, show, cashier = counter(client, admin)
    body = {"show_id": show["id"], "quantity": 3, "seat_type": "SILVER", "payment": cash()}
    response = client.post("/api/v1/counter/sales", json=body, headers=cashier)
    assert response.status_code == 201, response.text
    sold = response.json()
    assert sold["adjacent"] is True and len(sold["seats"]) == 3
    assert {seat["seat_type"] for seat in sold["seats"]} == {"SILVER"}
    assert sold["change"] == 0


def test_card_and_upi_sales_need_a_reference(client: httpx.Client, admin: Headers) -> None:
    _, show, cashier = counter(client, admin)
    gold = seats_of_type(client, show["id"], "GOLD", 3)
    for method in ("CARD", "UPI"):
        response = client.post(
            "/api/v1/counter/sales",
            json=sale_body(show["id"], gold[:1], {"method": method}),
            headers=cashier,
        )
        assert problem(response, 422)["type"].endswith("/payment-incomplete")
    card = sell(client, cashier, show["id"], gold[:1], {"method": "CARD", "reference": "T-77"})
    upi = sell(client, cashier, show["id"], gold[1:2], {"method": "UPI", "reference": "U-9"})
    assert card["movements"][0]["reference"] == "T-77" and card["change"] is None
    assert upi["movements"][0]["method"] == "UPI"


def test_bad_sales_are_refused_and_change_nothing(
    client: httpx.Client, admin: Headers, db: Any
) -> None:
    theatre_id, show, cashier = counter(client, admin)
    vip, gold = (seats_of_type(client, show["id"], kind, 2) for kind in ("VIP", "GOLD"))
    customer, _ = guest(client)
    taken = hold_seats(client, customer, show["id"], [gold[0]])
    assert taken
    before, seats_before = counts(db), taken_seats(db, show["id"])

    def refused(body: dict[str, Any], status: int, who: Headers = cashier) -> dict[str, Any]:
        found = problem(client.post("/api/v1/counter/sales", json=body, headers=who), status)
        assert counts(db) == before and taken_seats(db, show["id"]) == seats_before
        return found

    short = refused(sale_body(show["id"], vip, cash(PRICES["VIP"] * 2 - 1)), 422)
    assert short["type"].endswith("/tendered-too-little")
    assert short["amount_due"] == PRICES["VIP"] * 2
    refused(sale_body(show["id"], vip, {"method": "CHEQUE"}), 422)
    refused(sale_body(show["id"], vip, {"method": "CASH", "tendered": -5}), 422)
    refused(sale_body(show["id"], vip, cash(), quantity=2), 422)
    refused(sale_body(show["id"], [vip[0], vip[0]], cash()), 422)
    seats = refused(sale_body(show["id"], [vip[0], gold[0]], cash()), 409)
    assert seats["type"].endswith("/seats-unavailable")
    assert seats["unavailable_seat_ids"] == [gold[0]]
    elsewhere = make_cashier(client, admin, [theatre_id])
    assert refused(sale_body(show["id"], vip, cash()), 409, elsewhere)["type"].endswith(
        "/no-open-shift"
    )
    shift = open_shift(client, elsewhere, theatre_id)
    close_shift(client, elsewhere, shift["id"])
    before = counts(db)
    closed = refused(sale_body(show["id"], vip, cash(), shift_id=shift["id"]), 409, elsewhere)
    assert closed["type"].endswith("/shift-closed")
    assert refused(sale_body(show["id"], vip, cash()), 409, elsewhere)["type"].endswith(
        "/no-open-shift"
    )
    # Into another cashier's shift: never.
    mine = client.get("/api/v1/counter/shifts/current", headers=cashier).json()
    theirs = refused(sale_body(show["id"], vip, cash(), shift_id=mine["id"]), 403, elsewhere)
    assert theirs["type"].endswith("/not-your-shift")


def test_a_counter_sale_is_not_cancelled_in_the_shop(client: httpx.Client, admin: Headers) -> None:
    _, show, cashier = counter(client, admin)
    sold = sell(client, cashier, show["id"], seats_of_type(client, show["id"], "GOLD", 1))
    response = client.post(f"/api/v1/bookings/{sold['id']}/cancel", headers=admin)
    assert problem(response, 409)["type"].endswith("/sold-at-counter")
    assert client.get(f"/api/v1/bookings/{sold['id']}", headers=admin).json()["status"] == "BOOKED"


def test_reports_count_the_counter_apart(client: httpx.Client, admin: Headers) -> None:
    theatre_id, show, cashier = counter(client, admin)
    sold = sell(client, cashier, show["id"], seats_of_type(client, show["id"], "VIP", 2))
    customer = register(client)
    online = pay(
        client,
        customer,
        hold_seats(client, customer, show["id"], seats_of_type(client, show["id"], "GOLD", 1)),
    )
    report = client.get(f"/api/v1/admin/shows/{show['id']}/report", headers=admin).json()
    channels = {c["channel"]: c for c in report["by_channel"]}
    assert channels["counter"]["booked"] == 2 and channels["online"]["booked"] == 1
    assert channels["counter"]["gross"] == sold["amount_total"]
    assert channels["online"]["gross"] == online["amount_total"]
    assert report["gross"] == sold["amount_total"] + online["amount_total"]
    assert report["booked"] == 3

    day = datetime.fromisoformat(show["starts_at"]).date().isoformat()
    query = f"theatre_id={theatre_id}&from={day}&to={day}"
    sales = client.get(f"/api/v1/admin/reports/sales?{query}", headers=admin).json()
    [row] = sales["days"]
    assert (row["counter_tickets"], row["online_tickets"], row["tickets"]) == (2, 1, 3)
    assert row["counter_net"] == sold["amount_total"]
    assert row["online_net"] == online["amount_total"]
    assert sales["totals"]["counter_tickets"] == 2
    exported = client.get(f"/api/v1/admin/reports/sales?{query}&format=csv", headers=admin)
    [line] = list(csv.DictReader(io.StringIO(exported.text)))
    assert (line["counter_tickets"], line["online_tickets"]) == ("2", "1")
    assert line["counter_net"] == str(sold["amount_total"])


def seat_map(client: httpx.Client, show_id: str) -> list[dict[str, Any]]:
    return list(client.get(f"/api/v1/shows/{show_id}/seats").json()["seats"])


def show_title(client: httpx.Client, show: dict[str, Any]) -> str:
    return str(client.get(f"/api/v1/movies/{show['movie_id']}").json()["title"])


def test_a_sale_sent_twice_with_one_idempotency_key_sells_once(
    client: httpx.Client, admin: Headers, db: Any, live_server: LiveServer
) -> None:
    _theatre_id, show, cashier, shift = open_counter(client, admin, 0)
    # The best two: without the key, a second click would sell two more seats.
    body = {"show_id": show["id"], "quantity": 2, "payment": cash()}
    keyed = {**cashier, "Idempotency-Key": "sale-1"}
    first, second = at_once(
        *(request(live_server.url, "POST", "/api/v1/counter/sales", json=body, headers=keyed),) * 2
    )
    assert (first.status_code, second.status_code) == (201, 201), (first.text, second.text)
    assert first.json()["id"] == second.json()["id"]
    again = client.post("/api/v1/counter/sales", json=body, headers=keyed)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert taken_seats(db, show["id"]) == 2
    current = client.get(f"/api/v1/counter/shifts/{shift['id']}", headers=cashier).json()
    assert current["sales_count"] == 1 and current["expected_cash"] == first.json()["amount_total"]
    before = counts(db)
    other = client.post("/api/v1/counter/sales", json={**body, "quantity": 1}, headers=keyed)
    assert problem(other, 422)["type"].endswith("/idempotency-key-reused")
    assert counts(db) == before
    # A sale refused (too little cash) leaves no claim on its key: the retry sells.
    short = {**body, "payment": cash(1)}
    problem(
        client.post(
            "/api/v1/counter/sales", json=short, headers={**cashier, "Idempotency-Key": "sale-2"}
        ),
        422,
    )
    assert (
        client.post(
            "/api/v1/counter/sales", json=body, headers={**cashier, "Idempotency-Key": "sale-2"}
        ).status_code
        == 201
    )
