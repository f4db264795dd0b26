#!/usr/bin/env python3
"""Chaos run: a hold storm against two `boxoffice serve` processes and one `boxoffice worker` on a
fresh PostgreSQL database, while one of them is killed with SIGKILL and restarted over and over;
then an audit of the booking invariants straight from the database.

    .venv/bin/python scripts/chaos.py [--cycles 12] [--threads 16]
    CHAOS_RESTART_POSTGRES=1 .venv/bin/python scripts/chaos.py   # also stop/start PostgreSQL

What it checks (SPEC "Invariants"), after every process is stopped:
- no seat of a show in two live bookings (BOOKED, or PENDING with expires_at > now());
- no booking half-written: a booking without seats; a live booking whose show_seats rows do not
  point back at it (or count as free); show_seats pointing at a missing booking, a booking of
  another show, a cancelled/expired booking, or holding a seat for a hold that already ran out;
- no seat given back by a partial cancellation still held by its booking;
- no 500 from any server that was up (connection errors from a killed one are expected);
- money, as SPEC "Money audit" extends it (scripts/chaos_money.py): totals are the sums of the
  seats' frozen lines; per payment, refunds not failed <= captured; per booking, captured -
  refunded = what the theatre keeps (seats still held, fees and the policy's share of seats given
  back; a FAILED refund returns nothing); each seat's refund allowed by its policy; per invoice,
  totals - credit notes = what the theatre keeps; never two refunds that did not fail at the
  provider for one of ours, no PROCESSED refund the provider did not process.

The theatre is registered for GST with a fee and a tiered policy, so every sale carries tax and
fees, and the storm's paid bookings give some or all of their seats back. After the storm, a
refund-failure phase: paid bookings are cancelled while the sandbox bounces every refund once and
loses one answer, the worker and a server are killed, admins retry from `GET
/api/v1/admin/refunds?status=FAILED`. Then a partial-cancel and refund phase: paid bookings of
three seats give them back one at a time, two servers racing to cancel the same seat (exactly
one may win), a server killed between cancels, the last seat cancelling the booking, every
refund of seats PROCESSED.

With CHAOS_RESTART_POSTGRES=1 (opt-in: it interrupts every other user of the local cluster) the
PostgreSQL cluster is stopped under load, the API must answer 503 problem+json (never 500, never
hang) while it is down, and must recover on its own once it is back. CHAOS_PG_CLUSTER=15/name
picks another local cluster (with --postgres pointing at its port), e.g. a private one made with
`pg_createcluster 15 chaos -p 5499`, so nobody else is disturbed.

Traffic goes to 127.0.0.1 only; every loop is bounded in count and time. Exits 1 on any
violation, 2 when the run itself could not be set up.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psycopg
from chaos_money import TERMS, money_audit, new_customer, partial_cancel_phase

REPO = Path(__file__).resolve().parents[1]
BIN = REPO / ".venv" / "bin"
BOXOFFICE = str(BIN / "boxoffice")
HOST = "127.0.0.1"
ADMIN_EMAIL = "chaos-admin@example.com"
ADMIN_PASSWORD = "chaos-admin-password-1"  # noqa: S105 (a throwaway database's admin)
HOLD_TTL_SECONDS = 8  # short, so holds expire and the worker sweeps during the run
TIME_BUDGET_SECONDS = 170  # the whole run, setup and audit included (past it: no new cycle
MIN_CYCLES = 10  # beyond the first MIN_CYCLES)


def say(message: str) -> None:
    print(f"[chaos {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


# -- database ---------------------------------------------------------------------------------


@contextlib.contextmanager
def fresh_database(server_url: str, keep: bool) -> Iterator[str]:
    base = server_url.replace("postgres://", "postgresql://", 1).rpartition("/")[0]
    name = f"boxoffice_chaos_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    say(f"database {name} created")
    try:
        yield f"{base}/{name}"
    finally:
        if keep:
            say(f"database {name} kept (--keep-db)")
        else:
            for _ in range(10):  # PostgreSQL may still be coming back from a restart
                try:
                    with psycopg.connect(server_url, autocommit=True, connect_timeout=5) as admin:
                        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    say(f"database {name} dropped")
                    break
                except psycopg.OperationalError:
                    time.sleep(1)


# -- processes --------------------------------------------------------------------------------


@dataclass
class Proc:
    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    url: str | None = None  # servers only
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 (our own executable, fixed arguments)
            self.argv, env=self.env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        self.starts += 1

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill9(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill9()

    def wait_ready(self, seconds: float = 60) -> bool:
        """Servers: /health answers 200. Worker: still running after a moment."""
        deadline = time.monotonic() + seconds
        if self.url is None:
            time.sleep(0.5)
            return self.alive()
        while time.monotonic() < deadline:
            if not self.alive():
                return False
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        return False


def base_env(database_url: str, jwt_secret: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "JWT_SECRET": jwt_secret,
        "RATE_LIMIT_ENABLED": "false",
        "RAZORPAY_SANDBOX": "true",
        "HOLD_TTL_SECONDS": str(HOLD_TTL_SECONDS),
        "MAX_PENDING_BOOKINGS_PER_CUSTOMER": "3",
        "DB_POOL_SIZE": "6",
        "DB_MAX_OVERFLOW": "4",
        "LOG_LEVEL": os.environ.get("CHAOS_LOG_LEVEL", "WARNING"),
    }


def run_command(argv: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(argv, env=env, cwd=REPO, capture_output=True, text=True, timeout=120)  # noqa: S603
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{result.stdout}\n{result.stderr}")


# -- traffic ----------------------------------------------------------------------------------


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    outcomes: Counter[str] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)

    def count(self, what: str) -> None:
        with self.lock:
            self.outcomes[what] += 1

    def server_error(self, what: str) -> None:
        with self.lock:
            self.outcomes["HTTP 500"] += 1
            if len(self.server_errors) < 20:
                self.server_errors.append(what)


Journal = Callable[[str, "httpx.Response | httpx.HTTPError", float, float], None]


@dataclass
class Catalogue:
    show_ids: list[str]
    seats: dict[str, list[str]]
    customers: list[dict[str, str]]


def setup_catalogue(
    url: str, customers: int, credentials: tuple[str, str] = (ADMIN_EMAIL, ADMIN_PASSWORD)
) -> Catalogue:
    with httpx.Client(base_url=url, timeout=30) as http:
        email, password = credentials
        token = http.post("/api/v1/auth/login", json={"email": email, "password": password})
        token.raise_for_status()
        admin = {"Authorization": f"Bearer {token.json()['access_token']}"}
        theatre = http.post(
            "/api/v1/theatres",
            json={
                "name": "Chaos Cinema",
                "city": "Pune",
                "address": "Nowhere 1",
                "timezone": "Asia/Kolkata",
                "holidays": [],
            },
            headers=admin,
        ).json()
        # Registered for GST, with a fee and a tiered policy: every sale carries tax and fees,
        # and every cancellation refunds by a tier (chaos_money).
        http.patch(
            f"/api/v1/theatres/{theatre['id']}", json=TERMS, headers=admin
        ).raise_for_status()
        rules = [
            {"seat_type": t, "day_type": d, "amount": a}
            for t, a in {"VIP": 50000, "GOLD": 35000, "SILVER": 20000}.items()
            for d in ("WEEKDAY", "WEEKEND", "HOLIDAY")
        ]
        http.put(
            f"/api/v1/theatres/{theatre['id']}/prices", json=rules, headers=admin
        ).raise_for_status()
        rows = [
            {"label": chr(65 + r), "seat_type": ("VIP", "GOLD", "SILVER")[r % 3], "seats": 10}
            for r in range(5)
        ]
        screen = http.post(
            f"/api/v1/theatres/{theatre['id']}/screens",
            json={"name": "Audi X", "rows": rows},
            headers=admin,
        )
        screen.raise_for_status()
        movie = http.post(
            "/api/v1/movies",
            json={
                "title": "Chaos Theory",
                "duration_minutes": 90,
                "language": "English",
                "certificate": "UA",
                "genres": ["Thriller"],
                "release_date": "2026-01-01",
            },
            headers=admin,
        )
        movie.raise_for_status()
        show_ids, seats = [], {}
        local = datetime.now(ZoneInfo("Asia/Kolkata")).replace(minute=0, second=0, microsecond=0)
        for day in (2, 3, 4):
            starts = (local + timedelta(days=day)).replace(hour=18)
            show = http.post(
                "/api/v1/shows",
                json={
                    "movie_id": movie.json()["id"],
                    "screen_id": screen.json()["id"],
                    "starts_at": starts.isoformat(),
                },
                headers=admin,
            )
            show.raise_for_status()
            show_id = show.json()["id"]
            show_ids.append(show_id)
            seat_map = http.get(f"/api/v1/shows/{show_id}/seats").json()["seats"]
            seats[show_id] = [s["id"] for s in seat_map]
        people = []
        for index in range(customers):
            if index % 8 == 0:
                body = {
                    "email": f"chaos-{uuid.uuid4().hex[:10]}@example.com",
                    "password": "chaos-customer-pw-1",
                    "name": "Chaos Customer",
                }
                response = http.post("/api/v1/auth/register", json=body)
            else:
                response = http.post("/api/v1/auth/guest")
            response.raise_for_status()
            headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
            http.patch("/api/v1/me", json={"phone": "+919800000001"}, headers=headers)
            people.append(headers)
        return Catalogue(show_ids=show_ids, seats=seats, customers=people)


def storm_worker(
    index: int,
    urls: list[str],
    catalogue: Catalogue,
    stats: Stats,
    stop: threading.Event,
    max_requests: int,
    journal: Journal | None = None,
    timeout: float = 10,
) -> None:
    """`journal`, if given, sees every request: (what, response or the transport error,
    monotonic start, monotonic end); scripts/failover.py builds its report from it."""
    rng = random.Random(index)
    who = catalogue.customers[index % len(catalogue.customers)]
    sent = 0
    with httpx.Client(timeout=httpx.Timeout(timeout, connect=2)) as http:
        while not stop.is_set() and sent < max_requests:
            base = rng.choice(urls)
            show = rng.choice(catalogue.show_ids)
            wanted = rng.sample(catalogue.seats[show], rng.randint(1, 4))

            def call(method: str, path: str, base: str = str(base), **kw: Any) -> httpx.Response:
                nonlocal sent
                sent += 1
                started = time.monotonic()
                what = f"{method} {path}"
                try:
                    response = http.request(method, f"{base}{path}", **kw)
                except httpx.HTTPError as error:
                    if journal is not None:
                        journal(what, error, started, time.monotonic())
                    raise
                if journal is not None:
                    journal(what, response, started, time.monotonic())
                if response.status_code == 500:
                    stats.server_error(f"{method} {path} -> 500 {response.text[:200]}")
                return response

            try:
                held = call(
                    "POST",
                    "/api/v1/bookings",
                    json={"show_id": show, "seat_ids": wanted},
                    headers=who,
                )
                stats.count(f"hold {held.status_code}")
                if held.status_code != 201:
                    time.sleep(rng.uniform(0.01, 0.05))
                    continue
                booking = held.json()["id"]
                roll = rng.random()
                if roll < 0.35:
                    cancel = call("POST", f"/api/v1/bookings/{booking}/cancel", headers=who)
                    stats.count(f"cancel {cancel.status_code}")
                elif roll < 0.5:
                    order = call("POST", f"/api/v1/bookings/{booking}/payments", headers=who)
                    stats.count(f"order {order.status_code}")
                    if order.status_code in (200, 201):
                        paid = call(
                            "POST",
                            f"/_sandbox/razorpay/checkout/{order.json()['order_id']}",
                            json={"outcome": "success"},
                        )
                        if paid.status_code == 200:
                            verified = call(
                                "POST",
                                "/api/v1/payments/razorpay/verify",
                                json=paid.json(),
                                headers=who,
                            )
                            stats.count(f"verify {verified.status_code}")
                            if verified.status_code == 200 and rng.random() < 0.4:
                                # Some seats back (the booking stays BOOKED), or all of them.
                                some = len(wanted) > 1 and rng.random() < 0.6
                                given = call(
                                    "POST",
                                    f"/api/v1/bookings/{booking}/cancel",
                                    json={"seat_ids": wanted[:1]} if some else None,
                                    headers=who,
                                )
                                stats.count(
                                    f"{'partial' if some else 'paid'} cancel {given.status_code}"
                                )
                # else: leave the hold to run out (the worker sweeps it)
                time.sleep(rng.uniform(0.01, 0.04))  # a storm, but one that leaves CPU to restarts
            except httpx.HTTPError as exc:  # a killed server: expected, back off a little
                stats.count(f"transport {type(exc).__name__}")
                time.sleep(0.25)


# -- audit ------------------------------------------------------------------------------------

LIVE = "(b.status = 'BOOKED' OR (b.status = 'PENDING' AND b.expires_at > now()))"
AUDIT: list[tuple[str, str]] = [
    (
        "seat in two live bookings",
        f"""SELECT b.show_id, bs.seat_id, count(*) FROM booking_seats bs
            JOIN bookings b ON b.id = bs.booking_id WHERE {LIVE} AND bs.cancelled_at IS NULL
            GROUP BY b.show_id, bs.seat_id HAVING count(*) > 1""",  # noqa: S608 (constant SQL)
    ),
    (
        "booking without booking_seats",
        """SELECT b.id, b.status FROM bookings b
            WHERE NOT EXISTS (SELECT 1 FROM booking_seats bs WHERE bs.booking_id = b.id)""",
    ),
    (
        "live booking whose show_seats row is not its own (or counts as free)",
        f"""SELECT b.id, b.status, bs.seat_id, ss.booking_id, ss.held_until
            FROM bookings b JOIN booking_seats bs ON bs.booking_id = b.id
            LEFT JOIN show_seats ss ON ss.show_id = b.show_id AND ss.seat_id = bs.seat_id
            WHERE {LIVE} AND bs.cancelled_at IS NULL
              AND (ss.seat_id IS NULL OR ss.booking_id IS DISTINCT FROM b.id
                   OR (ss.held_until IS NOT NULL AND ss.held_until <= now()))""",  # noqa: S608
    ),
    (
        "BOOKED seat still carrying a hold deadline",
        """SELECT b.id, ss.seat_id, ss.held_until FROM show_seats ss
            JOIN bookings b ON b.id = ss.booking_id
            WHERE b.status = 'BOOKED' AND ss.held_until IS NOT NULL""",
    ),
    (
        "show_seats pointing at a missing booking, another show's, or a dead one",
        """SELECT ss.show_id, ss.seat_id, ss.booking_id, b.status FROM show_seats ss
            LEFT JOIN bookings b ON b.id = ss.booking_id
            WHERE ss.booking_id IS NOT NULL
              AND (b.id IS NULL OR b.show_id <> ss.show_id
                   OR b.status NOT IN ('PENDING', 'BOOKED'))""",
    ),
    (
        "seat still blocked by a hold that ran out",
        """SELECT ss.show_id, ss.seat_id, b.id FROM show_seats ss
            JOIN bookings b ON b.id = ss.booking_id
            WHERE b.status = 'PENDING' AND b.expires_at <= now() AND ss.held_until > now()""",
    ),
    (
        "show_seats owned by a booking that does not list the seat",
        """SELECT ss.show_id, ss.seat_id, ss.booking_id FROM show_seats ss
            JOIN bookings b ON b.id = ss.booking_id
            WHERE NOT EXISTS (SELECT 1 FROM booking_seats bs
                              WHERE bs.booking_id = b.id AND bs.seat_id = ss.seat_id)""",
    ),
    (
        "seat given back still held by its booking",
        """SELECT bs.booking_id, bs.seat_id FROM booking_seats bs
            JOIN bookings b ON b.id = bs.booking_id
            JOIN show_seats ss ON ss.show_id = b.show_id AND ss.seat_id = bs.seat_id
            WHERE bs.cancelled_at IS NOT NULL AND ss.booking_id = b.id""",
    ),
]


def audit(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    found: dict[str, list[tuple[Any, ...]]] = {}
    with psycopg.connect(database_url) as connection:
        for name, sql in AUDIT:
            rows = connection.execute(sql).fetchall()
            if rows:
                found[name] = rows
        found.update(money_audit(connection))
        by_status = connection.execute(
            "SELECT status, count(*) FROM bookings GROUP BY status ORDER BY status"
        ).fetchall()
    say("bookings by status: " + ", ".join(f"{s}={n}" for s, n in by_status))
    return found


# -- refunds that fail -------------------------------------------------------------------------

REFUND_BOOKINGS = 6


def wait_for(check: Any, seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    return check()


def sandbox_hooks_auth(database_url: str) -> httpx.BasicAuth:
    """The sandbox's key id and secret, which its test hooks ask for: random per database and
    made by the first server to start, so read from where it wrote them, as an operator would."""
    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT key_id, key_secret FROM razorpay_sandbox_credentials"
        ).fetchone()
    assert row is not None, "no server has started the sandbox"
    return httpx.BasicAuth(row[0], row[1])


# The refund phase's own refunds (earlier phases refund bookings too): id, status, the
# provider's id, and whether an attempt has ended.
OUR_REFUNDS = (
    "SELECT r.id, r.status, r.provider_refund_id, EXISTS (SELECT 1 FROM refund_attempts a "
    "WHERE a.refund_id = r.id AND a.status <> 'STARTED') FROM refunds r "
    "JOIN payments p ON p.id = r.payment_id WHERE p.booking_id = ANY(%s::uuid[])"
)


def refund_failure_phase(
    servers: list[Proc], worker: Proc, catalogue: Catalogue, database_url: str
) -> list[str]:
    """Paid bookings cancelled while the provider bounces refunds, loses answers, and a server
    and the worker are killed: every refund ends PROCESSED exactly once (the audit checks it)."""
    problems: list[str] = []
    sandbox = f"{servers[0].url}/_sandbox/razorpay"

    def ours(status: str | None = None) -> list[tuple[Any, ...]]:
        """This phase's refunds (in `status`): id, status, provider id, an attempt ended."""
        with psycopg.connect(database_url) as connection:
            found = connection.execute(OUR_REFUNDS, ([b for b, _ in booked],)).fetchall()
        return [row for row in found if status is None or row[1] == status]

    hooks = sandbox_hooks_auth(database_url)
    with httpx.Client(timeout=30) as http:
        http.patch(
            f"{sandbox}/config", json={"refund_status": "pending"}, auth=hooks
        ).raise_for_status()
        admin_token = http.post(
            f"{servers[0].url}/api/v1/auth/login",
            json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        )
        admin = {"Authorization": f"Bearer {admin_token.json()['access_token']}"}
        show_id = catalogue.show_ids[-1]
        seat_map = http.get(f"{servers[0].url}/api/v1/shows/{show_id}/seats").json()["seats"]
        free = [s["id"] for s in seat_map if s["status"] == "AVAILABLE"]
        booked: list[tuple[str, dict[str, str]]] = []
        for index in range(REFUND_BOOKINGS):
            url = str(servers[index % 2].url)
            who = new_customer(http, url, "refund")
            held = http.post(
                f"{url}/api/v1/bookings",
                json={"show_id": show_id, "seat_ids": [free[index]]},
                headers=who,
            )
            if held.status_code != 201:
                problems.append(f"refund phase: hold answered {held.status_code}")
                continue
            booking_id = held.json()["id"]
            order = http.post(f"{url}/api/v1/bookings/{booking_id}/payments", headers=who)
            paid = http.post(
                f"{url}/_sandbox/razorpay/checkout/{order.json()['order_id']}",
                json={"outcome": "success"},
            ).json()
            verified = http.post(
                f"{url}/api/v1/payments/razorpay/verify",
                json={
                    k: paid[k]
                    for k in ("razorpay_order_id", "razorpay_payment_id", "razorpay_signature")
                },
                headers=who,
            )
            if verified.status_code != 200:
                problems.append(f"refund phase: verify answered {verified.status_code}")
                continue
            booked.append((booking_id, who))
        for index, (booking_id, who) in enumerate(booked):
            url = str(servers[index % 2].url)
            if index == 0:  # the provider makes this refund, but its answers are lost
                http.patch(
                    f"{sandbox}/config",
                    json={"fail_next_requests": 4, "fail_after_applying": True},
                    auth=hooks,
                )
            cancelled = http.post(f"{url}/api/v1/bookings/{booking_id}/cancel", headers=who)
            if cancelled.status_code != 200:
                problems.append(f"refund phase: cancel answered {cancelled.status_code}")
            if index == 0:
                wait_for(
                    lambda: any(ended for *_, ended in ours()),
                    seconds=15,
                )
                http.patch(f"{sandbox}/config", json={"fail_next_requests": 0}, auth=hooks)
        worker.kill9()  # mid-way: its retries must not depend on it having stayed up
        worker.start()
        issued = wait_for(
            lambda: sum(1 for _, _, provider_id, _ in ours() if provider_id) == len(booked)
        )
        if not issued:
            problems.append("refund phase: not every refund reached the provider")
        # The bank bounces every refund once: each becomes FAILED with a retry scheduled.
        for _, _, provider_refund_id, _ in ours("PENDING"):
            if provider_refund_id:
                http.post(f"{sandbox}/refunds/{provider_refund_id}/fail", json={}, auth=hooks)
        failed = wait_for(
            lambda: failing if len(failing := ours("FAILED")) == len(booked) else None
        )
        say(f"refund phase: {len(failed or [])} of {len(booked)} refunds FAILED at the provider")
        listed = http.get(
            f"{servers[1].url}/api/v1/admin/refunds", params={"status": "FAILED"}, headers=admin
        ).json()["items"]
        if len(listed) != len(booked):
            problems.append(f"refund phase: admin list shows {len(listed)} FAILED refunds")
        servers[1].kill9()  # and a server dies while admins retry
        servers[1].start()
        servers[1].wait_ready()
        # Admins retry them from the list; the bank then pays every pending one out.
        for index, item in enumerate(listed):
            retried = http.post(
                f"{servers[index % 2].url}/api/v1/admin/refunds/{item['id']}/retry", headers=admin
            )
            if retried.status_code not in (200, 409):
                problems.append(f"refund phase: retry answered {retried.status_code}")
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            for _, _, provider_refund_id, _ in ours("PENDING"):
                if provider_refund_id:
                    http.post(
                        f"{sandbox}/refunds/{provider_refund_id}/process", json={}, auth=hooks
                    )
            if len(ours("PROCESSED")) == len(booked):
                break
            for refund_id, *_ in ours("FAILED"):
                http.post(f"{servers[0].url}/api/v1/admin/refunds/{refund_id}/retry", headers=admin)
            time.sleep(0.5)
        done = len(ours("PROCESSED"))
        say(f"refund phase: {done} of {len(booked)} refunds PROCESSED")
        if done != len(booked):
            problems.append(f"refund phase: only {done} of {len(booked)} refunds PROCESSED")
        http.delete(f"{sandbox}/config", auth=hooks)
    return problems


# -- PostgreSQL restart (opt-in) --------------------------------------------------------------


def postgres_cluster() -> list[str]:
    """pg_ctlcluster for CHAOS_PG_CLUSTER ("15/main"), default: the newest local version's main."""
    named = os.environ.get("CHAOS_PG_CLUSTER")
    if named:
        version, _, name = named.partition("/")
        return ["pg_ctlcluster", "--skip-systemctl-redirect", version, name or "main"]
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not versions:
        raise SystemExit("CHAOS_RESTART_POSTGRES=1 needs a local cluster (pg_ctlcluster)")
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main"]


def postgres_outage(servers: list[Proc], catalogue: Catalogue, violations: list[str]) -> None:
    """Stops the cluster under load; the API must answer 503 problem+json (or succeed), never
    500, never hang; then must recover on its own."""
    cluster = postgres_cluster()
    say("stopping PostgreSQL (CHAOS_RESTART_POSTGRES=1)")
    subprocess.run([*cluster, "stop", "-m", "fast"], check=True, timeout=60)  # noqa: S603
    answers: Counter[str] = Counter()
    who = catalogue.customers[0]
    show = catalogue.show_ids[0]
    try:
        deadline = time.monotonic() + 6
        with httpx.Client(timeout=15) as http:
            while time.monotonic() < deadline:
                for server in servers:
                    for method, path, body in (
                        ("GET", f"/api/v1/shows/{show}/seats", None),
                        (
                            "POST",
                            "/api/v1/bookings",
                            {"show_id": show, "seat_ids": catalogue.seats[show][:1]},
                        ),
                        ("GET", "/ready", None),
                    ):
                        started = time.monotonic()
                        try:
                            response = http.request(
                                method, f"{server.url}{path}", json=body, headers=who
                            )
                        except httpx.TimeoutException:
                            violations.append(f"PostgreSQL down: {method} {path} hung (> 15 s)")
                            continue
                        elapsed = time.monotonic() - started
                        kind = response.headers.get("content-type", "")
                        answers[f"{path.split('/')[-1]} {response.status_code}"] += 1
                        if response.status_code >= 500 and (
                            response.status_code != 503
                            or not kind.startswith("application/problem+json")
                        ):
                            violations.append(
                                f"PostgreSQL down: {method} {path} -> {response.status_code} "
                                f"{kind} {response.text[:200]}"
                            )
                        if elapsed > 10:
                            violations.append(
                                f"PostgreSQL down: {method} {path} took {elapsed:.1f} s"
                            )
                time.sleep(0.2)
    finally:
        say("starting PostgreSQL again")
        subprocess.run([*cluster, "start"], check=True, timeout=120)  # noqa: S603
    say("while down: " + ", ".join(f"{k}={v}" for k, v in sorted(answers.items())))
    if not any(key.endswith(" 503") for key in answers):
        violations.append("PostgreSQL down: no 503 was ever answered")
    # Recovery without any restart of ours: a hold on every server within 30 s.
    deadline = time.monotonic() + 30
    pending = {server.name for server in servers}
    with httpx.Client(timeout=10) as http:
        while pending and time.monotonic() < deadline:
            for server in servers:
                if server.name not in pending:
                    continue
                with contextlib.suppress(httpx.HTTPError):
                    if http.get(f"{server.url}/ready").status_code == 200:
                        seat = random.choice(catalogue.seats[show])
                        held = http.post(
                            f"{server.url}/api/v1/bookings",
                            json={"show_id": show, "seat_ids": [seat]},
                            headers=catalogue.customers[1],
                        )
                        if held.status_code in (201, 409):
                            pending.discard(server.name)
            time.sleep(0.3)
    if pending:
        violations.append(f"PostgreSQL back: {sorted(pending)} did not recover within 30 s")
    else:
        say("every server recovered by itself")


# -- the run ----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cycles", type=int, default=int(os.environ.get("CHAOS_CYCLES", "12")))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("CHAOS_THREADS", "8")))
    parser.add_argument("--customers", type=int, default=40)
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "CHAOS_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="a server where this user may create databases (local only)",
    )
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    if args.cycles < 1 or args.threads < 1:
        parser.error("--cycles and --threads must be positive")
    host = args.postgres.split("@")[-1].split("/")[0].split(":")[0]
    if host not in ("127.0.0.1", "localhost", "::1", ""):
        parser.error("chaos runs against a local PostgreSQL only")
    restart_postgres = os.environ.get("CHAOS_RESTART_POSTGRES") == "1"
    started = time.monotonic()
    violations: list[str] = []
    logs = Path(tempfile.mkdtemp(prefix="boxoffice-chaos-"))
    say(f"logs in {logs}")

    with fresh_database(args.postgres, args.keep_db) as database_url:
        env = base_env(database_url, secrets.token_urlsafe(48))
        run_command([BOXOFFICE, "migrate"], env)
        say("migrated")
        run_command(
            [BOXOFFICE, "create-admin", "--email", ADMIN_EMAIL, "--password", ADMIN_PASSWORD], env
        )
        servers: list[Proc] = []
        for index in range(2):
            port = free_port()
            url = f"http://{HOST}:{port}"
            servers.append(
                Proc(
                    name=f"server-{index}",
                    argv=[BOXOFFICE, "serve", "--host", HOST, "--port", str(port)],
                    env={
                        **env,
                        "PUBLIC_BASE_URL": url,
                        "RAZORPAY_BASE_URL": f"{url}/_sandbox/razorpay",
                    },
                    log_path=logs / f"server-{index}.log",
                    url=url,
                )
            )
        worker = Proc(
            name="worker",
            argv=[BOXOFFICE, "worker", "--interval", "1"],
            # The provider the worker retries refunds and asks about orders at: the sandbox of
            # the first server (while that server is down, its calls fail and are retried).
            env={**env, "RAZORPAY_BASE_URL": f"{servers[0].url}/_sandbox/razorpay"},
            log_path=logs / "worker.log",
        )
        everyone = [*servers, worker]
        stop = threading.Event()
        threads: list[threading.Thread] = []
        stats = Stats()
        survived = 0
        try:
            for proc in everyone:
                proc.start()
            for proc in everyone:
                if not proc.wait_ready():
                    say(f"{proc.name} did not start; see {proc.log_path}")
                    return 2
            say("2 servers and a worker up")
            catalogue = setup_catalogue(str(servers[0].url), args.customers)
            say(
                f"catalogue ready: {len(catalogue.show_ids)} shows x "
                f"{len(catalogue.seats[catalogue.show_ids[0]])} seats, "
                f"{len(catalogue.customers)} customers"
            )
            per_thread = 4000  # a hard bound on each thread's requests
            for index in range(args.threads):
                thread = threading.Thread(
                    target=storm_worker,
                    args=(index, [str(s.url) for s in servers], catalogue, stats, stop, per_thread),
                    daemon=True,
                )
                thread.start()
                threads.append(thread)

            rng = random.Random(7)
            victims: list[Proc] = [servers[0], worker, servers[1]]
            for cycle in range(1, args.cycles + 1):
                if cycle > MIN_CYCLES and time.monotonic() - started > TIME_BUDGET_SECONDS - 30:
                    say(f"time budget reached before cycle {cycle}")
                    break
                time.sleep(rng.uniform(0.8, 2.0))  # let traffic get in flight
                victim = victims[(cycle - 1) % len(victims)]
                victim.kill9()
                time.sleep(rng.uniform(0.1, 0.6))
                victim.start()
                restarted = time.monotonic()
                if victim.wait_ready():
                    survived += 1
                    say(
                        f"cycle {cycle}: kill -9 {victim.name}, restarted, healthy "
                        f"after {time.monotonic() - restarted:.1f} s"
                    )
                else:
                    violations.append(f"cycle {cycle}: {victim.name} did not come back")
                    say(f"cycle {cycle}: {victim.name} did not come back; see {victim.log_path}")
            stop.set()
            for thread in threads:
                thread.join(timeout=20)
            violations.extend(refund_failure_phase(servers, worker, catalogue, database_url))

            def kill_and_restart(index: int) -> None:
                servers[index].kill9()
                servers[index].start()
                servers[index].wait_ready()

            def query(sql: str) -> list[tuple[Any, ...]]:
                with psycopg.connect(database_url) as connection:
                    return connection.execute(sql).fetchall()

            violations.extend(
                partial_cancel_phase(
                    [str(s.url) for s in servers],
                    catalogue.show_ids[0],
                    kill_and_restart,
                    query,
                    say,
                )
            )
            if restart_postgres:
                postgres_outage(servers, catalogue, violations)
            time.sleep(1.0)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=20)
            for proc in everyone:
                proc.stop()

        say("requests: " + ", ".join(f"{k}={v}" for k, v in sorted(stats.outcomes.items())))
        holds_ok = stats.outcomes.get("hold 201", 0)
        if holds_ok == 0:
            violations.append("no hold ever succeeded: the storm did not exercise anything")
        if stats.server_errors:
            violations.append(f"{stats.outcomes['HTTP 500']} responses were 500")
            for line in stats.server_errors:
                say(f"  500: {line}")
        found = audit(database_url)
        for name, rows in found.items():
            violations.append(f"{name}: {len(rows)} row(s), e.g. {rows[:3]}")
        for log_file in sorted(logs.glob("*.log")):
            text = log_file.read_text(errors="replace")
            if "Traceback" in text:
                say(
                    f"note: {log_file.name} holds a traceback (work cut off by a kill or an outage)"
                )

    say(f"cycles survived: {survived}/{args.cycles}; violations: {len(violations)}")
    for violation in violations:
        say(f"VIOLATION {violation}")
    say(f"done in {time.monotonic() - started:.0f} s")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
