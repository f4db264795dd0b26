"""Best available against a manual hold, in the same run and the same conditions (issue 12's
target: a best-available hold costs the API the same CPU as a manual hold, within 20 %).

C clients, each its own guest, hold 2 seats of the 300-seat main show over and over, for a few
seconds per variant, alternating manual, best, manual, best:
- manual: `{"show_id", "seat_ids"}` with the client's own two seats (no client competes for
  them, so every hold succeeds: the cost of the hold itself, not of refusals);
- best: `{"show_id", "quantity": 2}`: every client wants the same best seats, so the choosing,
  the hints that spread one process's choosers, and the retries after races across processes
  are all in the figure.
Each successful hold is released straight in the database (the app's own `RELEASE_HOLD`, from
this process), so the API processes serve nothing but holds and their CPU per request is the
cost of a hold.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from statistics import median
from typing import Any

import asyncpg

from bench.client import Customer, new_session, request
from bench.scenarios import Context, _timed, cost_per_request
from bench.stats import Recorder, before, window

VARIANTS = ("manual", "best")


async def compare(
    ctx: Context,
    database_url: str,
    clients: Sequence[Customer],
    show_id: str,
    seat_ids: Sequence[str],
    concurrency: int,
    seconds: float,
    rounds: int,
) -> dict[str, Any]:
    from boxoffice.bookings.holds_postgres import RELEASE_HOLD

    if 2 * concurrency > len(seat_ids):
        raise ValueError("each manual client needs two seats of its own")
    releases = await asyncpg.create_pool(
        database_url, min_size=2, max_size=8, server_settings={"application_name": "bench-best"}
    )
    runs: list[dict[str, Any]] = []
    try:
        for _ in range(rounds):
            for variant in VARIANTS:
                run = await _storm(
                    ctx, releases, RELEASE_HOLD, clients[:concurrency], show_id, seat_ids,
                    variant, seconds,
                )  # fmt: skip
                runs.append(run)
                ctx.log(
                    f"  {variant:<6} C={concurrency} {run['holds_per_s']:>7} holds/s  "
                    f"p50/p99 {run['hold']['p50_ms']}/{run['hold']['p99_ms']} ms  "
                    f"statuses {run['hold']['statuses']}  API {run['api_ms_per_hold']} ms/hold"
                    f"  (other CPU {run['cpu']['other'] + run['cpu']['pg_other']}%)"
                )
    finally:
        await releases.close()
    per_variant = {
        variant: median(r["api_ms_per_hold"] for r in runs if r["variant"] == variant)
        for variant in VARIANTS
    }
    ratio = round(per_variant["best"] / per_variant["manual"], 2) if per_variant["manual"] else None
    ctx.log(
        f"  API CPU per hold (median of {rounds}): manual {per_variant['manual']} ms, "
        f"best {per_variant['best']} ms: best = {ratio} x manual"
    )
    return {
        "concurrency": concurrency,
        "runs": runs,
        "api_ms_per_hold": per_variant,
        "best_to_manual": ratio,
    }


async def _storm(
    ctx: Context,
    releases: asyncpg.Pool,
    release_sql: str,
    clients: Sequence[Customer],
    show_id: str,
    seat_ids: Sequence[str],
    variant: str,
    seconds: float,
) -> dict[str, Any]:
    holds = Recorder()
    deadline = time.monotonic() + seconds
    show = uuid.UUID(show_id)
    async with new_session() as http:

        async def client(index: int) -> None:
            base, who = ctx.url(index), clients[index]
            if variant == "best":
                body: dict[str, Any] = {"show_id": show_id, "quantity": 2}
            else:
                body = {"show_id": show_id, "seat_ids": list(seat_ids[2 * index : 2 * index + 2])}
            for _ in window(before(deadline)):
                wall, started = time.time(), time.perf_counter()
                status, raw, _ = await request(
                    http, "POST", f"{base}/api/v1/bookings", body=body, headers=who.headers
                )
                holds.add(status, time.perf_counter() - started, wall)
                if status != 201:
                    holds.note(f"{status} {raw[:200]!r}")
                    await asyncio.sleep(0.01)
                    continue
                booking = uuid.UUID(json.loads(raw)["id"])
                async with releases.acquire() as connection:
                    released = await connection.fetch(
                        release_sql, booking, "guest", uuid.UUID(who.id), False,
                        datetime.now(UTC), "bench", "bench",
                    )  # fmt: skip
                if not released:
                    raise RuntimeError(f"hold {booking} of show {show} was not released")

        elapsed, usage, _ = await _timed(
            ctx.cpu, asyncio.gather(*(client(i) for i in range(len(clients))))
        )
    summary = holds.summary(elapsed)
    cost = cost_per_request(usage, summary["per_second"])
    return {
        "variant": variant,
        "seconds": round(elapsed, 2),
        "holds_per_s": round(holds.statuses["201"] / elapsed, 1),
        "hold": summary,
        "cpu": usage,
        "cpu_per_request": cost,
        "api_ms_per_hold": cost.get("api_ms"),
    }
