"""Offers under concurrent cancels and expiries (issue 29): seats come back at random (paid
seats given back through two API processes, holds running out) while parties of 1 to 4 wait,
and the offers are made by two `boxoffice worker` processes at once (PostgreSQL; on SQLite, the
embedded mode's one process: the offer passes in a thread of this one). Whatever the order,
no seat is in two live bookings, no entry gets two offers, no seat is offered twice, every
offer seats its party (side by side when it asked), and every entry that fits the seats left
free at the end has an offer (none is lost).

And a worker killed in the middle of an offer (PostgreSQL): the offer's transaction dies with
it, nothing of it stays, and the next pass makes it once."""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from tests.api import Headers, register
from tests.bookings.test_concurrency import audit
from tests.conftest import TEST_JWT_SECRET, LiveServer, TestDatabase
from tests.support.race import at_once, through
from tests.support.servers import BOXOFFICE, running, server_env
from tests.waitlist.helpers import entry, give_back, joined, offer_pass, sold_out_show

ROWS = [
    {"label": label, "seat_type": "SILVER", "seats": 8, "aisles_after": []}
    for label in ("A", "B", "C")
]
WAITERS = 10
RUNS_OUT_IN = timedelta(seconds=10)  # the holds of row C, from when they are made


@contextmanager
def offering(db: TestDatabase, live_server: LiveServer, logs: Path) -> Iterator[None]:
    """Offers made while the block runs: two worker processes on PostgreSQL, rechecking every
    0.3 s; on SQLite a thread of this process running passes (its own engine each)."""
    if not db.is_sqlite:
        env = server_env(db.url, TEST_JWT_SECRET, WAITLIST_RECHECK_SECONDS="0.3", LOG_LEVEL="INFO")
        env["OUTBOX_DIR"] = str(logs / "outbox")
        argv = [BOXOFFICE, "worker", "--interval", "0.2"]
        workers = [logs / f"worker-{index}.log" for index in range(2)]
        with running(argv, env, workers[0]), running(argv, env, workers[1]):
            deadline = time.monotonic() + 120  # imports take seconds on a busy machine
            while not all("worker_started" in _text(log) for log in workers):
                assert time.monotonic() < deadline, "the workers never started"
                time.sleep(0.2)
            yield
        return
    stopping = threading.Event()

    def passes() -> None:
        while not stopping.is_set():
            offer_pass(live_server, waitlist_recheck_seconds=0.3)
            time.sleep(0.2)

    thread = threading.Thread(target=passes)
    thread.start()
    try:
        yield
    finally:
        stopping.set()
        thread.join(timeout=60)


def _text(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def offers_of(db: TestDatabase, show_id: str) -> list[Any]:
    """Every entry of the show with its offer's seats (label, row, number) when it has one."""
    return db.query(
        """
        SELECT e.id, e.party, e.together, e.status, e.booking_id, b.status AS booking_status,
               s.label, s."row" AS seat_row, s.number
        FROM waitlist_entries e
        LEFT JOIN bookings b ON b.id = e.booking_id
        LEFT JOIN booking_seats bs ON bs.booking_id = e.booking_id
        LEFT JOIN seats s ON s.id = bs.seat_id
        WHERE e.show_id = :show
        """,
        show=db.id(show_id),
    )


def quiet(db: TestDatabase, show_id: str, settle: float = 1.5, within: float = 60) -> None:
    """Until the show's entries stay as they are for `settle` seconds."""
    deadline = time.monotonic() + within
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        now = sorted((str(r.id), r.status) for r in offers_of(db, show_id))
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= settle:
            return
        time.sleep(0.2)
    raise AssertionError("the waiting list never settled")


def check_offers(db: TestDatabase, show_id: str) -> int:
    """No seat offered twice, every offer its party's size (side by side when it asked), one
    offer at most per entry; how many offers."""
    by_entry: dict[str, list[Any]] = {}
    for row in offers_of(db, show_id):
        by_entry.setdefault(str(row.id), []).append(row)
    offered_seats: list[str] = []
    for seats in by_entry.values():
        first = seats[0]
        if first.booking_id is None:
            assert first.status == "WAITING", first
            continue
        assert first.status == "OFFERED" and first.booking_status == "PENDING", first
        labels = [s.label for s in seats]
        assert len(labels) == first.party, seats
        if first.together:
            numbers = sorted(int(s.number) for s in seats)
            assert len({s.seat_row for s in seats}) == 1, f"a together party got {labels}"
            assert numbers == list(range(numbers[0], numbers[-1] + 1)), labels
        offered_seats += labels
    assert len(offered_seats) == len(set(offered_seats)), f"a seat offered twice: {offered_seats}"
    # Each waiter's only booking of the show is its one offer.
    counts = db.query(
        """
        SELECT e.id, count(b.id) AS bookings FROM waitlist_entries e
        LEFT JOIN bookings b ON b.show_id = e.show_id AND b.user_id = e.user_id
        WHERE e.show_id = :show GROUP BY e.id
        """,
        show=db.id(show_id),
    )
    assert all(row.bookings <= 1 for row in counts), counts
    return sum(1 for seats in by_entry.values() if seats[0].booking_id is not None)


def test_offers_under_concurrent_cancels_and_expiries_never_offer_a_seat_twice(
    client: httpx.Client,
    admin: Headers,
    live_server: LiveServer,
    two_servers: Any,
    db: TestDatabase,
    tmp_path: Path,
) -> None:
    rng = random.Random(29)
    show, seats, buyer, booking_of = sold_out_show(client, admin, ROWS, paid="AB")
    waiters = [register(client) for _ in range(WAITERS)]
    paid_seats = [label for label in seats if label[0] in "AB"]
    rng.shuffle(paid_seats)
    given = paid_seats[:12]
    pauses = [rng.random() * 0.3 for _ in given]

    def giver(labels: list[str], url: str) -> Any:
        def run(http: httpx.Client) -> None:
            for label in labels:
                time.sleep(pauses[given.index(label)])
                give_back(http, buyer, booking_of, seats, label)

        return through(url, run)

    urls = two_servers.urls
    ttl = timedelta(seconds=live_server.settings.hold_ttl_seconds)
    with offering(db, live_server, tmp_path):
        # Row C is held in pairs by holds that run out RUNS_OUT_IN from now: held "earlier" by
        # the server's clock (its holders signed up at that time too, so their tokens are valid).
        live_server.clock.advance(RUNS_OUT_IN - ttl)
        try:
            for pair in (("C1", "C2"), ("C3", "C4"), ("C5", "C6"), ("C7", "C8")):
                body = {"show_id": show["id"], "seat_ids": [seats[label] for label in pair]}
                held = client.post("/api/v1/bookings", json=body, headers=register(client))
                assert held.status_code == 201, held.text
        finally:
            live_server.clock.advance(ttl - RUNS_OUT_IN)
        started = time.monotonic()
        for who in waiters:
            joined(client, who, show["id"], rng.randint(1, 4), together=rng.random() < 0.7)
        at_once(giver(given[0::2], urls[0]), giver(given[1::2], urls[1]))
        time.sleep(max(0.0, RUNS_OUT_IN.total_seconds() - (time.monotonic() - started)))
        quiet(db, show["id"])
    audit(db, show["id"])
    assert check_offers(db, show["id"]) >= 1, "seats came back and nobody was offered any"
    # Nothing was lost: one more pass finds no waiting entry that fits what is free.
    assert offer_pass(live_server, later=timedelta(seconds=11)) == 0


@pytest.mark.postgres_only  # a killed process's transaction; SQLite's one process has no other
def test_a_worker_killed_mid_offer_leaves_nothing_and_the_next_pass_offers_once(
    client: httpx.Client,
    admin: Headers,
    live_server: LiveServer,
    db: TestDatabase,
    tmp_path: Path,
) -> None:
    show, seats, buyer, booking_of = sold_out_show(client, admin)
    person = register(client)
    waiting = joined(client, person, show["id"], 2)
    give_back(client, buyer, booking_of, seats, "A1", "A2")
    live_server.wait_until_quiet()

    env = server_env(db.url, TEST_JWT_SECRET)
    env["OUTBOX_DIR"] = str(tmp_path / "outbox")
    with db.sync_engine.connect() as blocker:
        # The offer's last write, its email, waits behind this lock: the worker is mid-offer.
        blocker.execute(sa.text("LOCK TABLE outbox_emails IN EXCLUSIVE MODE"))
        with running([BOXOFFICE, "worker", "--interval", "0.2"], env, tmp_path / "w.log") as w:
            pid = _waiting_backend(db)
            os.kill(w.pid, signal.SIGKILL)
            w.wait()
            db.query("SELECT pg_terminate_backend(:pid)", pid=pid)  # its host is gone
        blocker.rollback()

    assert entry(client, person, waiting["id"])["status"] == "WAITING"
    held = db.query(
        "SELECT count(*) AS n FROM bookings WHERE user_id IS NOT NULL AND show_id = :show"
        " AND status = 'PENDING'",
        show=db.id(show["id"]),
    )
    assert held[0].n == 0, "the killed offer's hold survived"
    assert db.query("SELECT count(*) AS n FROM waitlist_wakes")[0].n >= 1

    assert offer_pass(live_server) == 1
    found = entry(client, person, waiting["id"])
    assert found["status"] == "OFFERED"
    assert (
        db.query("SELECT count(*) AS n FROM outbox_emails WHERE kind = 'WAITLIST_OFFER'")[0].n == 1
    )
    audit(db, show["id"])


def _waiting_backend(db: TestDatabase, within: float = 60) -> int:
    """The backend of the worker's offer, waiting for the outbox's lock."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        rows = db.query(
            "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND query ILIKE 'INSERT INTO outbox_emails%'"
        )
        if rows:
            return int(rows[0].pid)
        time.sleep(0.1)
    raise AssertionError("the worker never reached the offer's email")
