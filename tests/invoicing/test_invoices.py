"""Tax invoices and receipts (SPEC "Money", "Tax invoice"): one per booking as it becomes BOOKED,
whichever path books it, numbered from a gapless series per theatre and financial year, its
lines the GST of each ticket worked out by hand here from the SPEC's arithmetic."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
from tests.api import Headers, problem, register
from tests.invoicing.helpers import (
    REGISTRATION,
    documents_audit,
    hold_seats,
    invoice,
    paid,
    seats_of_type,
    show,
    theatre,
    this_year,
)
from tests.payments.checkout import (
    booking,
    checkout,
    eventually,
    pay,
    payment_event,
    send_webhook,
    start_payment,
    verify,
)
from tests.payments.test_reconciliation import run_worker_pass
from tests.support.pdf import pdf_text
from tests.tickets.helpers import hold, make_staff

from boxoffice.invoicing.links import invoice_key
from boxoffice.payments.reconcile import GRACE

# Inclusive prices at both slabs of 2025-09-22 (5 % up to a taxable ₹100, 18 % above) and at
# the boundary: ₹105 inclusive is ₹100 taxable at 5 %.
PRICES = {"VIP": 50000, "GOLD": 10000, "SILVER": 10500}
# price -> (taxable, rate_bp, cgst, sgst): taxable = round_half_up(price * 10000 / (10000 +
# rate)), tax = price - taxable, CGST takes the odd paisa.
#   50000 * 10000 / 11800 = 42372.88 -> 42373, tax 7627 = 3814 + 3813
#   10000 * 10000 / 10500 =  9523.81 ->  9524, tax  476 =  238 +  238
#   10500 * 10000 / 10500 = 10000             , tax  500 =  250 +  250
EXPECTED = {
    "VIP": (42373, 1800, 3814, 3813),
    "GOLD": (9524, 500, 238, 238),
    "SILVER": (10000, 500, 250, 250),
}


def one_of_each(client: httpx.Client, show_id: str) -> list[str]:
    return [seats_of_type(client, show_id, seat_type, 1)[0] for seat_type in PRICES]


def test_a_registered_theatre_issues_tax_invoices_numbered_from_one(
    client: httpx.Client, admin: Headers
) -> None:
    theatre_id = theatre(client, admin)
    sale = show(client, admin, theatre_id, PRICES)
    customer = register(client)
    first = pay(
        client, customer, hold_seats(client, customer, sale["id"], one_of_each(client, sale["id"]))
    )
    second = paid(client, customer, sale["id"], 1)

    document = invoice(client, customer, first["id"])
    assert document["kind"] == "TAX_INVOICE"
    assert document["number"] == f"PLZ/{this_year()}/000001"
    assert invoice(client, customer, second["id"])["number"] == f"PLZ/{this_year()}/000002"
    assert document["booking_id"] == first["id"]
    assert document["supplier"] == {
        "legal_name": REGISTRATION["legal_name"],
        "address": "Lower Parel, Mumbai",
        "gstin": REGISTRATION["gstin"],
        "state_code": "27",
    }
    assert document["recipient"]["email"].endswith("@example.com")
    assert document["place_of_supply"] == "27-Maharashtra"
    assert document["sac"] == "999614"
    types = {seat["seat_id"]: seat["seat_type"] for seat in first["seats"]}
    by_type = {types[line["seat_id"]]: line for line in document["lines"]}
    for seat_type, (taxable, rate_bp, cgst, sgst) in EXPECTED.items():
        line = by_type[seat_type]
        assert (line["taxable"], line["rate_bp"], line["cgst"], line["sgst"]) == (
            taxable,
            rate_bp,
            cgst,
            sgst,
        )
        assert line["total"] == PRICES[seat_type]
        assert line["sac"] == "999614" and line["kind"] == "TICKET"
        assert seat_type in line["description"]
    assert document["totals"] == {
        "taxable": 42373 + 9524 + 10000,
        "cgst": 3814 + 238 + 250,
        "sgst": 3813 + 238 + 250,
        "total": 70500,
    }
    assert document["totals"]["total"] == first["amount_total"]
    assert document["credit_notes"] == []


def test_an_unregistered_theatre_issues_receipts_without_gst(
    client: httpx.Client, admin: Headers
) -> None:
    theatre_id = theatre(client, admin, registered=False)
    sale = show(client, admin, theatre_id)
    customer = register(client)
    booked = paid(client, customer, sale["id"], 2)

    receipt = invoice(client, customer, booked["id"])

    assert receipt["kind"] == "RECEIPT"
    assert receipt["number"] == f"INV/RC/{this_year()}/000001"
    assert receipt["supplier"]["gstin"] is None and receipt["place_of_supply"] is None
    prices = {seat["seat_id"]: seat["price"] for seat in booked["seats"]}
    for line in receipt["lines"]:
        assert (line["rate_bp"], line["cgst"], line["sgst"]) == (0, 0, 0)
        assert line["taxable"] == line["total"] == prices[line["seat_id"]]
    assert receipt["totals"]["total"] == booked["amount_total"]


def test_the_owner_admins_and_the_theatres_staff_read_it_others_do_not(
    client: httpx.Client, admin: Headers
) -> None:
    theatre_id = theatre(client, admin)
    sale = show(client, admin, theatre_id, PRICES)
    customer = register(client)
    booked = paid(client, customer, sale["id"], 1)
    pending = hold(client, customer, sale["id"], 1)
    here = make_staff(client, admin, [theatre_id])
    elsewhere = make_staff(client, admin, [theatre(client, admin, registered=False)])
    path = f"/api/v1/bookings/{booked['id']}/invoice"

    for reader in (customer, admin, here):
        assert client.get(path, headers=reader).status_code == 200
        assert client.get(f"{path}.pdf", headers=reader).status_code == 200
    problem(client.get(path, headers=register(client)), 404)
    problem(client.get(path), 401)
    problem(client.get(path, headers=elsewhere), 403)
    not_yet = problem(
        client.get(f"/api/v1/bookings/{pending['id']}/invoice", headers=customer), 404
    )
    assert not_yet["type"].endswith("/invoice-not-found")


def test_the_pdf_is_a_pdf_that_names_the_invoice(client: httpx.Client, admin: Headers) -> None:
    theatre_id = theatre(client, admin)
    sale = show(client, admin, theatre_id, PRICES)
    customer = register(client)
    booked = pay(
        client, customer, hold_seats(client, customer, sale["id"], one_of_each(client, sale["id"]))
    )
    number = invoice(client, customer, booked["id"])["number"]

    response = client.get(f"/api/v1/bookings/{booked['id']}/invoice.pdf", headers=customer)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    shown = pdf_text(response.content)
    for text in ("Tax invoice", number, REGISTRATION["legal_name"], REGISTRATION["gstin"]):
        assert text in shown
    assert "27-Maharashtra" in shown
    assert "INR 705.00" in shown and "INR 423.73" in shown and "18 %" in shown


def test_the_emails_signed_link_opens_only_its_own_bookings_invoice(
    client: httpx.Client, admin: Headers, live_server: Any
) -> None:
    """The confirmation email's link carries a key signed for one booking's invoice (a mail
    client sends no token): it opens that PDF and nothing else, and is never a bearer token."""
    theatre_id = theatre(client, admin)
    sale = show(client, admin, theatre_id, PRICES)
    seats = one_of_each(client, sale["id"])
    customer = register(client)
    mine = pay(client, customer, hold_seats(client, customer, sale["id"], seats[:1]))
    other = pay(client, customer, hold_seats(client, customer, sale["id"], seats[1:2]))
    secret = live_server.settings.jwt_secret.get_secret_value()
    key = invoice_key(secret, uuid.UUID(mine["id"]))
    pdf_of = "/api/v1/bookings/{}/invoice.pdf"

    opened = httpx.get(f"{live_server.url}{pdf_of.format(mine['id'])}", params={"key": key})
    assert opened.status_code == 200 and opened.headers["content-type"] == "application/pdf"
    assert invoice(client, customer, mine["id"])["number"] in pdf_text(opened.content)

    for booking_id, wrong in ((other["id"], key), (mine["id"], key[:-2] + "xx")):
        refused = httpx.get(f"{live_server.url}{pdf_of.format(booking_id)}", params={"key": wrong})
        problem(refused, 404)
    problem(httpx.get(f"{live_server.url}{pdf_of.format(mine['id'])}"), 401)
    as_token = {"Authorization": f"Bearer {key}"}
    problem(client.get(f"/api/v1/bookings/{mine['id']}/invoice", headers=as_token), 401)


def test_every_path_that_books_issues_the_invoice(
    client: httpx.Client, admin: Headers, clock: Any, live_server: Any, db: Any
) -> None:
    """Verify, the provider's webhooks, the worker's reconciliation, a late payment whose seats
    are still free: each books in one transaction, and that transaction issues the invoice."""
    theatre_id = theatre(client, admin)
    sale = show(client, admin, theatre_id, PRICES)
    customer = register(client)

    by_verify = paid(client, customer, sale["id"], 1)["id"]
    by_webhook = hold(client, customer, sale["id"], 1)["id"]
    checkout(
        client,
        start_payment(client, customer, by_webhook).json()["order_id"],
        deliver_webhooks=True,
    )
    assert eventually(lambda: booking(client, customer, by_webhook)["status"] == "BOOKED")
    by_worker = hold(client, customer, sale["id"], 1)["id"]
    checkout(client, start_payment(client, customer, by_worker).json()["order_id"])
    clock.advance(GRACE + timedelta(seconds=1))
    assert run_worker_pass(live_server) == 1
    late = hold(client, customer, sale["id"], 1)["id"]
    order = start_payment(client, customer, late).json()
    clock.advance(timedelta(seconds=live_server.settings.hold_ttl_seconds + 1))
    assert verify(client, customer, checkout(client, order["order_id"])).status_code == 200

    numbers = [
        invoice(client, customer, b)["number"] for b in (by_verify, by_webhook, by_worker, late)
    ]
    assert numbers == [f"PLZ/{this_year()}/{n:06d}" for n in (1, 2, 3, 4)]
    documents_audit(db)


def test_a_payment_that_books_nothing_gets_no_invoice_nor_credit_note(
    client: httpx.Client, admin: Headers, clock: Any, live_server: Any, db: Any
) -> None:
    """A late payment whose seats were taken, and a second payment for a paid order, are
    refunded in full: they paid for no seat, so no document is issued for them."""
    theatre_id = theatre(client, admin)
    sale = show(client, admin, theatre_id, PRICES)
    slow, quick = register(client), register(client)
    seat = seats_of_type(client, sale["id"], "VIP", 1)
    late = hold_seats(client, slow, sale["id"], seat)
    order = start_payment(client, slow, late).json()
    clock.advance(timedelta(seconds=live_server.settings.hold_ttl_seconds + 1))
    hold_seats(client, quick, sale["id"], seat)
    problem(verify(client, slow, checkout(client, order["order_id"])), 409)
    problem(client.get(f"/api/v1/bookings/{late}/invoice", headers=slow), 404)

    booked = paid(client, quick, sale["id"], 1)
    first = booking(client, quick, booked["id"])["payment"]
    twice = payment_event(
        "payment.captured", first["order_id"], "pay_second0000001", first["amount"]
    )
    assert send_webhook(client, twice).status_code == 200
    assert eventually(lambda: booking(client, quick, booked["id"])["refunds"])

    assert invoice(client, quick, booked["id"])["credit_notes"] == []
    documents = db.query("SELECT series, count(*) FROM documents GROUP BY series")
    assert [tuple(row) for row in documents] == [("TAX_INVOICE", 1)]
