"""Retention (issue 28): `boxoffice archive --before DATE` drops the seat rows of shows that ended
before DATE; their bookings, payments, invoices and reports stay, and their seat map answers 410.
Through the command line and the public API, on both engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from tests.api import Headers, problem, ready_show, register, seat_ids
from tests.conftest import TEST_JWT_SECRET
from tests.payments.checkout import pay
from tests.support.servers import run_boxoffice, server_env


def archive(db: Any, *args: str, **env: str) -> str:
    done = run_boxoffice(server_env(db.url, TEST_JWT_SECRET, **env), "archive", *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def ended_days_ago(db: Any, show_id: str, days: int) -> str:
    """Moves a show into the past (the command reads the real time): the theatre-local date of
    its start."""
    starts = datetime.now(UTC) - timedelta(days=days)
    values = {"starts": starts, "ends": starts + timedelta(hours=3)}
    if db.is_sqlite:
        values = {key: value.replace(tzinfo=None) for key, value in values.items()}
    db.execute(
        "UPDATE shows SET starts_at = :starts, ends_at = :ends WHERE id = :show",
        show=db.id(show_id),
        **values,
    )
    return (starts + timedelta(hours=5, minutes=30)).date().isoformat()


def kept(
    client: httpx.Client,
    admin: Headers,
    who: Headers,
    show: dict[str, Any],
    day: str,
    booking_id: str,
) -> dict[str, Any]:
    """What archiving must not change: the booking, its invoice, the show's and the day's
    reports, and the customer's list."""
    reads = {
        "booking": client.get(f"/api/v1/bookings/{booking_id}", headers=who),
        "invoice": client.get(f"/api/v1/bookings/{booking_id}/invoice", headers=who),
        "mine": client.get("/api/v1/me/bookings", headers=who),
        "sales": client.get(
            "/api/v1/admin/reports/sales",
            params={"theatre_id": show["theatre_id"], "from": day, "to": day},
            headers=admin,
        ),
    }
    for name, response in reads.items():
        assert response.status_code == 200, (name, response.text)
    return {name: response.json() for name, response in reads.items()}


def test_archiving_drops_an_ended_shows_seats_and_keeps_its_sales(
    client: httpx.Client, db: Any, admin: Headers
) -> None:
    show, upcoming = ready_show(client, admin), ready_show(client, admin)
    who = register(client)
    held = client.post(
        "/api/v1/bookings",
        json={"show_id": show["id"], "seat_ids": seat_ids(client, show["id"])[:2]},
        headers=who,
    )
    assert held.status_code == 201, held.text
    booking_id = held.json()["id"]
    assert pay(client, who, booking_id)["status"] == "BOOKED"
    day = ended_days_ago(db, show["id"], days=3)
    before = kept(client, admin, who, show, day, booking_id)
    report = client.get(f"/api/v1/admin/shows/{show['id']}/report", headers=admin)
    assert report.status_code == 200, report.text

    today = datetime.now(UTC).date()
    out = archive(db, "--before", (today - timedelta(days=1)).isoformat())
    assert "archived" in out and "0 seat rows" not in out, out

    gone = problem(client.get(f"/api/v1/shows/{show['id']}/seats"), 410)
    assert gone["type"].endswith("show-archived")
    rows = db.query("SELECT count(*) FROM show_seats WHERE show_id = :show", show=db.id(show["id"]))
    assert rows[0][0] == 0
    assert kept(client, admin, who, show, day, booking_id) == before
    after = client.get(f"/api/v1/admin/shows/{show['id']}/report", headers=admin)
    assert after.status_code == 200, after.text
    for figure in ("gross", "refunded", "net", "checked_in", "capacity", "booked"):
        assert after.json()[figure] == report.json()[figure], figure
    by_type = [
        sorted(r.json()["by_seat_type"], key=lambda t: t["seat_type"]) for r in (report, after)
    ]
    assert by_type[0] == by_type[1]
    # A show still to come keeps its seats, and a second run has nothing left to do here.
    assert client.get(f"/api/v1/shows/{upcoming['id']}/seats").status_code == 200
    assert archive(db, "--before", today.isoformat()).startswith("archived")
    assert problem(client.get(f"/api/v1/shows/{show['id']}/seats"), 410)["status"] == 410


def test_without_a_date_or_retention_everything_is_kept(
    client: httpx.Client, db: Any, admin: Headers
) -> None:
    show = ready_show(client, admin)
    ended_days_ago(db, show["id"], days=10)
    assert "everything is kept" in archive(db)
    assert client.get(f"/api/v1/shows/{show['id']}/seats").status_code == 200
    # RETENTION_DAYS=5: a show that ended 10 days ago goes.
    assert "archived" in archive(db, RETENTION_DAYS="5")
    problem(client.get(f"/api/v1/shows/{show['id']}/seats"), 410)


def test_a_date_that_is_not_one_is_refused_and_changes_nothing(db: Any) -> None:
    done = run_boxoffice(server_env(db.url, TEST_JWT_SECRET), "archive", "--before", "yesterday")
    assert done.returncode == 2 and "--before" in done.stderr
