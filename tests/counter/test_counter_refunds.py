"""Refunds at the counter: a counter sale's seats given back by its policy, paid from the
drawer in the way they were paid, with a credit note, and the money audit holding after."""

from __future__ import annotations

from typing import Any

import httpx
from tests.api import Headers, problem, register
from tests.bookings.money_helpers import PRICES, policy_theatre, seat_statuses, show_in
from tests.counter.helpers import counts, make_cashier, open_counter, open_shift, refund, sell
from tests.invoicing.helpers import documents_audit, hold_seats, seats_of_type
from tests.payments.checkout import money_audit, pay


def test_a_counter_refund_gives_back_seats_by_the_policy_with_a_credit_note(
    client: httpx.Client, admin: Headers, db: Any
) -> None:
    _theatre_id, show, cashier, shift = open_counter(client, admin, 100000)
    seats = [seats_of_type(client, show["id"], kind, 1)[0] for kind in ("VIP", "GOLD")]
    sold = sell(client, cashier, show["id"], seats)

    partly = refund(client, cashier, sold["id"], [seats[0]])
    assert partly["status"] == "BOOKED"
    assert [s["seat_id"] for s in partly["seats"]] == [seats[1]]
    [given] = partly["cancelled_seats"]
    assert given["refund"] == PRICES["VIP"] * 3 // 4  # 75 % a day ahead, no fee to keep
    back = partly["movements"][-1]
    assert (back["kind"], back["method"], back["amount"]) == ("REFUND", "CASH", given["refund"])
    assert back["shift_id"] == shift["id"]
    assert seat_statuses(client, show["id"])[seats[0]] == "AVAILABLE"
    tickets = client.get(f"/api/v1/bookings/{sold['id']}/tickets", headers=cashier).json()
    assert sorted(t["status"] for t in tickets["items"]) == ["REVOKED", "VALID"]
    invoice = client.get(f"/api/v1/bookings/{sold['id']}/invoice", headers=cashier).json()
    [note] = invoice["credit_notes"]
    assert note["totals"]["total"] == given["refund"] and note["refund_id"] is None
    assert note["invoice_number"] == invoice["number"]

    rest = refund(client, cashier, sold["id"])
    assert rest["status"] == "CANCELLED"
    assert len(rest["movements"]) == 3
    invoice = client.get(f"/api/v1/bookings/{sold['id']}/invoice", headers=cashier).json()
    assert len(invoice["credit_notes"]) == 2
    again = client.post(f"/api/v1/counter/sales/{sold['id']}/refund", headers=cashier)
    assert problem(again, 409)["type"].endswith("/illegal-transition")
    money_audit(client, db)
    documents_audit(db)


def test_only_counter_sales_are_refunded_at_the_counter_and_within_the_policy(
    client: httpx.Client, admin: Headers, db: Any
) -> None:
    theatre_id = policy_theatre(client, admin)
    soon = show_in(client, admin, theatre_id, 10)  # past the policy's last tier (20 min)
    cashier = make_cashier(client, admin, [theatre_id])
    open_shift(client, cashier, theatre_id)
    customer = register(client)
    online = pay(
        client,
        customer,
        hold_seats(client, customer, soon["id"], seats_of_type(client, soon["id"], "GOLD", 1)),
    )
    sold = sell(client, cashier, soon["id"], seats_of_type(client, soon["id"], "GOLD", 1))
    before = counts(db)
    shop = client.post(f"/api/v1/counter/sales/{online['id']}/refund", headers=cashier)
    assert problem(shop, 409)["type"].endswith("/not-a-counter-sale")
    late = client.post(f"/api/v1/counter/sales/{sold['id']}/refund", headers=cashier)
    assert problem(late, 409)["type"].endswith("/not-cancellable")
    stranger = client.post(
        f"/api/v1/counter/sales/{sold['id']}/refund",
        json={"seat_ids": ["00000000-0000-4000-8000-000000000000"]},
        headers=cashier,
    )
    problem(stranger, 422)
    assert counts(db) == before
    money_audit(client, db)
