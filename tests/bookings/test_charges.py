"""Each seat's charges frozen by the hold's claim (SPEC "Money", "Shapes"): the ticket's taxable
value, rate and GST halves, its convenience fee and the fee's GST, as the theatre's terms and the
rules of the hold's local date make them; the booking's `charges` the sums of its lines, and
`amount_total` = `grand_total` = what the payment order asks. A change of terms or prices after a
hold never alters it, and the next hold is charged by the new ones."""

from __future__ import annotations

from typing import Any

import httpx
from tests.api import Headers, register, set_theatre_prices
from tests.invoicing.helpers import FEE, hold_seats, invoice, seats_of_type, show, theatre
from tests.payments.checkout import booking, checkout, pay, start_payment, verify

from boxoffice.bookings.charges import LINE_COLUMNS

# SPEC's slabs since 2025-09-22 (5 % up to ₹100 of taxable value, 18 % above) and its fee (₹10 a
# ticket up to ₹100, 10 % of the price above, GST 18 % on top), prices including GST.
PRICES = {"VIP": 50000, "GOLD": 10000, "SILVER": 10500}
LINE = ("price", *LINE_COLUMNS)
VIP = (50000, 42373, 1800, 3814, 3813, 50000, 5000, 1800, 450, 450)  # 18 %; fee 10 %: 5900
GOLD = (10000, 9524, 500, 238, 238, 10000, 1000, 1800, 90, 90)  # 5 %; fee ₹10: 1180
# ₹105 inclusive is the 5 % slab exactly at its top: ₹100 taxable, ₹5 of GST; fee 10 % = ₹10.50.
SILVER = (10500, 10000, 500, 250, 250, 10500, 1050, 1800, 95, 94)


def lines(booked: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    return {s["seat_type"]: tuple(s[name] for name in LINE) for s in booked["seats"]}


def one_of_each(client: httpx.Client, show_id: str) -> list[str]:
    return [seats_of_type(client, show_id, kind, 1)[0] for kind in ("VIP", "GOLD", "SILVER")]


def test_a_hold_freezes_each_seats_charges_and_the_order_asks_their_grand_total(
    client: httpx.Client, admin: Headers
) -> None:
    sale = show(client, admin, theatre(client, admin, convenience_fee=FEE), PRICES)
    customer = register(client)

    held = client.post(
        "/api/v1/bookings",
        json={"show_id": sale["id"], "seat_ids": one_of_each(client, sale["id"])},
        headers=customer,
    )

    assert held.status_code == 201, held.text
    pending = held.json()
    assert lines(pending) == {"VIP": VIP, "GOLD": GOLD, "SILVER": SILVER}
    assert pending["charges"] == {
        "tickets": {"taxable": 61897, "cgst": 4302, "sgst": 4301, "total": 70500},
        "fees": {"taxable": 7050, "cgst": 635, "sgst": 634, "total": 8319},
        "grand_total": 78819,
    }
    assert pending["amount_total"] == 78819
    assert booking(client, customer, pending["id"])["charges"] == pending["charges"]

    order = start_payment(client, customer, pending["id"])
    assert order.status_code == 201, order.text
    assert order.json()["amount"] == 78819
    verified = verify(client, customer, checkout(client, order.json()["order_id"]))
    assert verified.status_code == 200, verified.text
    booked = verified.json()
    assert booked["status"] == "BOOKED" and lines(booked) == lines(pending)
    assert invoice(client, customer, booked["id"])["totals"]["total"] == 78819


def test_best_available_seats_carry_their_charges_too(client: httpx.Client, admin: Headers) -> None:
    sale = show(client, admin, theatre(client, admin, convenience_fee=FEE), PRICES)

    held = client.post(
        "/api/v1/bookings",
        json={"show_id": sale["id"], "quantity": 2, "seat_type": "GOLD"},
        headers=register(client),
    )

    assert held.status_code == 201, held.text
    assert [tuple(s[name] for name in LINE) for s in held.json()["seats"]] == [GOLD, GOLD]
    assert held.json()["amount_total"] == held.json()["charges"]["grand_total"] == 2 * 11180


def test_new_terms_or_prices_charge_the_next_hold_and_never_one_already_held(
    client: httpx.Client, admin: Headers
) -> None:
    theatre_id = theatre(client, admin, convenience_fee=FEE)
    sale = show(client, admin, theatre_id, PRICES)
    customer = register(client)
    first = hold_seats(client, customer, sale["id"], seats_of_type(client, sale["id"], "GOLD", 1))
    before = booking(client, customer, first)

    # The process's charge table of the show predates both changes: the claim finds it stale
    # (the theatre's terms version, then a price it lacks) and the hold is charged anew.
    no_fee = client.patch(
        f"/api/v1/theatres/{theatre_id}", json={"convenience_fee": []}, headers=admin
    )
    assert no_fee.status_code == 200, no_fee.text
    second = client.post(
        "/api/v1/bookings",
        json={"show_id": sale["id"], "seat_ids": seats_of_type(client, sale["id"], "GOLD", 1)},
        headers=register(client),
    ).json()
    assert lines(second)["GOLD"] == (*GOLD[:6], 0, 1800, 0, 0)
    assert second["amount_total"] == 10000

    set_theatre_prices(client, admin, theatre_id, {**PRICES, "GOLD": 20000})
    third = client.post(
        "/api/v1/bookings",
        json={"show_id": sale["id"], "seat_ids": seats_of_type(client, sale["id"], "GOLD", 1)},
        headers=register(client),
    ).json()
    assert lines(third)["GOLD"] == (20000, 16949, 1800, 1526, 1525, 20000, 0, 1800, 0, 0)

    assert booking(client, customer, first) == before
    assert pay(client, customer, first)["amount_total"] == 11180


def test_a_theatre_without_gstin_charges_no_gst_and_exclusive_prices_add_it(
    client: httpx.Client, admin: Headers
) -> None:
    unregistered = show(client, admin, theatre(client, admin, False, convenience_fee=FEE), PRICES)
    held = client.post(
        "/api/v1/bookings",
        json={"show_id": unregistered["id"], "seat_ids": one_of_each(client, unregistered["id"])},
        headers=register(client),
    ).json()
    assert lines(held)["VIP"] == (50000, 50000, 0, 0, 0, 50000, 5000, 0, 0, 0)
    assert held["charges"]["tickets"] == {"taxable": 70500, "cgst": 0, "sgst": 0, "total": 70500}
    assert held["amount_total"] == 70500 + 5000 + 1000 + 1050

    exclusive = show(client, admin, theatre(client, admin, prices_include_tax=False), PRICES)
    held = client.post(
        "/api/v1/bookings",
        json={"show_id": exclusive["id"], "seat_ids": one_of_each(client, exclusive["id"])},
        headers=register(client),
    ).json()
    # GST on top, the slab by the price itself: ₹100 is within the 5 % slab, ₹105 above it.
    assert lines(held) == {
        "VIP": (50000, 50000, 1800, 4500, 4500, 59000, 0, 1800, 0, 0),
        "GOLD": (10000, 10000, 500, 250, 250, 10500, 0, 1800, 0, 0),
        "SILVER": (10500, 10500, 1800, 945, 945, 12390, 0, 1800, 0, 0),
    }
    assert held["amount_total"] == 59000 + 10500 + 12390
