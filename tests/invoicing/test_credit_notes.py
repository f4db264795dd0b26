"""Credit notes (SPEC "Money", "Credit notes"): every refund of an invoiced booking's seats
issues one from its own gapless series, reversing exactly the lines refunded, listed on the
invoice and printable on its own."""

from __future__ import annotations

from typing import Any

import httpx
from tests.api import Headers, register
from tests.invoicing.helpers import (
    FEE,
    documents_audit,
    freeze_charges,
    hold_seats,
    invoice,
    seats_of_type,
    show,
    theatre,
    this_year,
)
from tests.payments.checkout import booking, pay
from tests.support.pdf import pdf_text

PRICES = {"VIP": 50000, "GOLD": 10000, "SILVER": 20000}


def test_a_booking_with_fees_is_invoiced_line_by_line_and_credited_in_full(
    client: httpx.Client, admin: Headers, db: Any
) -> None:
    theatre_id = theatre(client, admin, convenience_fee=FEE)
    sale = show(client, admin, theatre_id, PRICES)
    customer = register(client)
    seats = seats_of_type(client, sale["id"], "VIP", 1) + seats_of_type(
        client, sale["id"], "GOLD", 1
    )
    pending = hold_seats(client, customer, sale["id"], seats)
    freeze_charges(db, pending)
    booked = pay(client, customer, pending)
    assert booked["amount_total"] == 67080

    lines = invoice(client, customer, booked["id"])["lines"]
    # VIP ₹500: 18 % inside (42373 + 3814 + 3813); its fee 10 % = ₹50, GST 18 % on top (450 +
    # 450). GOLD ₹100: 5 % inside (9524 + 238 + 238); its fee a flat ₹10, GST 18 % (90 + 90).
    assert [
        (
            line["kind"],
            line["sac"],
            line["taxable"],
            line["rate_bp"],
            line["cgst"],
            line["sgst"],
            line["total"],
        )
        for line in sorted(lines, key=lambda line: -line["total"])
    ] == [
        ("TICKET", "999614", 42373, 1800, 3814, 3813, 50000),
        ("TICKET", "999614", 9524, 500, 238, 238, 10000),
        ("FEE", "998599", 5000, 1800, 450, 450, 5900),
        ("FEE", "998599", 1000, 1800, 90, 90, 1180),
    ]

    cancelled = client.post(f"/api/v1/bookings/{booked['id']}/cancel", headers=customer)
    assert cancelled.status_code == 200, cancelled.text

    document = invoice(client, customer, booked["id"])
    [note] = document["credit_notes"]
    assert note["number"] == f"PLZ/CN/{this_year()}/000001"
    assert note["invoice_number"] == document["number"]
    assert note["refund_id"] == cancelled.json()["refunds"][0]["id"]
    # Today's cancellation by its customer gives every ticket back in full (the default
    # policy: 100 % until an hour before the show) and keeps the fees: the credit note reverses
    # every ticket line.
    tickets = [line for line in document["lines"] if line["kind"] == "TICKET"]
    assert note["lines"] == tickets
    assert note["totals"]["total"] == cancelled.json()["refunds"][0]["amount"] == 60000

    pdf = client.get(note["pdf_url"], headers=customer)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    shown = pdf_text(pdf.content)
    assert "Credit note" in shown and note["number"] in shown and document["number"] in shown
    missing = client.get(
        f"/api/v1/bookings/{booked['id']}/credit-notes/{document['id']}.pdf", headers=customer
    )
    assert missing.status_code == 404
    documents_audit(db)


def test_a_cancelled_show_credits_every_invoiced_booking_from_one_series(
    client: httpx.Client, admin: Headers, db: Any
) -> None:
    theatre_id = theatre(client, admin)
    sale = show(client, admin, theatre_id, PRICES)
    customers = [register(client), register(client)]
    booked = [
        pay(
            client,
            who,
            hold_seats(client, who, sale["id"], seats_of_type(client, sale["id"], "GOLD", 2)),
        )
        for who in customers
    ]
    unpaid = hold_seats(
        client, customers[0], sale["id"], seats_of_type(client, sale["id"], "VIP", 1)
    )

    assert client.post(f"/api/v1/shows/{sale['id']}/cancel", headers=admin).status_code == 200

    numbers = []
    for who, paid in zip(customers, booked, strict=True):
        document = invoice(client, who, paid["id"])
        [note] = document["credit_notes"]
        assert note["lines"] == document["lines"] and note["reason"] == "show cancelled"
        assert note["totals"]["total"] == booking(client, who, paid["id"])["refunds"][0]["amount"]
        numbers.append(note["number"])
    assert sorted(numbers) == [f"PLZ/CN/{this_year()}/{n:06d}" for n in (1, 2)]
    assert client.get(f"/api/v1/bookings/{unpaid}/invoice", headers=customers[0]).status_code == 404
    documents_audit(db)
