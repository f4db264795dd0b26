"""No blocked seat is ever held or sold, under a storm: 50 clients hold seats of one hot show
(named seats picked at random, blocked ones included, and best available) through two `boxoffice
serve` processes on PostgreSQL (the one process of the embedded mode on SQLite), while a manager
blocks seats of the same show. The claim decides (SPEC "Back office": the hold's own atomic
claim refuses a blocked seat), so:

- a hold that started after a block's answer arrived never has a seat of that block (the block
  had committed: causal order, read on one clock, no timing assumed);
- at the end no blocked seat belongs to a live booking, no seat to two (`audit`), and the open
  blocks of the audit table are exactly the seats blocked;
- a block refused names only seats it asked for, each one held or booked.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
from tests.api import Headers, guest, make_admin
from tests.bookings.test_concurrency import audit, big_show
from tests.support.http import loopback_client
from tests.support.servers import Servers

HOLDERS = 50
# Holds a client makes: at least MIN_ATTEMPTS, then on until the manager is done blocking (the
# storm lasts as long as the blocks), at most ATTEMPTS. Two of them kept, the rest cancelled.
MIN_ATTEMPTS = 4
ATTEMPTS = 60
WAVES = 12  # blocks of two seats the manager gets through


@contextmanager
def ending(done: threading.Event) -> Iterator[None]:
    try:
        yield
    finally:
        done.set()


def _live_and_blocked(db: Any, show_id: str) -> list[Any]:
    now = datetime.now(UTC)
    return db.query(
        """
        SELECT ss.seat_id FROM show_seats ss
        JOIN booking_seats bs ON bs.seat_id = ss.seat_id
        JOIN bookings b ON b.id = bs.booking_id AND b.show_id = ss.show_id
        WHERE ss.show_id = :show AND ss.blocked
          AND (b.status = 'BOOKED' OR (b.status = 'PENDING' AND b.expires_at > :now))
        """,
        show=db.id(show_id),
        now=now.replace(tzinfo=None) if db.is_sqlite else now,
    )


def test_blocking_seats_while_fifty_clients_hold_never_lets_a_blocked_seat_be_held(
    client: httpx.Client, db: Any, two_servers: Servers
) -> None:
    admin = make_admin(client, db)
    show = big_show(client, admin, rows=8, per_row=20)  # 160 seats; holders ask for ~200
    seat_ids = [s["id"] for s in client.get(f"/api/v1/shows/{show['id']}/seats").json()["seats"]]
    holders = [guest(client)[0] for _ in range(HOLDERS)]
    urls = two_servers.urls
    start = threading.Barrier(HOLDERS + 1)
    blocker_done = threading.Event()
    holds: list[tuple[float, int, dict[str, Any]]] = []  # (sent at, status, body)
    blocks: list[tuple[float, int, dict[str, Any], list[str]]] = []  # (answered at, ...)

    def hold_seats(index: int) -> None:
        rng = random.Random(index)
        with loopback_client(base_url=urls[index % len(urls)], timeout=60) as http:
            start.wait(timeout=60)
            for attempt in range(ATTEMPTS):
                if attempt >= MIN_ATTEMPTS and blocker_done.is_set():
                    break
                if index % 3 == 2:
                    body: dict[str, Any] = {"quantity": rng.randint(1, 3)}
                else:
                    body = {"seat_ids": rng.sample(seat_ids, rng.randint(1, 3))}
                sent = time.monotonic()
                response = http.post(
                    "/api/v1/bookings",
                    json={"show_id": show["id"], **body},
                    headers=holders[index],
                )
                holds.append((sent, response.status_code, response.json()))
                if response.status_code == 201 and (attempt % 2 == 1 or attempt >= 4):
                    cancelled = http.post(
                        f"/api/v1/bookings/{response.json()['id']}/cancel",
                        headers=holders[index],
                    )
                    assert cancelled.status_code == 200, cancelled.text

    def block_seats(manager: Headers) -> None:
        """Blocks two seats the map showed free a moment ago (a holder may take one first: then
        409), until WAVES blocks went through (a bounded number of tries)."""
        rng = random.Random(7)
        with loopback_client(base_url=urls[0], timeout=60) as http, ending(blocker_done):
            start.wait(timeout=60)
            for attempt in range(5 * WAVES):
                if sum(1 for _, status, _, _ in blocks if status == 200) == WAVES:
                    break
                seat_map = http.get(f"/api/v1/shows/{show['id']}/seats").json()["seats"]
                free = [seat["id"] for seat in seat_map if seat["status"] == "AVAILABLE"]
                if len(free) < 2:
                    continue
                wanted = rng.sample(free, 2)
                response = http.post(
                    f"/api/v1/shows/{show['id']}/blocks",
                    json={"seat_ids": wanted, "reason": f"camera {attempt}"},
                    headers=manager,
                )
                blocks.append((time.monotonic(), response.status_code, response.json(), wanted))

    with ThreadPoolExecutor(max_workers=HOLDERS + 1) as pool:
        done = [pool.submit(hold_seats, index) for index in range(HOLDERS)]
        done.append(pool.submit(block_seats, admin))
        for future in done:
            future.result()

    statuses = Counter(status for _, status, _ in holds)
    assert set(statuses) <= {201, 409}, statuses
    assert statuses[201] > 0, statuses
    for _, status, body in holds:
        if status == 409:
            assert body["type"].endswith(
                ("/seats-unavailable", "/not-enough-seats", "/too-many-holds")
            ), body

    blocked_at: dict[str, float] = {}
    for answered, status, body, wanted in blocks:
        assert status in (200, 409), body
        if status == 200:
            for seat in wanted:
                blocked_at.setdefault(seat, answered)
        else:
            assert body["type"].endswith("/seats-not-blockable"), body
            assert body["unavailable_seat_ids"] and set(body["unavailable_seat_ids"]) <= set(wanted)
    assert blocked_at, blocks  # blocks went through while the holders held

    refused_blocked = [
        body
        for sent, status, body in holds
        if status == 409
        and any(blocked_at.get(seat, sent) < sent for seat in body.get("unavailable_seat_ids", []))
    ]
    assert refused_blocked, statuses  # holds did ask for seats blocked by then
    for sent, status, body in holds:
        if status == 201:
            late = [
                seat["label"]
                for seat in body["seats"]
                if seat["seat_id"] in blocked_at and blocked_at[seat["seat_id"]] < sent
            ]
            assert late == [], (late, body)

    assert _live_and_blocked(db, show["id"]) == []
    audit(db, show["id"])
    shown = {
        s["id"]: s["status"]
        for s in client.get(f"/api/v1/shows/{show['id']}/seats").json()["seats"]
    }
    assert {seat for seat, status in shown.items() if status == "BLOCKED"} == set(blocked_at)
    open_blocks = db.query(
        "SELECT seat_id FROM seat_blocks WHERE show_id = :show AND unblocked_at IS NULL",
        show=db.id(show["id"]),
    )
    assert sorted(str(row[0]).replace("-", "") for row in open_blocks) == sorted(
        seat.replace("-", "") for seat in blocked_at
    )
    logged = two_servers.output()
    assert "Traceback" not in logged and "deadlock" not in logged.lower(), logged[-2000:]

    # And back on sale at once.
    unblocked = client.request(
        "DELETE",
        f"/api/v1/shows/{show['id']}/blocks",
        json={"seat_ids": sorted(blocked_at)},
        headers=admin,
    )
    assert unblocked.status_code == 200 and unblocked.json()["items"] == [], unblocked.text
    shown = {
        s["id"]: s["status"]
        for s in client.get(f"/api/v1/shows/{show['id']}/seats").json()["seats"]
    }
    assert "BLOCKED" not in {shown[seat] for seat in blocked_at}
