"""Theatres registered for GST, paid bookings, and documents read as a customer would."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from tests.api import (
    Headers,
    create_movie,
    create_screen,
    create_show,
    create_theatre,
    future,
    set_theatre_prices,
)
from tests.money.test_theatre_terms import REGISTRATION
from tests.payments.checkout import pay
from tests.tickets.helpers import hold

from boxoffice.money import gst
from boxoffice.money.charges import seat_columns
from boxoffice.money.tax import FeeSlab, Slab, Terms


def theatre(client: httpx.Client, admin: Headers, registered: bool = True, **terms: Any) -> str:
    """A theatre in Mumbai (Maharashtra, 27), registered for GST unless told otherwise."""
    theatre_id = str(create_theatre(client, admin)["id"])
    body = {**(REGISTRATION if registered else {}), **terms}
    if body:
        response = client.patch(f"/api/v1/theatres/{theatre_id}", json=body, headers=admin)
        assert response.status_code == 200, response.text
    return theatre_id


def show(
    client: httpx.Client,
    admin: Headers,
    theatre_id: str,
    prices: dict[str, int] | None = None,
    *,
    rows: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A show of the theatre two days ahead, at these prices."""
    set_theatre_prices(client, admin, theatre_id, prices)
    screen = create_screen(client, admin, theatre_id, rows, name=f"Audi {uuid.uuid4().hex[:6]}")
    movie = create_movie(client, admin, title=f"Film {uuid.uuid4().hex[:6]}")
    starts = future(datetime.now().astimezone())
    return create_show(client, admin, movie["id"], screen["id"], starts)


def seats_of_type(client: httpx.Client, show_id: str, seat_type: str, count: int) -> list[str]:
    seats = client.get(f"/api/v1/shows/{show_id}/seats").json()["seats"]
    free = [s["id"] for s in seats if s["seat_type"] == seat_type and s["status"] == "AVAILABLE"]
    return free[:count]


def hold_seats(client: httpx.Client, who: Headers, show_id: str, seat_ids: list[str]) -> str:
    response = client.post(
        "/api/v1/bookings", json={"show_id": show_id, "seat_ids": seat_ids}, headers=who
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def invoice(client: httpx.Client, who: Headers, booking_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/bookings/{booking_id}/invoice", headers=who)
    assert response.status_code == 200, response.text
    return dict(response.json())


def this_year() -> str:
    return gst.financial_year_at(datetime.now().astimezone(), "Asia/Kolkata")


def paid(client: httpx.Client, who: Headers, show_id: str, count: int = 2) -> dict[str, Any]:
    """A BOOKED booking of `count` free seats, paid as a customer pays."""
    return pay(client, who, hold(client, who, show_id, count)["id"])


# The fee schedule of SPEC "Convenience fee": ₹10 a ticket up to ₹100, 10 % above.
FEE = [{"up_to": 10000, "amount": 1000}, {"up_to": None, "rate_bp": 1000}]
TERMS = Terms(
    registered=True,
    prices_include_tax=True,
    admission=(Slab(10000, 500), Slab(None, 1800)),
    fee_tax=(Slab(None, 1800),),
    fee_schedule=tuple(FeeSlab(**slab) for slab in FEE),
)


def freeze_charges(db: Any, booking_id: str, terms: Terms = TERMS) -> None:
    """What the hold's claim is to write with the seats (issue 23's "charges", not merged yet):
    each seat's charges under `terms`, and the booking's total their sum."""
    booking = db.id(booking_id)
    total = 0
    for seat_id, price in db.query(
        "SELECT seat_id, price FROM booking_seats WHERE booking_id = :b", b=booking
    ):
        columns = seat_columns(price, terms)
        total += (
            columns["ticket_total"] + columns["fee"] + columns["fee_cgst"] + columns["fee_sgst"]
        )
        assignments = ", ".join(f"{name} = :{name}" for name in columns)
        db.execute(
            f"UPDATE booking_seats SET {assignments} WHERE booking_id = :b AND seat_id = :s",
            b=booking,
            s=seat_id,
            **columns,
        )
    db.execute("UPDATE bookings SET amount_total = :t WHERE id = :b", t=total, b=booking)


def documents_audit(db: Any) -> None:
    """Every document committed is numbered; each series runs 1..N with no gap or repeat and its
    counter reads N; each invoice's total less its credit notes' is what the theatre keeps of
    the booking's payment (captured less the refunds owed on it); the reports' per-show split of
    `gross` equals the show's invoices."""
    for series_key, serials, counter in _series(db):
        assert None not in serials, series_key
        assert sorted(serials) == list(range(1, len(serials) + 1)), (series_key, sorted(serials))
        assert counter == len(serials), (series_key, counter, len(serials))
    kept = db.query(
        """
        SELECT d.booking_id, d.total - COALESCE((SELECT SUM(c.total) FROM documents c
                                                 WHERE c.invoice_id = d.id), 0),
               p.amount - COALESCE((SELECT SUM(r.amount) FROM refunds r
                                    WHERE r.payment_id = p.id
                                      AND r.provider_payment_id = p.payment_id), 0)
        FROM documents d JOIN payments p ON p.booking_id = d.booking_id
        WHERE d.series <> 'CREDIT_NOTE'
        """
    )
    for booking_id, invoiced, paid in kept:
        assert invoiced == paid, (booking_id, invoiced, paid)
    rows = db.query(
        """
        SELECT s.show_id, s.taxable + s.cgst + s.sgst + s.fees,
               (SELECT COALESCE(SUM(d.total), 0) FROM documents d
                JOIN bookings b ON b.id = d.booking_id
                WHERE b.show_id = s.show_id AND d.series <> 'CREDIT_NOTE')
        FROM show_sales s
        """
    )
    for show_id, split, invoiced in rows:
        assert split == invoiced, (show_id, split, invoiced)
    assert _gst_summary(db) == _gst_lines(db)


def _gst_summary(db: Any) -> dict[tuple[str, ...], tuple[int, ...]]:
    """The GST summary the invoicing domain keeps (migration 0027), its empty rows left out."""
    return {
        (str(theatre_id), month, series, kind, str(rate_bp)): (int(t), int(c), int(s))
        for theatre_id, month, series, kind, rate_bp, t, c, s in db.query(
            "SELECT theatre_id, month, series, kind, rate_bp, taxable, cgst, sgst FROM gst_summary"
        )
        if (t, c, s) != (0, 0, 0)
    }


def _gst_lines(db: Any) -> dict[tuple[str, ...], tuple[int, ...]]:
    """The same sums from the lines of the documents carrying a GSTIN, each in the month of
    its issue in its theatre's timezone."""
    sums: dict[tuple[str, ...], list[int]] = {}
    for theatre_id, zone, issued_at, series, kind, rate_bp, *amounts in db.query(
        """
        SELECT d.theatre_id, t.timezone, d.issued_at, d.series, l.kind, l.rate_bp,
               l.taxable, l.cgst, l.sgst
        FROM documents d JOIN theatres t ON t.id = d.theatre_id
        JOIN document_lines l ON l.document_id = d.id
        WHERE d.gstin IS NOT NULL
        """
    ):
        instant = (
            issued_at if isinstance(issued_at, datetime) else datetime.fromisoformat(issued_at)
        )
        if instant.tzinfo is None:  # SQLite: naive UTC text
            instant = instant.replace(tzinfo=UTC)
        month = instant.astimezone(ZoneInfo(zone)).strftime("%Y-%m")
        row = sums.setdefault((str(theatre_id), month, series, kind, str(rate_bp)), [0, 0, 0])
        for i, amount in enumerate(amounts):
            row[i] += int(amount)
    return {key: tuple(row) for key, row in sums.items() if tuple(row) != (0, 0, 0)}


def _series(db: Any) -> list[tuple[tuple[Any, ...], list[int | None], int]]:
    found: dict[tuple[Any, ...], list[int | None]] = {}
    for theatre_id, year, series, serial in db.query(
        "SELECT theatre_id, financial_year, series, serial FROM documents"
    ):
        found.setdefault((str(theatre_id), year, series), []).append(serial)
    counters = {
        (str(t), y, s): n
        for t, y, s, n in db.query(
            "SELECT theatre_id, financial_year, series, last_serial FROM document_counters"
        )
    }
    assert set(counters) == set(found)
    return [(key, serials, counters[key]) for key, serials in found.items()]
