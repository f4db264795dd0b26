"""The on-sale queue (`onsale_queue` phase, issue 29): a crowd joins a queued show before it
opens, across every API process, then admission runs at the pace the servers are set to
(`QUEUE_ADMIT_PER_SECOND`).

1. **Join**: `visitors` visitors join within `join_seconds`, paced evenly (open loop, at most
   `IN_FLIGHT` requests out at once), alternating between the processes. CPU per join.
2. **First look**: once the queue has opened, every visitor reads its place once (the first
   read, in whichever process, makes the draw). CPU per read, the draw included.
3. **Admission**: for `admit_seconds`, each visitor whose turn falls in that time reads its
   place again when its turn comes (a client that waited on the stream would be told then) and
   gets its admission token.

The audit is the database's and the answers': every visitor one position, 1..N without a gap;
the drawn ones in the order the published seed gives; admission times never decreasing with
the position, nobody admitted before its time, nobody admitted twice (every answer of a
visitor names the same admission), and the admissions per second of the pace.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.client import Api, Headers, new_session, request
from bench.scenarios import Context
from bench.stats import Recorder, ms, percentile

IN_FLIGHT = 128  # requests out at once, at most, in each step
OPENS_AFTER_JOIN_S = 3.0  # the opening, this long after the joins are due to end
FIRST_LOOK_CONCURRENCY = 64
ADMISSION_WINDOW_MAX_S = 120.0


async def onsale_queue(
    ctx: Context,
    admin: Headers,
    show_id: str,
    visitors: int,
    join_seconds: float,
    admit_seconds: float,
) -> dict[str, Any]:
    admit_seconds = min(admit_seconds, ADMISSION_WINDOW_MAX_S)
    opens_at = datetime.now(UTC) + timedelta(seconds=join_seconds + OPENS_AFTER_JOIN_S)
    async with new_session() as http:
        await Api(http, ctx.url(0)).call(
            "PUT", f"/api/v1/shows/{show_id}/queue", {"opens_at": opens_at.isoformat()}, admin
        )
        joins = Recorder()
        joined: list[dict[str, Any]] = []

        async def join(index: int) -> None:
            url = f"{ctx.url(index)}/api/v1/shows/{show_id}/queue"
            began = time.perf_counter()
            status, raw, _ = await request(http, "POST", url)
            joins.add(status, time.perf_counter() - began)
            if status == 201:
                answer = json.loads(raw)
                joined.append({**answer, "server": index % len(ctx.urls)})
            else:
                joins.note(f"{status} {raw[:200]!r}")

        ctx.cpu.start()
        began = time.monotonic()
        await _paced(visitors, join_seconds, join)
        join_elapsed = time.monotonic() - began
        join_cpu = ctx.cpu.stop()

        wait = (opens_at - datetime.now(UTC)).total_seconds()
        await asyncio.sleep(max(0.0, wait) + 0.05)
        looks = Recorder()
        places: dict[str, list[dict[str, Any]]] = {v["visitor_id"]: [] for v in joined}

        async def look(visitor: dict[str, Any]) -> dict[str, Any] | None:
            url = f"{ctx.url(visitor['server'])}/api/v1/shows/{show_id}/queue/me"
            headers = {"X-Queue-Visitor": visitor["visitor_token"]}
            began = time.perf_counter()
            status, raw, _ = await request(http, "GET", url, headers=headers)
            looks.add(status, time.perf_counter() - began)
            if status != 200:
                looks.note(f"{status} {raw[:200]!r}")
                return None
            answer: dict[str, Any] = json.loads(raw)
            places[visitor["visitor_id"]].append(answer)
            return answer

        ctx.cpu.start()
        began = time.monotonic()
        await _bounded(joined, FIRST_LOOK_CONCURRENCY, look)
        look_elapsed = time.monotonic() - began
        look_cpu = ctx.cpu.stop()

        # Admission: those whose turn comes in the window ask when it comes.
        window_start = datetime.now(UTC)
        window_end = window_start + timedelta(seconds=admit_seconds)
        due = sorted(
            (
                (datetime.fromisoformat(p[-1]["admit_at"]), v)
                for v in joined
                if (p := places[v["visitor_id"]])
                and p[-1]["state"] == "WAITING"
                and datetime.fromisoformat(p[-1]["admit_at"]) < window_end
            ),
            key=lambda pair: pair[0],
        )
        turns = Recorder()

        async def at_its_turn(item: tuple[datetime, dict[str, Any]]) -> None:
            turn, visitor = item
            await asyncio.sleep(max(0.0, (turn - datetime.now(UTC)).total_seconds()) + 0.01)
            for _ in range(5):  # bounded: a clock a little behind the server's asks again
                began = time.perf_counter()
                answer = await look(visitor)
                admitted = bool(answer and answer["admission_token"])
                turns.add("admitted" if admitted else "not yet", time.perf_counter() - began)
                if answer is None or admitted:
                    return
                await asyncio.sleep(0.1)

        ctx.cpu.start()
        began = time.monotonic()
        await _bounded(due, len(due) or 1, at_its_turn)
        admit_elapsed = time.monotonic() - began
        admit_cpu = ctx.cpu.stop()
        draw = await Api(http, ctx.url(1)).call("GET", f"/api/v1/shows/{show_id}/queue/draw")

    audit = await _audit(ctx, joined, places, draw, (window_start, window_end))
    n = len(joined)
    return {
        "visitors": visitors,
        "joined": n,
        "servers": len(ctx.urls),
        "admit_per_second_set": draw["admit_per_second"],
        "join": {
            "seconds": round(join_elapsed, 2),
            **joins.summary(join_elapsed),
            "cpu": join_cpu,
            "cpu_ms_per_visitor": _per(join_cpu, join_elapsed, n),
        },
        "first_look": {
            "seconds": round(look_elapsed, 2),
            **looks.summary(look_elapsed),
            "cpu": look_cpu,
            "cpu_ms_per_visitor": _per(look_cpu, look_elapsed, n),
        },
        "admission": {
            "seconds": round(admit_elapsed, 2),
            "due_in_window": len(due),
            **turns.summary(admit_elapsed),
            "cpu": admit_cpu,
        },
        "draw": {k: draw[k] for k in ("drawn", "seed", "drawn_at", "opens_at")},
        "audit": audit,
        "audit_ok": audit["ok"],
    }


def _per(usage: dict[str, float], seconds: float, count: int) -> dict[str, float | None]:
    """CPU milliseconds per visitor by group (usage is % of a core over `seconds`); `pg_ended`:
    PostgreSQL backends that ended in the phase (connections closed then: the bench database's
    if nobody else's came and went)."""
    return {
        f"{group}_ms": round(usage.get(group, 0.0) * 10 * seconds / count, 3) if count else None
        for group in ("api", "postgres", "pg_ended", "generator")
    }


async def _paced(count: int, seconds: float, work: Any) -> None:
    """`work(i)` for i in 0..count-1, the i-th due at i * seconds / count from now; at most
    IN_FLIGHT at once (late ones go as soon as a slot frees: the join takes longer)."""
    start = time.monotonic()
    interval = seconds / max(count, 1)
    indexes = iter(range(count))

    async def worker() -> None:
        for index in indexes:
            delay = start + index * interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await work(index)

    await asyncio.gather(*(worker() for _ in range(min(IN_FLIGHT, count))))


async def _bounded(items: list[Any], concurrency: int, work: Any) -> None:
    queue = iter(items)

    async def worker() -> None:
        for item in queue:
            await work(item)

    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(items))))))


async def _audit(
    ctx: Context,
    joined: list[dict[str, Any]],
    places: dict[str, list[dict[str, Any]]],
    draw: dict[str, Any],
    window: tuple[datetime, datetime],
) -> dict[str, Any]:
    onsale = uuid.UUID(draw["onsale_id"])  # the show's queue is an on-sale of that one show
    rows = await ctx.db.fetch(
        "SELECT v.id, v.position, v.offset_us, v.admitted_at, d.opens_at"
        " FROM queue_visitors v JOIN queue_draws d ON d.onsale_id = v.onsale_id"
        " WHERE v.onsale_id = $1 ORDER BY v.position",
        onsale,
    )
    positions = [row["position"] for row in rows]
    offsets = [row["offset_us"] for row in rows]
    early = sum(
        1
        for row in rows
        if row["admitted_at"] is not None
        and row["admitted_at"] < row["opens_at"] + timedelta(microseconds=row["offset_us"])
    )
    # The drawn ones in the order the published seed gives.
    seed = bytes.fromhex(draw["seed"])
    drawn = sorted(
        (str(row["id"]) for row in rows if row["position"] <= draw["drawn"]),
        key=lambda v: hashlib.sha256(seed + uuid.UUID(v).bytes).digest(),
    )
    by_id = {str(row["id"]): row["position"] for row in rows}
    draw_reproduced = [by_id[v] for v in drawn] == list(range(1, len(drawn) + 1))
    # One admission per visitor, whatever it was asked: every answer names the same one.
    admissions = Counter(
        len({p["admitted_at"] for p in seen if p["admitted_at"]}) for seen in places.values()
    )
    admitted = [row for row in rows if row["admitted_at"] is not None]
    told = sum(1 for seen in places.values() if any(p["admission_token"] for p in seen))
    per_second = Counter(
        int((row["offset_us"]) // 1_000_000) for row in admitted if row["offset_us"] >= 0
    )
    pace = 1_000_000 / (offsets[1] - offsets[0]) if len(offsets) > 1 else None
    # In the window, the visitors asked at their turn: admitted as the pace says, and how soon.
    on_time = [
        row
        for row in admitted
        if window[0] <= row["opens_at"] + timedelta(microseconds=row["offset_us"]) < window[1]
    ]
    window_s = (window[1] - window[0]).total_seconds()
    lateness = sorted(
        (row["admitted_at"] - row["opens_at"]).total_seconds() - row["offset_us"] / 1e6
        for row in on_time
    )
    ok = (
        positions == list(range(1, len(joined) + 1))
        and offsets == sorted(offsets)
        and early == 0
        and draw_reproduced
        and set(admissions) <= {0, 1}
        and told == len(admitted)
        and (not per_second or pace is None or max(per_second.values()) <= pace + 1)
    )
    return {
        "places": len(rows),
        "positions_1_to_n": positions == list(range(1, len(joined) + 1)),
        "drawn": draw["drawn"],
        "draw_reproduced_from_seed": draw_reproduced,
        "admit_times_in_position_order": offsets == sorted(offsets),
        "admitted_before_their_time": early,
        "admitted": len(admitted),
        "visitors_told_admitted": told,
        "admissions_per_visitor": dict(admissions),
        "most_admitted_in_one_second": max(per_second.values()) if per_second else 0,
        "pace_per_second": round(pace, 3) if pace else None,
        "admitted_per_s_in_window": round(len(on_time) / window_s, 2) if window_s else None,
        "admitted_after_their_time_p50_p99_ms": [
            ms(percentile(lateness, 50)),
            ms(percentile(lateness, 99)),
        ],
        "ok": ok,
    }


def log_row(row: dict[str, Any], log: Any) -> None:
    join, look, admit, audit = row["join"], row["first_look"], row["admission"], row["audit"]
    log(
        f"  {row['joined']} of {row['visitors']} joined over {row['servers']} processes in"
        f" {join['seconds']} s ({join['per_second']}/s, p50/p99 {join['p50_ms']}/{join['p99_ms']}"
        f" ms, {join['statuses']}); CPU ms per visitor: {join['cpu_ms_per_visitor']}"
    )
    log(
        f"  first look after the opening (the draw of {row['draw']['drawn']} included):"
        f" {look['seconds']} s, p50/p99 {look['p50_ms']}/{look['p99_ms']} ms {look['statuses']};"
        f" CPU ms per visitor: {look['cpu_ms_per_visitor']}"
    )
    log(
        f"  admission at {row['admit_per_second_set']}/s set: {audit['admitted']} admitted,"
        f" {audit['admitted_per_s_in_window']}/s held over the {admit['seconds']} s window"
        f" (told p50/p99 {audit['admitted_after_their_time_p50_p99_ms']} ms after their time),"
        f" at most {audit['most_admitted_in_one_second']} in one"
        f" second; {audit['admitted_before_their_time']} early; admissions per visitor"
        f" {audit['admissions_per_visitor']}; draw reproduced {audit['draw_reproduced_from_seed']};"
        f" audit ok {audit['ok']}"
    )
