"""The scenarios of `make bench`. Every loop is bounded in count and in time, and all traffic
goes to 127.0.0.1."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import math
import os
import random
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import orjson

from bench.client import Api, Customer, Headers, guests, new_event_id, new_session, request
from bench.infra import BOXOFFICE, REPO_ROOT
from bench.stats import CpuMeter, Recorder, before, descendants, latency_summary, window


@dataclass
class Context:
    urls: list[str]
    db: asyncpg.Connection
    cpu: CpuMeter
    log: Callable[[str], None]
    sandbox_url: str = ""  # the standalone sandbox's base (its Checkout); else each server's

    def url(self, index: int) -> str:
        """Clients are spread evenly over the server processes (one URL in workers mode)."""
        return self.urls[index % len(self.urls)]


def cost_per_request(usage: dict[str, float], requests_per_s: float | None) -> dict[str, Any]:
    """CPU milliseconds per HTTP request by group: unlike req/s, this hardly moves when other
    work shares the machine, and it bounds what N cores can do: cores x 1000 / total."""
    if not requests_per_s:
        return {}
    per = {
        f"{group}_ms": round(usage.get(group, 0.0) * 10 / requests_per_s, 3)
        for group in ("api", "postgres", "generator")
    }
    total = sum(per.values())
    bound = round(usage.get("cores", 1) * 1000 / total, 1) if total else None
    return {**per, "cpu_bound_req_per_s": bound}


async def _timed(cpu: CpuMeter, work: Any) -> tuple[float, dict[str, float], Any]:
    cpu.start()
    started = time.monotonic()
    result = await work
    elapsed = time.monotonic() - started
    return elapsed, cpu.stop(), result


# --- generator ceiling ---------------------------------------------------------------------------


async def ceiling(url: str, concurrency: int, seconds: float, cpu: CpuMeter) -> dict[str, Any]:
    """The same aiohttp client against a bare ASGI app: what this generator can do at most."""
    recorder = Recorder()
    body = json.dumps({"show_id": str(uuid.uuid4()), "seat_ids": [str(uuid.uuid4())] * 2})
    deadline = time.monotonic() + seconds
    async with new_session() as http:

        async def client() -> None:
            for _ in window(before(deadline)):
                started = time.perf_counter()
                status, _, _ = await request(
                    http,
                    "POST",
                    f"{url}/api/v1/bookings",
                    data=body.encode(),
                    headers={"Content-Type": "application/json", "Authorization": "Bearer x"},
                )
                recorder.add(status, time.perf_counter() - started)

        elapsed, usage, _ = await _timed(
            cpu, asyncio.gather(*(client() for _ in range(concurrency)))
        )
    summary = recorder.summary(elapsed)
    generator_ms = (
        usage["generator"] * 10 / summary["per_second"] if summary["per_second"] else None
    )
    return {
        "concurrency": concurrency,
        "seconds": round(elapsed, 2),
        **summary,
        "cpu": usage,
        # What the generator alone could drive with one full core, from its CPU per request.
        "generator_ms_per_request": round(generator_ms, 3) if generator_ms else None,
        "generator_capacity_req_per_s": round(1000 / generator_ms) if generator_ms else None,
    }


# --- hold storm ----------------------------------------------------------------------------------


async def _storm(
    ctx: Context,
    clients: Sequence[Customer],
    show_id: str,
    seat_ids: Sequence[str],
    keep_going: Callable[[], bool],
    seed: int,
) -> tuple[Recorder, Recorder]:
    holds, cancels = Recorder(), Recorder()
    async with new_session() as http:

        async def client(index: int) -> None:
            rng = random.Random(seed + index)
            base, who = ctx.url(index), clients[index].headers
            for _ in window(keep_going):
                body = {"show_id": show_id, "seat_ids": rng.sample(seat_ids, 2)}
                wall, started = time.time(), time.perf_counter()
                status, raw, _ = await request(
                    http, "POST", f"{base}/api/v1/bookings", body=body, headers=who
                )
                holds.add(status, time.perf_counter() - started, wall)
                if status == 201:
                    booking = json.loads(raw)["id"]
                    started = time.perf_counter()
                    status, raw, _ = await request(
                        http, "POST", f"{base}/api/v1/bookings/{booking}/cancel", headers=who
                    )
                    cancels.add(status, time.perf_counter() - started)
                    if status != 200:
                        cancels.note(f"{status} {raw[:200]!r}")
                elif status != 409:
                    holds.note(f"{status} {raw[:200]!r}")
                    if isinstance(status, str):
                        await asyncio.sleep(0.05)  # a transport failure: don't spin

        await asyncio.gather(*(client(i) for i in range(len(clients))))
    return holds, cancels


async def hold_storm(
    ctx: Context,
    clients: Sequence[Customer],
    show_id: str,
    seat_ids: Sequence[str],
    concurrency: int,
    seconds: float,
) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    elapsed, usage, (holds, cancels) = await _timed(
        ctx.cpu,
        _storm(
            ctx,
            clients[:concurrency],
            show_id,
            seat_ids,
            lambda: time.monotonic() < deadline,
            concurrency,
        ),
    )
    hold = holds.summary(elapsed)
    return {
        "concurrency": concurrency,
        "seconds": round(elapsed, 2),
        "requests_per_s": round((holds.count + cancels.count) / elapsed, 1),
        "hold_attempts_per_s": hold["per_second"],
        "holds_per_s": round(holds.statuses["201"] / elapsed, 1),
        "conflicts_409": holds.statuses["409"],
        "errors": holds.errors() + cancels.errors(),
        "hold": hold,
        "cancel": cancels.summary(elapsed),
        "cpu": usage,
        "cpu_per_request": cost_per_request(usage, (holds.count + cancels.count) / elapsed),
    }


# --- seat map ------------------------------------------------------------------------------------


async def seat_map(
    ctx: Context, show_id: str, concurrency: int, seconds: float, conditional: bool
) -> dict[str, Any]:
    recorder = Recorder()
    async with new_session() as http:
        status, _, headers = await request(
            http, "GET", f"{ctx.url(0)}/api/v1/shows/{show_id}/seats"
        )
        etag = headers.get("ETag") if status == 200 else None
        extra = {"If-None-Match": etag} if conditional and etag else None
        deadline = time.monotonic() + seconds

        async def client(index: int) -> None:
            url = f"{ctx.url(index)}/api/v1/shows/{show_id}/seats"
            for _ in window(before(deadline)):
                started = time.perf_counter()
                status, raw, _ = await request(http, "GET", url, headers=extra)
                recorder.add(status, time.perf_counter() - started)
                if status not in (200, 304):
                    recorder.note(f"{status} {raw[:200]!r}")

        elapsed, usage, _ = await _timed(
            ctx.cpu, asyncio.gather(*(client(i) for i in range(concurrency)))
        )
    return {
        "concurrency": concurrency,
        "if_none_match": bool(extra),
        "etag": etag,
        "seconds": round(elapsed, 2),
        **recorder.summary(elapsed),
        "cpu": usage,
        "cpu_per_request": cost_per_request(usage, recorder.count / elapsed),
    }


# --- sell-out race -------------------------------------------------------------------------------

LIVE = "(b.status = 'BOOKED' OR (b.status = 'PENDING' AND b.expires_at > now()))"


async def seat_audit(db: asyncpg.Connection, show_id: str) -> dict[str, Any]:
    """From the database: no seat in two live bookings, every live booking owns its seats."""
    show = uuid.UUID(show_id)
    doubly = await db.fetch(
        f"SELECT bs.seat_id FROM booking_seats bs JOIN bookings b ON b.id = bs.booking_id"
        f" WHERE b.show_id = $1 AND {LIVE} GROUP BY bs.seat_id HAVING count(*) > 1",
        show,
    )
    held = await db.fetchval(
        f"SELECT count(*) FROM booking_seats bs JOIN bookings b ON b.id = bs.booking_id"
        f" WHERE b.show_id = $1 AND {LIVE}",
        show,
    )
    inventory = await db.fetchval(
        "SELECT count(*) FROM show_seats WHERE show_id = $1 AND booking_id IS NOT NULL"
        " AND (held_until IS NULL OR held_until > now())",
        show,
    )
    not_owned = await db.fetchval(
        f"SELECT count(*) FROM bookings b JOIN booking_seats bs ON bs.booking_id = b.id"
        f" LEFT JOIN show_seats ss ON ss.show_id = b.show_id AND ss.seat_id = bs.seat_id"
        f"  AND ss.booking_id = b.id WHERE b.show_id = $1 AND {LIVE} AND ss.seat_id IS NULL",
        show,
    )
    seats = await db.fetchval("SELECT count(*) FROM show_seats WHERE show_id = $1", show)
    return {
        "seats": seats,
        "seats_in_live_bookings": held,
        "seats_taken_in_inventory": inventory,
        "seats_in_two_live_bookings": len(doubly),
        "live_booking_seats_not_owned": not_owned,
    }


async def sell_out(
    ctx: Context,
    show_id: str,
    seat_ids: Sequence[str],
    clients: int,
    seed: int = 99,
    best: bool = False,
) -> dict[str, Any]:
    """`clients` customers, each wanting 1-4 seats, all at once. Every client starts from the
    same (fresh) seat map; after a 409 it re-reads the map, as a front end would, and tries
    again with seats shown AVAILABLE, until it gets a hold or nothing is left.

    `best`: each asks for its quantity instead (best available, `{"show_id", "quantity"}`) and
    reads no map; told that only N < quantity seats are left, it asks for N, and stops at 0."""
    total = len(seat_ids)
    holds, maps = Recorder(), Recorder()
    granted = 0
    sold_out_at: float | None = None
    last_hold_at = 0.0
    async with new_session() as http:
        api = Api(http, ctx.url(0))
        # Each customer's identity first; this also opens the connections the race reuses.
        made_at = time.monotonic()
        customers = await guests(api, clients, concurrency=min(clients, 1000))
        made = time.monotonic() - made_at
        started = time.perf_counter()

        async def client(index: int) -> None:
            nonlocal granted, sold_out_at, last_hold_at
            rng = random.Random(seed + index)
            base, who = ctx.url(index), customers[index].headers
            want = rng.randint(1, 4)
            view = list(seat_ids)
            for _ in range(50):
                if not view or not want:
                    return
                asked: dict[str, Any] = {"show_id": show_id}
                if best:
                    asked["quantity"] = want
                else:
                    asked["seat_ids"] = rng.sample(view, min(want, len(view)))
                began = time.perf_counter()
                status, raw, _ = await request(
                    http, "POST", f"{base}/api/v1/bookings", body=asked, headers=who
                )
                holds.add(status, time.perf_counter() - began)
                if status == 201:
                    granted += len(json.loads(raw)["seats"])
                    last_hold_at = time.perf_counter() - started
                    if granted >= total and sold_out_at is None:
                        sold_out_at = last_hold_at
                    return
                if status != 409:
                    holds.note(f"{status} {raw[:200]!r}")
                if best:
                    # Seats taken in a race: ask again; too few left: ask for what is left.
                    if status == 409:
                        want = min(want, json.loads(raw).get("available", want))
                    continue
                began = time.perf_counter()
                status, raw, _ = await request(http, "GET", f"{base}/api/v1/shows/{show_id}/seats")
                maps.add(status, time.perf_counter() - began)
                if status != 200:
                    maps.note(f"{status} {raw[:200]!r}")
                    return
                # orjson: the generator parses ~2,000 maps of 300 seats here, and its CPU is the
                # servers' CPU on this machine.
                seats = orjson.loads(raw)["seats"]
                view = [s["id"] for s in seats if s["status"] == "AVAILABLE"]

        ctx.cpu.start()
        await asyncio.gather(*(client(i) for i in range(clients)))
        elapsed = time.perf_counter() - started
        usage = ctx.cpu.stop()
    audit = await seat_audit(ctx.db, show_id)
    sold_out = audit["seats_in_live_bookings"] == total
    audit_ok = (
        audit["seats_in_two_live_bookings"] == 0
        and audit["live_booking_seats_not_owned"] == 0
        and audit["seats_in_live_bookings"] <= total
        and audit["seats_in_live_bookings"] == audit["seats_taken_in_inventory"]
        and audit["seats_in_live_bookings"] == granted
        and (sold_out or sold_out_at is None)
    )
    return {
        "clients": clients,
        "seats": total,
        "guests_created_s": round(made, 2),
        "sold_out": sold_out,
        "time_to_sold_out_s": round(sold_out_at, 3) if sold_out_at is not None else None,
        "time_to_last_hold_s": round(last_hold_at, 3),
        "race_seconds": round(elapsed, 3),
        "holds_granted": holds.statuses["201"],
        "seats_granted": granted,
        "hold": holds.summary(elapsed),
        "seat_map_refreshes": maps.summary(elapsed),
        "errors": holds.errors() + maps.errors(),
        "audit": audit,
        "audit_ok": audit_ok,
        "cpu": usage,
    }


# --- expiry sweep --------------------------------------------------------------------------------


async def insert_expired_holds(
    db: asyncpg.Connection, show_ids: Sequence[str], guest_id: str, count: int
) -> float:
    """`count` one-seat PENDING bookings whose hold ran out a minute ago, written as the API
    writes them (bookings + booking_seats + the PENDING transition + show_seats claimed until
    expires_at), in a few set-based statements. Returns the seconds it took."""
    started = time.monotonic()
    async with db.transaction():
        await db.execute(
            """
            CREATE TEMP TABLE bench_expired ON COMMIT DROP AS
            SELECT ss.show_id, ss.seat_id, ss.label, ss.seat_type, ss.price,
                   gen_random_uuid() AS booking_id,
                   now() - interval '11 minutes' AS created,
                   now() - interval '1 minute' - (random() * interval '30 seconds') AS expires
            FROM show_seats ss
            WHERE ss.show_id = ANY($1::uuid[]) AND ss.booking_id IS NULL
            ORDER BY ss.show_id, ss.seat_id
            LIMIT $2
            """,
            [uuid.UUID(s) for s in show_ids],
            count,
        )
        made = await db.fetchval("SELECT count(*) FROM bench_expired")
        if made != count:
            raise RuntimeError(f"only {made} free seats for {count} expired holds")
        await db.execute(
            "INSERT INTO bookings (id, show_id, user_id, guest_id, status, amount_total, currency,"
            " expires_at, created_at, updated_at)"
            " SELECT booking_id, show_id, NULL, $1, 'PENDING', price, 'INR', expires, created,"
            " created"
            " FROM bench_expired",
            uuid.UUID(guest_id),
        )
        await db.execute(
            "INSERT INTO booking_seats (booking_id, seat_id, label, seat_type, price)"
            " SELECT booking_id, seat_id, label, seat_type, price FROM bench_expired"
        )
        await db.execute(
            "INSERT INTO booking_transitions (id, booking_id, from_status, to_status, at, reason,"
            " actor) SELECT gen_random_uuid(), booking_id, NULL, 'PENDING', created, 'seats held',"
            " 'guest:' || $1 FROM bench_expired",
            guest_id,
        )
        await db.execute(
            "UPDATE show_seats ss SET booking_id = e.booking_id, held_until = e.expires"
            " FROM bench_expired e WHERE ss.show_id = e.show_id AND ss.seat_id = e.seat_id"
        )
    # A production table has statistics; give these fresh rows theirs as autovacuum would.
    await db.execute("ANALYZE bookings, booking_seats, booking_transitions, show_seats")
    return time.monotonic() - started


async def run_worker_once(env: dict[str, str]) -> dict[str, Any]:
    """`boxoffice worker --once` as its own process; its JSON log tells when the pass ran."""
    started_wall, started = time.time(), time.monotonic()
    process = await asyncio.create_subprocess_exec(
        BOXOFFICE,
        "worker",
        "--once",
        env={**env, "LOG_LEVEL": "INFO", "DB_POOL_SIZE": "2", "DB_MAX_OVERFLOW": "0"},
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    except TimeoutError:
        process.kill()
        raise
    wall = time.monotonic() - started
    events: dict[str, Any] = {}
    for line in (out + err).decode(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and "event" in record:
            events.setdefault(record["event"], record)
    if process.returncode != 0:
        raise RuntimeError(f"worker failed ({process.returncode}): {err.decode()[-2000:]}")

    def at(name: str) -> float | None:
        stamp = events.get(name, {}).get("timestamp")
        return datetime.fromisoformat(stamp).timestamp() if stamp else None

    begun, ended = at("worker_started"), at("worker_stopped")
    return {
        "process_seconds": round(wall, 3),
        "pass_seconds": round(ended - begun, 3) if begun and ended else None,
        "window": (begun or started_wall, ended or started_wall + wall),
        "process_started": started_wall,
        "expired_swept": events.get("worker_pass", {}).get("expired_swept", 0),
    }


async def expiry_sweep(
    ctx: Context,
    env: dict[str, str],
    show_ids: Sequence[str],
    guest_id: str,
    count: int,
    storm_clients: Sequence[Customer],
    storm_show: str,
    storm_seats: Sequence[str],
    lead_seconds: float = 1.5,
    idle_pass: bool = True,
) -> dict[str, Any]:
    # The same command with nothing to sweep: what start-up and the other chores cost.
    idle = await run_worker_once(env) if idle_pass else None
    setup = await insert_expired_holds(ctx.db, show_ids, guest_id, count)
    ids = [uuid.UUID(s) for s in show_ids]
    stop = asyncio.Event()
    storm = asyncio.create_task(
        _storm(ctx, storm_clients, storm_show, storm_seats, lambda: not stop.is_set(), 4242)
    )
    try:
        await asyncio.sleep(lead_seconds)
        ctx.cpu.start()
        worker = await run_worker_once(env)
        usage = ctx.cpu.stop()
        await asyncio.sleep(0.3)
    finally:
        stop.set()
        holds, cancels = await storm
    begun, ended = worker["window"]
    during = [
        lat
        for lat, wall in zip(holds.latencies, holds.starts, strict=True)
        if begun <= wall <= ended
    ]
    before = [
        lat
        for lat, wall in zip(holds.latencies, holds.starts, strict=True)
        if wall < worker["process_started"]
    ]
    left = await ctx.db.fetchval(
        "SELECT count(*) FROM bookings WHERE show_id = ANY($1::uuid[]) AND status = 'PENDING'", ids
    )
    expired = await ctx.db.fetchval(
        "SELECT count(*) FROM bookings WHERE show_id = ANY($1::uuid[]) AND status = 'EXPIRED'", ids
    )
    recorded = await ctx.db.fetchval(
        "SELECT count(*) FROM booking_transitions t JOIN bookings b ON b.id = t.booking_id"
        " WHERE b.show_id = ANY($1::uuid[])"
        " AND t.from_status = 'PENDING' AND t.to_status = 'EXPIRED'",
        ids,
    )
    still_claimed = await ctx.db.fetchval(
        "SELECT count(*) FROM show_seats"
        " WHERE show_id = ANY($1::uuid[]) AND booking_id IS NOT NULL",
        ids,
    )
    audit = {
        "pending_left": left,
        "expired": expired,
        "expiry_transitions": recorded,
        "seats_still_claimed": still_claimed,
    }
    return {
        "holds": count,
        "insert_seconds": round(setup, 2),
        "method": "set-based SQL inserts mirroring the API's rows, then ANALYZE",
        "worker_process_seconds": worker["process_seconds"],
        "worker_pass_seconds": worker["pass_seconds"],
        "idle_worker_process_seconds": idle["process_seconds"] if idle else None,
        "idle_worker_pass_seconds": idle["pass_seconds"] if idle else None,
        "swept": worker["expired_swept"],
        "storm_concurrency": len(storm_clients),
        "hold_during_sweep": latency_summary(during),
        "hold_before_sweep": latency_summary(before),
        "storm_statuses": dict(holds.statuses),
        "errors": holds.errors() + cancels.errors(),
        "audit": audit,
        "audit_ok": left == 0 and expired == count and recorded == count and still_claimed == 0,
        "cpu": usage,
    }


# --- webhook burst -------------------------------------------------------------------------------


async def paid_once_audit(db: asyncpg.Connection, booking_ids: list[uuid.UUID]) -> dict[str, int]:
    """From the database, for bookings that were each paid once: how many are BOOKED, with one
    BOOKED transition (or several), with one captured payment, and the refunds among them."""
    transitions = await db.fetch(
        "SELECT booking_id, count(*) AS n FROM booking_transitions WHERE to_status = 'BOOKED'"
        " AND booking_id = ANY($1::uuid[]) GROUP BY booking_id",
        booking_ids,
    )
    captured = await db.fetch(
        "SELECT booking_id, count(*) AS n FROM payments WHERE payment_id IS NOT NULL"
        " AND status = 'CAPTURED' AND booking_id = ANY($1::uuid[]) GROUP BY booking_id",
        booking_ids,
    )
    booked = await db.fetchval(
        "SELECT count(*) FROM bookings WHERE status = 'BOOKED' AND id = ANY($1::uuid[])",
        booking_ids,
    )
    refunds = await db.fetchval(
        "SELECT count(*) FROM refunds r JOIN payments p ON p.id = r.payment_id"
        " WHERE p.booking_id = ANY($1::uuid[])",
        booking_ids,
    )
    return {
        "booked": booked,
        "bookings_with_one_booked_transition": sum(1 for r in transitions if r["n"] == 1),
        "bookings_with_several_booked_transitions": sum(1 for r in transitions if r["n"] > 1),
        "bookings_with_one_captured_payment": sum(1 for r in captured if r["n"] == 1),
        "refunds": refunds,
    }


def paid_once_ok(audit: dict[str, int], bookings: int) -> bool:
    return (
        audit["booked"] == bookings
        and audit["bookings_with_one_booked_transition"] == bookings
        and audit["bookings_with_several_booked_transitions"] == 0
        and audit["bookings_with_one_captured_payment"] == bookings
        and audit["refunds"] == 0
    )


def signed(event: dict[str, Any], secret: str) -> tuple[bytes, str]:
    raw = json.dumps(event, separators=(",", ":")).encode()
    return raw, hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def payment_event(event: str, order_id: str, payment_id: str, amount: int) -> dict[str, Any]:
    payment = {
        "id": payment_id,
        "entity": "payment",
        "amount": amount,
        "currency": "INR",
        "status": "captured",
        "order_id": order_id,
        "captured": True,
        "method": "upi",
    }
    payload: dict[str, Any] = {"payment": {"entity": payment}}
    if event == "order.paid":
        payload["order"] = {
            "entity": {"id": order_id, "entity": "order", "amount": amount, "status": "paid"}
        }
    return {
        "entity": "event",
        "account_id": "acc_bench",
        "event": event,
        "contains": list(payload),
        "payload": payload,
        "created_at": int(time.time()),
    }


async def webhook_burst(
    ctx: Context,
    show_id: str,
    seat_ids: Sequence[str],
    deliveries: int,
    duplicate_share: float,
    concurrency: int,
    secret: str,
    seed: int = 2024,
) -> dict[str, Any]:
    duplicates = round(deliveries * duplicate_share)
    bookings = (deliveries - duplicates) // 2  # two distinct events per payment
    duplicates = deliveries - 2 * bookings
    if bookings > len(seat_ids):
        raise RuntimeError(f"{bookings} bookings need as many seats; the show has {len(seat_ids)}")
    rng = random.Random(seed)
    gate = asyncio.Semaphore(32)
    paid: list[dict[str, Any]] = []
    sandbox_payments = 0
    async with new_session() as http:
        # Real bookings and real orders: a guest with an email holds one seat and asks for an
        # order (the server creates it through the Razorpay SDK against its sandbox); the
        # sandbox's Checkout then pays it, as a customer would.
        async def prepare(index: int) -> None:
            nonlocal sandbox_payments
            async with gate:
                api = Api(http, ctx.url(index))
                who = (await guests(api, 1, 1))[0].headers
                await api.call("PATCH", "/api/v1/me", {"email": f"bench{index}@example.com"}, who)
                hold = await api.call(
                    "POST",
                    "/api/v1/bookings",
                    {"show_id": show_id, "seat_ids": [seat_ids[index]]},
                    who,
                )
                order = await api.call("POST", f"/api/v1/bookings/{hold['id']}/payments", None, who)
                sandbox = ctx.sandbox_url or f"{ctx.url(index)}/_sandbox/razorpay"
                status, raw, _ = await request(
                    http,
                    "POST",
                    f"{sandbox}/checkout/{order['order_id']}",
                    body={"outcome": "success", "deliver_webhooks": False},
                )
                if status == 200:
                    payment_id = json.loads(raw)["razorpay_payment_id"]
                    sandbox_payments += 1
                else:
                    payment_id = f"pay_bench{uuid.uuid4().hex[:14]}"
                paid.append(
                    {
                        "booking": hold["id"],
                        "order": order["order_id"],
                        "payment": payment_id,
                        "amount": order["amount"],
                    }
                )

        prepared_at = time.monotonic()
        await asyncio.gather(*(prepare(i) for i in range(bookings)))
        prepare_seconds = time.monotonic() - prepared_at

        unique: list[tuple[str, bytes, str]] = []
        for item in paid:
            for kind in ("payment.captured", "order.paid"):
                raw, signature = signed(
                    payment_event(kind, item["order"], item["payment"], item["amount"]), secret
                )
                unique.append((new_event_id(), raw, signature))
        sent = unique + [rng.choice(unique) for _ in range(duplicates)]
        rng.shuffle(sent)  # out of order: order.paid often before payment.captured
        recorder, replays = Recorder(), Recorder()
        outcomes: Counter[str] = Counter()
        queue = iter(range(len(sent)))

        async def sender(index: int, recorder: Recorder = recorder) -> None:
            url = f"{ctx.url(index)}/api/v1/webhooks/razorpay"
            for position in queue:
                event_id, raw, signature = sent[position]
                began = time.perf_counter()
                status, answer, _ = await request(
                    http,
                    "POST",
                    url,
                    data=raw,
                    headers={
                        "Content-Type": "application/json",
                        "X-Razorpay-Signature": signature,
                        "X-Razorpay-Event-Id": event_id,
                    },
                )
                recorder.add(status, time.perf_counter() - began)
                if status == 200:
                    outcomes[str(json.loads(answer).get("status"))] += 1
                else:
                    recorder.note(f"{status} {answer[:200]!r}")

        elapsed, usage, _ = await _timed(
            ctx.cpu, asyncio.gather(*(sender(i) for i in range(concurrency)))
        )
        # The same deliveries again: every one is now a redelivery of an event applied before,
        # what a webhook costs when there is nothing left to do (issue 27: one round trip).
        queue = iter(range(len(sent)))
        replayed, replay_usage, _ = await _timed(
            ctx.cpu, asyncio.gather(*(sender(i, replays) for i in range(concurrency)))
        )
    booking_ids = [uuid.UUID(item["booking"]) for item in paid]
    paid_once = await paid_once_audit(ctx.db, booking_ids)
    events = await ctx.db.fetchval(
        "SELECT count(*) FROM provider_events WHERE event_id = ANY($1::text[])",
        [event_id for event_id, _, _ in unique],
    )
    audit = {
        "bookings": bookings,
        **paid_once,
        "events_recorded": events,
        "distinct_events": len(unique),
    }
    audit_ok = paid_once_ok(paid_once, bookings) and events == len(unique)
    return {
        "deliveries": len(sent),
        "distinct_events": len(unique),
        "duplicates": duplicates,
        "bookings": bookings,
        "orders_prepared_s": round(prepare_seconds, 2),
        "sandbox_payments": sandbox_payments,
        "concurrency": concurrency,
        "seconds": round(elapsed, 2),
        **recorder.summary(elapsed),
        "outcomes": dict(outcomes),
        "audit": audit,
        "audit_ok": audit_ok,
        "cpu": usage,
        "cpu_per_request": cost_per_request(usage, recorder.count / elapsed),
        "replayed": {
            **replays.summary(replayed),
            "cpu": replay_usage,
            "cpu_per_request": cost_per_request(replay_usage, replays.count / replayed),
        },
    }


def cores() -> int:
    return os.cpu_count() or 1


def ceil_div(a: int, b: int) -> int:
    return math.ceil(a / b)


__all__ = ["Context", "Headers", "aiohttp"]


# --- live seat stream ----------------------------------------------------------------------------

PROBE_SEATS = 20  # seats of the show only the watchers' probes hold (the storm takes the rest)


def _rss_kb(pids: set[int]) -> int:
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


async def seat_stream(
    ctx: Context,
    clients: Sequence[Customer],
    probe: Customer,
    show_id: str,
    seat_ids: Sequence[str],
    subscribers: int,
    concurrency: int,
    seconds: float,
) -> dict[str, Any]:
    """A hold storm without subscribers, then with `subscribers` streams on the show spread over
    the servers (held by `bench.watchers`, a process of its own, which also probes delivery
    latency), then without again: the storm's throughput with them against the mean without."""
    storm_seats, probe_seats = list(seat_ids[:-PROBE_SEATS]), list(seat_ids[-PROBE_SEATS:])

    async def storm() -> dict[str, Any]:
        return await hold_storm(ctx, clients, show_id, storm_seats, concurrency, seconds)

    before = await storm()
    api = descendants(ctx.cpu.api_roots)
    rss_before = _rss_kb(api)
    config = {
        "urls": ctx.urls,
        "show_id": show_id,
        "subscribers": subscribers,
        "seconds": seconds,
        "probe_seats": probe_seats,
        "probe_headers": probe.headers,
    }
    watcher = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.watchers",
        json.dumps(config),
        cwd=REPO_ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    assert watcher.stdin is not None and watcher.stdout is not None
    try:
        opening = time.monotonic()
        ready = await asyncio.wait_for(watcher.stdout.readline(), 180)
        if ready.strip() != b"ready":
            raise RuntimeError(f"the watchers did not open their streams: {ready[:300]!r}")
        opened_in = time.monotonic() - opening
        await asyncio.sleep(1.0)  # let the servers settle before reading their memory
        rss_with = _rss_kb(api)
        watcher.stdin.write(b"go\n")
        await watcher.stdin.drain()
        during = await storm()
        out, _ = await asyncio.wait_for(watcher.communicate(), seconds + 60)
    finally:
        if watcher.returncode is None:
            watcher.kill()
            await watcher.wait()
    watched = json.loads(out.decode().strip().splitlines()[-1])
    await asyncio.sleep(1.0)  # the streams closed: their feeds go quiet
    after = await storm()
    baseline = (before["holds_per_s"] + after["holds_per_s"]) / 2
    # What the CPU each costs allows on idle cores: the figure other load moves least.
    cpu_bound = [row["cpu_per_request"].get("cpu_bound_req_per_s") for row in (before, after)]
    cpu_bound_without = (cpu_bound[0] + cpu_bound[1]) / 2 if cpu_bound[0] and cpu_bound[1] else None
    cpu_bound_with = during["cpu_per_request"].get("cpu_bound_req_per_s")
    # The streams' own CPU: the API's CPU during the storm with them, less what its requests
    # cost without them. It does not grow with the hold rate (a feed reads and sends at most
    # every SEAT_STREAM_COALESCE_SECONDS), so on idle cores it takes that share of the machine.
    api_ms_without = (
        before["cpu_per_request"].get("api_ms", 0) + after["cpu_per_request"].get("api_ms", 0)
    ) / 2
    fanout_pct = during["cpu"]["api"] - api_ms_without * during["requests_per_s"] / 10
    cores = during["cpu"].get("cores", 1)
    return {
        "subscribers": subscribers,
        "servers": len(ctx.urls),
        "concurrency": concurrency,
        "streams_opened_in_s": round(opened_in, 2),
        "delivery": watched,
        "rss_kb_before": rss_before,
        "rss_kb_with_subscribers": rss_with,
        "memory_per_subscriber_kb": round((rss_with - rss_before) / subscribers, 1),
        "storm_without": before,
        "storm_with": during,
        "storm_without_again": after,
        "holds_per_s_without": round(baseline, 1),
        "holds_per_s_with": during["holds_per_s"],
        "throughput_ratio": round(during["holds_per_s"] / baseline, 3) if baseline else None,
        "stream_cpu_pct_of_a_core": round(fanout_pct, 1),
        "ratio_projected_on_idle_cores": round(1 - max(fanout_pct, 0) / (100 * cores), 3),
        "cpu_bound_ratio": (
            round(cpu_bound_with / cpu_bound_without, 3)
            if cpu_bound_with and cpu_bound_without
            else None
        ),
    }
