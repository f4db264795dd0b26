"""The GST report reads the summary the invoicing domain keeps (migration 0027): its figures
are still the sums of the documents' own lines, as a customer's invoices and credit notes show
them, month by month in the theatre's timezone: invoices, a full cancellation, two partial
ones, the next month's sales (the clock moved), another theatre's and an unregistered one's
documents apart."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from alembic.script import ScriptDirectory
from tests.api import ADMIN_PASSWORD, Headers, login, register
from tests.bookings.money_helpers import paid_seats, policy_theatre, show_in
from tests.bookings.test_partial_cancellation import cancel, seat_of
from tests.conftest import TEST_JWT_SECRET, LiveServer
from tests.db.test_migrations import _on, application_steps
from tests.invoicing.helpers import documents_audit, invoice
from tests.support.servers import run_boxoffice, server_env

from boxoffice.clock import Clock
from boxoffice.db.migrate import alembic_config

FIELDS = ("taxable", "cgst", "sgst")
ZONE = ZoneInfo("Asia/Kolkata")  # the test theatres'
PASSWORD = "correct-horse-9"  # `register`'s


def month_of(issued_at: str) -> str:
    return datetime.fromisoformat(issued_at).astimezone(ZONE).strftime("%Y-%m")


def from_the_lines(documents: list[dict[str, Any]], month: str) -> list[dict[str, Any]]:
    """The report's `rates` worked out from the invoices' and credit notes' own lines issued in
    `month`: per rate, tickets apart from fees, credit notes subtracted and shown apart."""
    sums: dict[tuple[int, bool, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for document in documents:
        assert document["kind"] == "TAX_INVOICE"
        for credit, issued in [(False, document)] + [(True, n) for n in document["credit_notes"]]:
            if month_of(issued["issued_at"]) != month:
                continue
            for line in issued["lines"]:
                row = sums[line["rate_bp"], credit, line["kind"]]
                for i, field in enumerate(FIELDS):
                    row[i] += line[field]

    def tax(rate_bp: int, credit: bool, kind: str) -> dict[str, int]:
        return dict(zip(FIELDS, sums.get((rate_bp, credit, kind), [0, 0, 0]), strict=True))

    def net(rate_bp: int, kind: str) -> dict[str, int]:
        issued, credited = tax(rate_bp, False, kind), tax(rate_bp, True, kind)
        return {field: issued[field] - credited[field] for field in FIELDS}

    return [
        {
            "rate_bp": rate_bp,
            "tickets": net(rate_bp, "TICKET"),
            "fees": net(rate_bp, "FEE"),
            "credited": {
                "tickets": tax(rate_bp, True, "TICKET"),
                "fees": tax(rate_bp, True, "FEE"),
            },
        }
        for rate_bp in sorted({rate_bp for rate_bp, _, _ in sums})
    ]


def gst_report(client: httpx.Client, admin: Headers, theatre_id: str, month: str) -> Any:
    response = client.get(
        "/api/v1/admin/reports/gst",
        params={"theatre_id": theatre_id, "month": month},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_the_gst_report_is_the_sum_of_the_documents_lines_month_by_month(
    client: httpx.Client, admin: Headers, clock: Clock, live_server: LiveServer, db: Any
) -> None:
    theatre_id = policy_theatre(client, admin)
    # Shows 40 days ahead: sold now, and again once the clock has moved to the next month.
    sale = show_in(client, admin, theatre_id, 40 * 24 * 60)
    emails: list[str] = []
    made: list[tuple[Headers, str]] = []
    for seat_types in [("VIP", "GOLD"), ("SILVER", "GOLD"), ("VIP", "GOLD", "SILVER")]:
        emails.append(f"gst-{uuid.uuid4().hex[:8]}@example.com")
        who = register(client, emails[-1])
        made.append((who, paid_seats(client, who, sale["id"], *seat_types)["id"]))
    # A full cancellation, and a partial one.
    who, booking_id = made[0]
    assert client.post(f"/api/v1/bookings/{booking_id}/cancel", headers=who).status_code == 200
    who, booking_id = made[2]
    kept = client.get(f"/api/v1/bookings/{booking_id}", headers=who).json()
    assert cancel(client, who, booking_id, [seat_of(kept, "GOLD")]).status_code == 200

    # Neither another registered theatre's documents nor an unregistered one's receipts count.
    for other in (policy_theatre(client, admin), policy_theatre(client, admin, registered=False)):
        elsewhere = show_in(client, admin, other, 40 * 24 * 60)
        buyer = register(client)
        sold = paid_seats(client, buyer, elsewhere["id"], "GOLD", "SILVER")
        assert cancel(client, buyer, sold["id"], [seat_of(sold, "GOLD")]).status_code == 200
    first_month = datetime.now(ZONE).strftime("%Y-%m")

    # The next month (tokens signed before it have expired: signed in again): another sale,
    # and another partial cancellation of last month's booking.
    clock.advance(timedelta(days=32))
    admin = login(client, "admin@example.com", ADMIN_PASSWORD)
    who = register(client)
    made.append((who, paid_seats(client, who, sale["id"], "VIP", "SILVER")["id"]))
    who, booking_id = login(client, emails[2], PASSWORD), made[2][1]
    kept = client.get(f"/api/v1/bookings/{booking_id}", headers=who).json()
    assert cancel(client, who, booking_id, [seat_of(kept, "SILVER")]).status_code == 200
    next_month = (datetime.now(ZONE) + timedelta(days=32)).strftime("%Y-%m")
    assert next_month != first_month
    live_server.wait_until_quiet()

    documents = [invoice(client, admin, booking_id) for _, booking_id in made]
    for month in (first_month, next_month):
        report = gst_report(client, admin, theatre_id, month)
        expected = from_the_lines(documents, month)
        assert expected and report["rates"] == expected, (month, report["rates"], expected)
        assert report["totals"] == {
            field: sum(r["tickets"][field] + r["fees"][field] for r in expected) for field in FIELDS
        }
    # Credit notes in both months: the partial refunds were summarised where they were issued.
    for month in (first_month, next_month):
        assert any(r["credited"]["tickets"]["taxable"] for r in from_the_lines(documents, month))
    assert gst_report(client, admin, theatre_id, "2020-02")["rates"] == []
    documents_audit(db)  # the summary is the lines' sums, for every theatre and month


def _sold_and_partly_cancelled(
    client: httpx.Client, admin: Headers, given_back: str
) -> tuple[str, str, list[dict[str, Any]]]:
    """A theatre's booking of a VIP, a GOLD and a SILVER seat, one given back: the theatre, this
    month, and the report's rates worked out from its invoice's and credit note's lines."""
    theatre_id = policy_theatre(client, admin)
    sale = show_in(client, admin, theatre_id, 2 * 24 * 60)
    who = register(client)
    paid = paid_seats(client, who, sale["id"], "VIP", "GOLD", "SILVER")
    assert cancel(client, who, paid["id"], [seat_of(paid, given_back)]).status_code == 200
    month = datetime.now(ZONE).strftime("%Y-%m")
    return theatre_id, month, from_the_lines([invoice(client, who, paid["id"])], month)


def test_gst_summary_rebuilds_the_months_from_the_lines(
    client: httpx.Client, admin: Headers, db: Any
) -> None:
    """What a process of the release before 0027 issued after the migration was never
    summarised: `boxoffice gst-summary --since` rebuilds those months from the lines."""
    theatre_id, month, expected = _sold_and_partly_cancelled(client, admin, "GOLD")
    assert gst_report(client, admin, theatre_id, month)["rates"] == expected
    db.execute("DELETE FROM gst_summary")  # as the previous release left them
    assert gst_report(client, admin, theatre_id, month)["rates"] == []

    since = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    done = run_boxoffice(server_env(db.url, TEST_JWT_SECRET), "gst-summary", "--since", since)
    assert done.returncode == 0, done.stderr
    assert "theatre-months rebuilt" in done.stdout
    assert gst_report(client, admin, theatre_id, month)["rates"] == expected
    documents_audit(db)


def test_the_migration_fills_the_summary_from_the_lines_written_before_it(
    client: httpx.Client, admin: Headers, db: Any
) -> None:
    """The summary's migration, down and up again on a database with documents, fills it from
    their lines as the invoicing service would have kept it."""
    theatre_id, month, expected = _sold_and_partly_cancelled(client, admin, "SILVER")
    before = gst_report(client, admin, theatre_id, month)
    assert before["rates"] == expected

    script = ScriptDirectory.from_config(alembic_config())
    [summary] = [
        revision
        for revision in script.walk_revisions()
        if str(revision.path).endswith("_gst_summary.py")
    ]
    steps = application_steps(("downgrade", str(summary.down_revision)), ("upgrade", "head"))
    _on(db.url, steps)
    assert gst_report(client, admin, theatre_id, month) == before
    documents_audit(db)
