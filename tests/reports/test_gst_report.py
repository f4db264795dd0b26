"""The monthly GST report (SPEC "Money", "Reports") against the bookings made, each line worked
out by hand from the SPEC's arithmetic: per rate, tickets apart from fees, credit notes
subtracted, and the numbers the month used."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from tests.api import Headers, problem, register
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
from tests.payments.checkout import pay

PRICES = {"VIP": 50000, "GOLD": 10000, "SILVER": 10500}


def this_month() -> str:
    return datetime.now(ZoneInfo("Asia/Kolkata")).strftime("%Y-%m")


def book(
    client: httpx.Client, db: Any, show_id: str, wanted: dict[str, int]
) -> tuple[Headers, str]:
    who = register(client)
    seats = [s for t, n in wanted.items() for s in seats_of_type(client, show_id, t, n)]
    pending = hold_seats(client, who, show_id, seats)
    freeze_charges(db, pending)
    return who, pay(client, who, pending)["id"]


def test_the_gst_report_sums_the_months_invoices_less_credit_notes(
    client: httpx.Client, admin: Headers, db: Any
) -> None:
    theatre_id = theatre(client, admin, convenience_fee=FEE)
    sale = show(client, admin, theatre_id, PRICES)
    made = [
        book(client, db, sale["id"], {"VIP": 1, "GOLD": 1}),
        book(client, db, sale["id"], {"SILVER": 2}),
        book(client, db, sale["id"], {"VIP": 1}),
    ]
    who, cancelled = made[2]
    assert client.post(f"/api/v1/bookings/{cancelled}/cancel", headers=who).status_code == 200
    # An unregistered theatre's receipts are no taxable supply of this one.
    elsewhere = show(client, admin, theatre(client, admin, registered=False))
    pay(
        client,
        who,
        hold_seats(client, who, elsewhere["id"], seats_of_type(client, elsewhere["id"], "GOLD", 1)),
    )

    params = {"theatre_id": theatre_id, "month": this_month()}
    response = client.get("/api/v1/admin/reports/gst", params=params, headers=admin)
    assert response.status_code == 200, response.text
    report = response.json()

    # Tickets, inclusive: VIP ₹500 at 18 % = 42373 + 3814 + 3813; GOLD ₹100 at 5 % = 9524 +
    # 238 + 238; SILVER ₹105 at 5 % = 10000 + 250 + 250. Fees, GST 18 % on top: VIP 10 % =
    # 5000 + 450 + 450; GOLD flat 1000 + 90 + 90; SILVER 10 % = 1050 + 95 + 94. The cancelled
    # VIP booking's credit note takes back its ticket; its customer cancelled, so the theatre
    # keeps the fee (SPEC "Convenience fee").
    zero = {"taxable": 0, "cgst": 0, "sgst": 0}
    assert report["rates"] == [
        {
            "rate_bp": 500,
            "tickets": {"taxable": 9524 + 2 * 10000, "cgst": 238 + 2 * 250, "sgst": 238 + 2 * 250},
            "fees": zero,
            "credited": {"tickets": zero, "fees": zero},
        },
        {
            "rate_bp": 1800,
            "tickets": {"taxable": 42373, "cgst": 3814, "sgst": 3813},
            "fees": {
                "taxable": 2 * 5000 + 1000 + 2 * 1050,
                "cgst": 2 * 450 + 90 + 2 * 95,
                "sgst": 2 * 450 + 90 + 2 * 94,
            },
            "credited": {
                "tickets": {"taxable": 42373, "cgst": 3814, "sgst": 3813},
                "fees": zero,
            },
        },
    ]
    assert report["totals"] == {
        "taxable": 29524 + 42373 + 13100,
        "cgst": 738 + 3814 + 1180,
        "sgst": 738 + 3813 + 1178,
    }
    year = this_year()
    assert report["documents"] == [
        {
            "series": "CREDIT_NOTE",
            "first": f"PLZ/CN/{year}/000001",
            "last": f"PLZ/CN/{year}/000001",
            "count": 1,
        },
        {
            "series": "TAX_INVOICE",
            "first": f"PLZ/{year}/000001",
            "last": f"PLZ/{year}/000003",
            "count": 3,
        },
    ]
    assert report["gstin"] == "27AAPFU0939F1ZV" and report["currency"] == "INR"

    # The same from the documents the customers hold: invoices less credit notes, per rate.
    held: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for who, booking_id in made:
        document = invoice(client, who, booking_id)
        for sign, lines in [(1, document["lines"])] + [
            (-1, n["lines"]) for n in document["credit_notes"]
        ]:
            for line in lines:
                for i, field in enumerate(("taxable", "cgst", "sgst")):
                    held[line["rate_bp"]][i] += sign * line[field]
    reported = {
        rate["rate_bp"]: [rate["tickets"][f] + rate["fees"][f] for f in ("taxable", "cgst", "sgst")]
        for rate in report["rates"]
    }
    assert reported == dict(held)

    documents_audit(db)

    as_csv = client.get(
        "/api/v1/admin/reports/gst", params={**params, "format": "csv"}, headers=admin
    )
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert rows[0] == [
        "supply",
        "rate_bp",
        "taxable",
        "cgst",
        "sgst",
        "series",
        "first",
        "last",
        "count",
    ]
    assert rows[1:] == [
        ["tickets", "500", "29524", "738", "738", "", "", "", ""],
        ["fees", "500", "0", "0", "0", "", "", "", ""],
        ["tickets", "1800", "42373", "3814", "3813", "", "", "", ""],
        ["fees", "1800", "13100", "1180", "1178", "", "", "", ""],
        [
            "documents",
            "",
            "",
            "",
            "",
            "CREDIT_NOTE",
            f"PLZ/CN/{year}/000001",
            f"PLZ/CN/{year}/000001",
            "1",
        ],
        [
            "documents",
            "",
            "",
            "",
            "",
            "TAX_INVOICE",
            f"PLZ/{year}/000001",
            f"PLZ/{year}/000003",
            "3",
        ],
    ]


def test_the_gst_report_refuses_bad_input_and_other_roles(
    client: httpx.Client, admin: Headers
) -> None:
    theatre_id = theatre(client, admin)
    path = "/api/v1/admin/reports/gst"
    empty = client.get(path, params={"theatre_id": theatre_id, "month": "2020-02"}, headers=admin)
    assert empty.status_code == 200
    assert empty.json()["rates"] == [] and empty.json()["documents"] == []
    for month in ("2026-13", "2026-1", "december"):
        problem(
            client.get(path, params={"theatre_id": theatre_id, "month": month}, headers=admin), 422
        )
    unknown = "00000000-0000-4000-8000-000000000000"
    problem(
        client.get(path, params={"theatre_id": unknown, "month": "2026-11"}, headers=admin), 404
    )
    customer = register(client)
    problem(
        client.get(path, params={"theatre_id": theatre_id, "month": "2026-11"}, headers=customer),
        403,
    )
