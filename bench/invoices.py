"""The invoice counter under a purchase storm: `python -m bench.invoices` (README "Money").

Every booking's invoice is numbered from one counter row per theatre, financial year and series,
locked from the numbering (the last statement of the booking's transaction) to the commit. A
storm of confirmations for one theatre queues on that row; this measures how much.

A fresh database, 2 API processes (as `make bench`), and P paid bookings prepared through the
API and the sandbox's Checkout (no webhook delivered), laid out two ways:
- `shared`: one theatre, P shows of one screen, a booking a show: every confirmation takes the
  theatre's counter row (and nothing else in common: each show has its own sales row);
- `separate`: P theatres, a show and a booking each: the same work, no row in common.
Then all P are confirmed at once by C clients, half by verify and half by a signed
`payment.captured` webhook, alternately through the two processes. Reported per layout:
confirmations/s, latency p50/p99, and the lock waits sampled from `pg_stat_activity` every
5 ms during the storm (`sample_locks`). Audit: every booking BOOKED with one invoice, each
theatre's numbers 1..n.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from bench.client import Api, Headers, guests, layout, login, new_session, request
from bench.infra import (
    DEFAULT_SERVER,
    base_env,
    database_name,
    fleet,
    fresh_database,
    plain_url,
    run_cli,
)
from bench.scenarios import payment_event, signed
from bench.stats import Recorder

REGISTRATION = {
    "legal_name": "Bench Cinemas Pvt Ltd",
    "gstin": "27AAPFU0939F1ZV",
    "state_code": "27",
    "sac": "999614",
    "invoice_prefix": "BEN",
}
PRICE = 25000
ADMIN = ("bench-admin@example.com", secrets.token_urlsafe(16))
Paid = dict[str, Any]  # booking, who, checkout's answer


async def _theatre(api: Api, admin: Headers, movie_id: str, shows: int) -> list[str]:
    """A registered theatre with one screen of one seat and `shows` shows on it; their ids."""
    theatre = await api.call(
        "POST",
        "/api/v1/theatres",
        {
            "name": f"Bench {secrets.token_hex(3)}",
            "city": "Mumbai",
            "address": "Lower Parel",
            "timezone": "Asia/Kolkata",
            "holidays": [],
        },
        admin,
    )
    path = f"/api/v1/theatres/{theatre['id']}"
    await api.call("PATCH", path, REGISTRATION, admin)
    rules = [
        {"seat_type": "GOLD", "day_type": day, "amount": PRICE}
        for day in ("WEEKDAY", "WEEKEND", "HOLIDAY")
    ]
    await api.call("PUT", f"{path}/prices", rules, admin)
    rows = [{**row, "seat_type": "GOLD"} for row in layout(1, 1)]
    screen = await api.call("POST", f"{path}/screens", {"name": "Audi 1", "rows": rows}, admin)
    first = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    ids = []
    for index in range(shows):
        show = await api.call(
            "POST",
            "/api/v1/shows",
            {
                "movie_id": movie_id,
                "screen_id": screen["id"],
                "starts_at": (first + timedelta(minutes=80 * index)).isoformat(),
            },
            admin,
        )
        ids.append(show["id"])
    return ids


async def _paid(api: Api, show_id: str, index: int) -> Paid:
    who = (await guests(api, 1, 1))[0].headers
    await api.call("PATCH", "/api/v1/me", {"email": f"storm{index}@example.com"}, who)
    seats = await api.call("GET", f"/api/v1/shows/{show_id}/seats")
    held = await api.call(
        "POST", "/api/v1/bookings", {"show_id": show_id, "seat_ids": [seats["seats"][0]["id"]]}, who
    )
    order = await api.call("POST", f"/api/v1/bookings/{held['id']}/payments", None, who)
    paid = await api.call(
        "POST",
        f"/_sandbox/razorpay/checkout/{order['order_id']}",
        {"outcome": "success", "deliver_webhooks": False},
    )
    return {"booking": held["id"], "who": who, "paid": paid}


async def prepare(
    apis: list[Api], admin: Headers, movie_id: str, kind: str, count: int
) -> list[Paid]:
    gate = asyncio.Semaphore(16)

    async def bounded(work: Any) -> Any:
        async with gate:
            return await work

    if kind == "shared":
        shows = await _theatre(apis[0], admin, movie_id, count)
    else:
        made = await asyncio.gather(
            *(bounded(_theatre(apis[i % 2], admin, movie_id, 1)) for i in range(count))
        )
        shows = [ids[0] for ids in made]
    return list(
        await asyncio.gather(
            *(bounded(_paid(apis[i % 2], show, i)) for i, show in enumerate(shows))
        )
    )


async def sample_locks(db: asyncpg.Connection, stop: asyncio.Event) -> dict[str, Any]:
    """Every 5 ms: backends waiting on a lock; of those, the ones waiting for a counter row
    (inside their COMMIT, where the database numbers documents, or on a numbering statement
    the application sent); and backends that numbered and wait, holding the row, for their
    client to send COMMIT (idle in transaction after a numbering statement)."""
    samples = 0
    totals = {"waiting": 0, "to_number": 0, "holding_for_client": 0}
    most = 0
    while not stop.is_set():
        row = await db.fetchrow(
            "SELECT count(*) FILTER (WHERE wait_event_type = 'Lock') AS waiting,"
            " count(*) FILTER (WHERE wait_event_type = 'Lock' AND (query = 'COMMIT'"
            "   OR query ILIKE '%document_counters%')) AS to_number,"
            " count(*) FILTER (WHERE state = 'idle in transaction'"
            "   AND query ILIKE '%document_counters%') AS holding_for_client"
            " FROM pg_stat_activity WHERE datname = current_database()"
        )
        samples += 1
        for name in totals:
            totals[name] += row[name]
        most = max(most, row["to_number"])
        await asyncio.sleep(0.005)
    return {
        "samples": samples,
        **{f"mean_{name}": round(total / max(samples, 1), 2) for name, total in totals.items()},
        "max_to_number": most,
    }


async def storm(
    apis: list[Api], paid: list[Paid], secret: str, concurrency: int, db: asyncpg.Connection
) -> dict[str, Any]:
    recorder = Recorder()
    queue = iter(range(len(paid)))

    async def client() -> None:
        for index in queue:
            item, api = paid[index], apis[index % 2]
            answer = item["paid"]
            began = time.perf_counter()
            if index % 2:
                body = {k: answer[k] for k in answer if k.startswith("razorpay_")}
                status, raw, _ = await request(
                    api.session,
                    "POST",
                    f"{api.base}/api/v1/payments/razorpay/verify",
                    body=body,
                    headers=item["who"],
                )
            else:
                event = payment_event(
                    "payment.captured",
                    answer["razorpay_order_id"],
                    answer["razorpay_payment_id"],
                    PRICE,
                )
                raw_event, signature = signed(event, secret)
                status, raw, _ = await request(
                    api.session,
                    "POST",
                    f"{api.base}/api/v1/webhooks/razorpay",
                    data=raw_event,
                    headers={
                        "Content-Type": "application/json",
                        "X-Razorpay-Signature": signature,
                        "X-Razorpay-Event-Id": f"evt_{secrets.token_hex(7)}",
                    },
                )
            recorder.add(status, time.perf_counter() - began)
            if status != 200:
                recorder.note(f"{status} {raw[:200]!r}")

    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_locks(db, stop))
    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    stop.set()
    return {
        "seconds": round(elapsed, 2),
        "confirmations": recorder.summary(elapsed),
        "locks": await sampler,
        "load_average": os.getloadavg(),
    }


async def audit(db: asyncpg.Connection, paid: list[Paid]) -> dict[str, Any]:
    ids = [item["booking"] for item in paid]
    booked = await db.fetchval(
        "SELECT count(*) FROM bookings WHERE status = 'BOOKED' AND id = ANY($1::uuid[])", ids
    )
    invoices = await db.fetch(
        "SELECT theatre_id, array_agg(serial ORDER BY serial) AS serials FROM documents"
        " WHERE booking_id = ANY($1::uuid[]) GROUP BY theatre_id",
        ids,
    )
    gapless = all(list(r["serials"]) == list(range(1, len(r["serials"]) + 1)) for r in invoices)
    numbered = sum(len(r["serials"]) for r in invoices)
    return {"bookings": len(ids), "booked": booked, "invoiced": numbered, "gapless": gapless}


async def run(server: str, count: int, concurrency: int, rounds: int) -> dict[str, Any]:
    jwt_secret = secrets.token_urlsafe(48)
    results: dict[str, Any] = {"bookings": count, "concurrency": concurrency, "rounds": []}
    with fresh_database(server) as url:
        env = base_env(url, jwt_secret)
        run_cli(["migrate"], env)
        run_cli(["create-admin", "--email", ADMIN[0], f"--password={ADMIN[1]}"], env)
        log_dir = Path("var/bench") / f"invoices-{datetime.now(UTC):%Y%m%dT%H%M%S}"
        with fleet("processes", 2, env, log_dir) as servers:
            db = await asyncpg.connect(plain_url(url))
            # A session a phase: a keep-alive connection left idle through a storm is closed by
            # the server, and reusing it fails the next phase.
            async with new_session() as http:
                apis = [Api(http, base) for base in servers.urls]
                admin = await login(apis[0], *ADMIN)
                movie = await apis[0].call(
                    "POST",
                    "/api/v1/movies",
                    {
                        "title": "Storm",
                        "duration_minutes": 60,
                        "language": "Hindi",
                        "certificate": "U",
                        "genres": ["Drama"],
                        "release_date": "2026-01-01",
                    },
                    admin,
                )
                secret = await db.fetchval(
                    "SELECT webhook_secret FROM razorpay_sandbox_credentials WHERE id = 1"
                )
            for number in range(rounds):
                for kind in ("shared", "separate"):
                    async with new_session() as http:
                        apis = [Api(http, base) for base in servers.urls]
                        paid = await prepare(apis, admin, movie["id"], kind, count)
                    async with new_session() as http:
                        apis = [Api(http, base) for base in servers.urls]
                        outcome = await storm(apis, paid, secret, concurrency, db)
                    outcome |= {"layout": kind, "round": number + 1}
                    outcome["audit"] = await audit(db, paid)
                    print(json.dumps(outcome), flush=True)
                    results["rounds"].append(outcome)
            await db.close()
            results["log_problems"] = servers.log_problems()
        results["database"] = database_name(url)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bookings", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--server", default=os.environ.get("BENCH_DATABASE_SERVER", DEFAULT_SERVER))
    args = parser.parse_args()
    results = asyncio.run(run(args.server, args.bookings, args.concurrency, args.rounds))
    out = Path("var/bench") / f"invoices-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
