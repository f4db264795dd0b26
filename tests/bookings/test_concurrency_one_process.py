"""No seat sold twice with real threads against one server process, on either engine.

The multi-process storm (test_concurrency.py) needs PostgreSQL; this one also runs on SQLite,
the embedded mode of `make run`, whose writers are serialised by BEGIN IMMEDIATE.
"""

from __future__ import annotations

import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx
from tests.api import guest
from tests.bookings.test_concurrency import big_show
from tests.conftest import LiveServer, TestDatabase
from tests.support.http import loopback_client

THREADS = 24


def live_seat_owners(db: TestDatabase, show_id: str) -> Counter[Any]:
    """How many live bookings (BOOKED, or PENDING and not run out) list each seat."""
    now = datetime.now(UTC)
    rows = db.query(
        "SELECT bs.seat_id FROM booking_seats bs JOIN bookings b ON b.id = bs.booking_id "
        "WHERE b.show_id = :show "
        "AND (b.status = 'BOOKED' OR (b.status = 'PENDING' AND b.expires_at > :now))",
        show=db.id(show_id),
        now=now.replace(tzinfo=None) if db.is_sqlite else now,
    )
    return Counter(row[0] for row in rows)


def test_threads_against_one_process_never_double_book(
    client: httpx.Client, admin: Any, db: TestDatabase, live_server: LiveServer
) -> None:
    show = big_show(client, admin, rows=2, per_row=10)  # 20 seats, heavy overlap
    seat_ids = [s["id"] for s in client.get(f"/api/v1/shows/{show['id']}/seats").json()["seats"]]
    customers = [guest(client)[0] for _ in range(THREADS)]

    def storm(index: int) -> list[tuple[int, list[str], dict[str, Any]]]:
        rng = random.Random(index)
        results = []
        with loopback_client(base_url=live_server.url, timeout=60) as http:
            for attempt in range(3):
                wanted = rng.sample(seat_ids, rng.randint(1, 3))
                response = http.post(
                    "/api/v1/bookings",
                    json={"show_id": show["id"], "seat_ids": wanted},
                    headers=customers[index],
                )
                results.append((response.status_code, wanted, response.json()))
                if response.status_code == 201 and attempt == 1:
                    http.post(
                        f"/api/v1/bookings/{response.json()['id']}/cancel",
                        headers=customers[index],
                    )
        return results

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        outcomes = [r for batch in pool.map(storm, range(THREADS)) for r in batch]

    statuses = Counter(status for status, _, _ in outcomes)
    assert set(statuses) <= {201, 409}, statuses
    assert statuses[201] > 0 and statuses[409] > 0, statuses
    for status, wanted, body in outcomes:
        if status == 201:
            assert sorted(s["seat_id"] for s in body["seats"]) == sorted(wanted)
    owners = live_seat_owners(db, show["id"])
    assert owners and max(owners.values()) == 1, owners
    seat_map = client.get(f"/api/v1/shows/{show['id']}/seats").json()["seats"]
    assert sum(s["status"] != "AVAILABLE" for s in seat_map) == len(owners)
