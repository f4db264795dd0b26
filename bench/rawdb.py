"""The database's own limit for the hold path: the application's own hold and release statements
(`bookings.holds_postgres.HOLD` / `RELEASE_HOLD`, the functions of the newest
`NNNN_sale_path.sql`, so they stay the same statements when the code changes) issued straight to
PostgreSQL by asyncpg clients in autocommit, as the API sends them: no HTTP, no Python beyond
the driver."""

from __future__ import annotations

import asyncio
import random
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from bench.stats import CpuMeter, before, latency_summary, window


async def _guests(db: asyncpg.Connection, count: int) -> list[uuid.UUID]:
    """One guest customer per raw client, as POST /auth/guest would have written it."""
    ids = [uuid.uuid4() for _ in range(count)]
    now = datetime.now(UTC)
    await db.executemany(
        "INSERT INTO guests (id, created_at) VALUES ($1, $2)", [(i, now) for i in ids]
    )
    return ids


async def _charge_arguments(database_url: str, show: uuid.UUID) -> list[Any]:
    """The show's charge table as the sale path passes it to `boxoffice_hold` (its terms
    version, its arrays, its policy), built by the application's own `ChargeTables`."""
    from boxoffice.bookings.charges import ChargeTables
    from boxoffice.config import Settings
    from boxoffice.db.engine import create_engine, create_sessionmaker

    # Only the database and the cancellation cut-off are read; the secret signs nothing here.
    settings = Settings(
        database_url=database_url, razorpay_sandbox=True, jwt_secret=secrets.token_urlsafe(32)
    )
    engine = create_engine(settings)
    try:
        tables = ChargeTables(create_sessionmaker(engine, settings), settings)
        table = await tables.of(show, datetime.now(UTC))
    finally:
        await engine.dispose()
    return [table.terms_version, *table.arrays, table.policy_json]


async def measure(
    database_url: str,
    db: asyncpg.Connection,
    show_id: str,
    seat_ids: Sequence[str],
    levels: Sequence[int],
    seconds: float,
    cpu: CpuMeter,
    hold_seconds: int = 600,
    log: Callable[[str], None] = print,
    connect: dict[str, Any] | None = None,
    think_seconds: float = 0.0,
) -> dict[str, Any]:
    """`connect`: extra asyncpg.connect arguments (statement_cache_size=0 through pgbouncer).
    `think_seconds`: each client pauses about this long between holds (many idle-ish clients,
    as behind a pooler) instead of sending the next one at once."""
    from boxoffice.bookings.holds_postgres import HOLD, RELEASE_HOLD

    seats = [uuid.UUID(s) for s in seat_ids]
    show = uuid.UUID(show_id)
    customers = await _guests(db, max(levels))
    charges = await _charge_arguments(database_url, show)
    connections = [
        await asyncpg.connect(
            database_url, server_settings={"application_name": "bench-raw"}, **(connect or {})
        )
        for _ in range(max(levels))
    ]
    results: dict[str, Any] = {"statements": {"hold": HOLD, "release": RELEASE_HOLD}}
    try:
        for concurrency in levels:
            held = conflicts = 0
            latencies: list[float] = []
            failures: Counter[str] = Counter()
            deadline = time.monotonic() + seconds

            async def client(
                index: int, deadline: float, latencies: list[float], failures: Counter[str]
            ) -> None:
                nonlocal held, conflicts
                connection = connections[index]
                customer = customers[index]
                rng = random.Random(7000 + index)
                for _ in window(before(deadline), limit=1_000_000):
                    if think_seconds:
                        pause = rng.uniform(0, 2 * think_seconds)
                        await asyncio.sleep(min(pause, max(0.0, deadline - time.monotonic())))
                    if connection.is_closed():
                        return
                    booking = uuid.uuid4()
                    pair = rng.sample(seats, 2)
                    now = datetime.now(UTC)
                    until = now + timedelta(seconds=hold_seconds)
                    started = time.perf_counter()
                    try:
                        # Caps as the bench's servers run (per-address off with the rate limits).
                        await connection.fetch(
                            HOLD,
                            booking,
                            show,
                            pair,
                            "guest",
                            customer,
                            None,
                            now,
                            until,
                            "bench",
                            3,
                            30,
                            0,
                            *charges,
                        )
                    except asyncpg.RaiseError:  # seats taken: the app answers 409
                        conflicts += 1
                        latencies.append(time.perf_counter() - started)
                        continue
                    except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                        # e.g. pgbouncer's query_wait_timeout closing a client that queued
                        failures[f"hold: {type(exc).__name__}"] += 1
                        continue
                    latencies.append(time.perf_counter() - started)
                    held += 1
                    for _attempt in range(10):  # the seats must not stay held
                        try:
                            await connection.fetch(
                                RELEASE_HOLD,
                                booking,
                                "guest",
                                customer,
                                False,
                                datetime.now(UTC),
                                "bench",
                                "bench",
                            )
                            break
                        except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                            failures[f"release: {type(exc).__name__}"] += 1
                            if connection.is_closed():
                                break

            cpu.start()
            started = time.monotonic()
            await asyncio.gather(
                *(client(i, deadline, latencies, failures) for i in range(concurrency))
            )
            elapsed = time.monotonic() - started
            usage = cpu.stop()
            hold_tx = latency_summary(latencies)
            row = {
                "concurrency": concurrency,
                "seconds": round(elapsed, 2),
                "tx_per_s": round((held + conflicts) / elapsed, 1),
                "holds_per_s": round(held / elapsed, 1),
                "conflicts": conflicts,
                "failures": dict(failures),
                "hold_tx": hold_tx,
                "cpu": usage,
            }
            results[str(concurrency)] = row
            log(
                f"  db C={concurrency:<3} {row['holds_per_s']:>8} hold+release/s"
                f"  ({row['tx_per_s']} tx/s incl. {conflicts} conflicts)"
                f"  hold tx p99 {hold_tx['p99_ms']} ms"
                + (f"  FAILURES {dict(failures)}" if failures else "")
            )
    finally:
        for connection in connections:
            await connection.close()
    return results
