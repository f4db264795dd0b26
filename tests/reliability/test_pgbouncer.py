"""The app through pgbouncer in transaction mode (DATABASE_POOLER=pgbouncer, issue 15): the sale
path, payment and check-in of two API processes work while their transactions share two server
connections, and the seat-map LISTEN goes around the pooler (DATABASE_LISTEN_URL).

Marked `pgbouncer`: it runs on the PostgreSQL pass of `make test` whenever Debian's pgbouncer is
installed (`.ci/run` installs it), and in `make failover-test`.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.api import Headers, make_admin, register
from tests.conftest import TEST_JWT_SECRET, TestDatabase
from tests.payments.checkout import eventually, pay
from tests.support.http import loopback_client
from tests.support.pgbouncer import pgbouncer
from tests.support.servers import serve
from tests.tickets.helpers import make_staff, scan, show_soon

pytestmark = [pytest.mark.postgres_only, pytest.mark.pgbouncer]

CUSTOMERS = 5  # two seats paid and one held then cancelled each: 15 of the show's 16


def test_holds_cancels_payments_and_check_in_through_pgbouncer(
    db: TestDatabase, tmp_path: Path
) -> None:
    through_pgbouncer = {"DATABASE_POOLER": "pgbouncer", "DATABASE_LISTEN_URL": db.url}
    listening_before = listening(db)  # the session's own test server, when it runs
    with (
        pgbouncer(db.url, server_connections=2) as pooled,
        serve(2, pooled, TEST_JWT_SECRET, tmp_path, **through_pgbouncer) as (first, second),
        loopback_client(base_url=first, timeout=30) as http,
        loopback_client(base_url=second, timeout=30) as http2,
    ):
        admin = make_admin(http, db)
        show = show_soon(http, admin, minutes=120)
        staff = make_staff(http, admin, [show["theatre_id"]])
        seats = [s["id"] for s in http.get(f"/api/v1/shows/{show['id']}/seats").json()["seats"]]
        customers = [register(http) for _ in range(CUSTOMERS)]

        def buy(index: int) -> dict[str, Any]:
            who = customers[index]
            mine = seats[3 * index : 3 * index + 3]
            # Two processes: statements they named would collide on a shared server connection.
            through = http if index % 2 else http2
            return _buy(through, who, staff, show["id"], mine, key=f"hold-{index}")

        with ThreadPoolExecutor(CUSTOMERS) as pool:
            results = list(pool.map(buy, range(CUSTOMERS)))

        assert all(r["status"] == "BOOKED" for r in results)
        statuses = {
            s["id"]: s["status"]
            for s in http.get(f"/api/v1/shows/{show['id']}/seats").json()["seats"]
        }
        paid = {seat["seat_id"] for r in results for seat in r["seats"]}
        assert {statuses[s] for s in paid} == {"BOOKED"}
        assert sum(status == "AVAILABLE" for status in statuses.values()) == len(seats) - len(paid)
        # Each process LISTENs straight on PostgreSQL, around the pooler.
        assert listening(db) == listening_before + 2


def listening(db: TestDatabase) -> int:
    """LISTEN sessions on the test database (those go straight to PostgreSQL)."""
    rows = db.query(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND application_name LIKE 'boxoffice-listen%'"
    )
    return int(rows[0][0])


def _buy(
    http: httpx.Client,
    who: Headers,
    staff: Headers,
    show_id: str,
    seats: list[str],
    key: str,
) -> dict[str, Any]:
    """Holds two seats (in autocommit) and pays for them; holds the third with an
    Idempotency-Key (in a transaction), replays it, cancels it; checks one ticket in."""
    held = http.post(
        "/api/v1/bookings", json={"show_id": show_id, "seat_ids": seats[:2]}, headers=who
    )
    assert held.status_code == 201, held.text
    body = {"show_id": show_id, "seat_ids": seats[2:]}
    keyed = {**who, "Idempotency-Key": key}
    other = http.post("/api/v1/bookings", json=body, headers=keyed)
    assert other.status_code == 201, other.text
    replayed = http.post("/api/v1/bookings", json=body, headers=keyed)
    assert replayed.json()["id"] == other.json()["id"]
    cancelled = http.post(f"/api/v1/bookings/{other.json()['id']}/cancel", headers=who)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "CANCELLED"

    booked = pay(http, who, held.json()["id"])

    def issued() -> list[dict[str, Any]]:
        response = http.get(f"/api/v1/bookings/{booked['id']}/tickets", headers=who)
        return list(response.json()["items"]) if response.status_code == 200 else []

    tickets = eventually(issued)
    assert len(tickets) == 2
    admitted = scan(http, staff, tickets[0]["qr"])
    assert admitted.status_code == 200, admitted.text
    return booked
