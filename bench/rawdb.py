"""The database's own limit for the hold path: the application's own hold and release statements
(compiled from bookings.repository.claim_seats / release_seats, so they stay the same statements
when the code changes) issued straight to PostgreSQL by asyncpg clients, no HTTP, no ORM."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect

from bench.stats import CpuMeter, latency_summary


class _Result:
    rowcount = 0

    def all(self) -> list[Any]:
        return []


class _CapturingSession:
    """Stands in for an AsyncSession: keeps the statements the repository builds."""

    def __init__(self) -> None:
        self.statements: list[Any] = []

    async def execute(self, statement: Any, *_args: Any, **_kwargs: Any) -> _Result:
        self.statements.append(statement)
        return _Result()


class _Refused(Exception):
    """Not every seat came back: the app rolls back and answers 409; so do we."""


class Statement:
    """One compiled statement and how to fill its positional parameters from named roles."""

    def __init__(self, statement: Any, roles: dict[Any, str]) -> None:
        compiled = statement.compile(
            dialect=asyncpg_dialect(), compile_kwargs={"render_postcompile": True}
        )
        self.sql = str(compiled)
        params = compiled.params
        self.order: list[str] = []
        for name in compiled.positiontup or []:
            value = params[name]
            if value is None:
                self.order.append("null")
            elif value in roles:
                self.order.append(roles[value])
            else:
                raise RuntimeError(f"unmapped parameter {name}={value!r} in {self.sql}")

    def args(self, values: dict[str, Any]) -> list[Any]:
        return [None if role == "null" else values[role] for role in self.order]


async def app_statements() -> tuple[Statement, Statement]:
    from boxoffice.bookings import repository

    session = _CapturingSession()
    show, booking = uuid.uuid4(), uuid.uuid4()
    seats = sorted([uuid.uuid4(), uuid.uuid4()])
    held_until = datetime(2099, 1, 1, tzinfo=UTC)
    now = datetime(2000, 1, 1, tzinfo=UTC)
    roles = {show: "show", booking: "booking", seats[0]: "seat0", seats[1]: "seat1"}
    roles |= {held_until: "held_until", now: "now"}

    await repository.claim_seats(session, show, seats, booking, held_until, now)  # type: ignore[arg-type]
    await repository.release_seats(session, [booking])  # type: ignore[arg-type]
    claim, release = session.statements
    return Statement(claim, roles), Statement(release, roles)


async def _prepare_bookings(
    db: asyncpg.Connection, show_id: str, guest_id: str, count: int
) -> list[uuid.UUID]:
    """One PENDING booking per raw client, as the API would have written it (the hold needs a
    real booking row: show_seats.booking_id is a deferred foreign key)."""
    ids = [uuid.uuid4() for _ in range(count)]
    now = datetime.now(UTC)
    await db.executemany(
        "INSERT INTO bookings (id, show_id, user_id, guest_id, status, amount_total, currency,"
        " expires_at, created_at, updated_at)"
        " VALUES ($1, $2, NULL, $3, 'PENDING', 0, 'INR', $4, $5, $5)",
        [(i, uuid.UUID(show_id), uuid.UUID(guest_id), now + timedelta(hours=1), now) for i in ids],
    )
    return ids


async def measure(
    database_url: str,
    db: asyncpg.Connection,
    show_id: str,
    seat_ids: Sequence[str],
    guest_id: str,
    levels: Sequence[int],
    seconds: float,
    cpu: CpuMeter,
    hold_seconds: int = 600,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    claim, release = await app_statements()
    seats = [uuid.UUID(s) for s in seat_ids]
    bookings = await _prepare_bookings(db, show_id, guest_id, max(levels))
    connections = [
        await asyncpg.connect(database_url, server_settings={"application_name": "bench-raw"})
        for _ in range(max(levels))
    ]
    results: dict[str, Any] = {"statements": {"hold": claim.sql, "release": release.sql}}
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
                rng = random.Random(7000 + index)
                values: dict[str, Any] = {"show": uuid.UUID(show_id), "booking": bookings[index]}
                for _ in range(1_000_000):
                    if time.monotonic() >= deadline:
                        return
                    pair = sorted(rng.sample(seats, 2))
                    now = datetime.now(UTC)
                    values |= {
                        "seat0": pair[0],
                        "seat1": pair[1],
                        "now": now,
                        "held_until": now + timedelta(seconds=hold_seconds),
                    }
                    started = time.perf_counter()
                    try:
                        async with connection.transaction():
                            rows = await connection.fetch(claim.sql, *claim.args(values))
                            if len(rows) != 2:
                                raise _Refused
                    except _Refused:
                        conflicts += 1
                        latencies.append(time.perf_counter() - started)
                        continue
                    except asyncpg.PostgresError as exc:  # e.g. a deadlock with a release
                        failures[f"hold: {type(exc).__name__}"] += 1
                        continue
                    latencies.append(time.perf_counter() - started)
                    held += 1
                    for _attempt in range(10):  # the seats must not stay held
                        try:
                            async with connection.transaction():
                                await connection.execute(release.sql, *release.args(values))
                            break
                        except asyncpg.PostgresError as exc:
                            failures[f"release: {type(exc).__name__}"] += 1

            cpu.start()
            started = time.monotonic()
            await asyncio.gather(
                *(client(i, deadline, latencies, failures) for i in range(concurrency))
            )
            elapsed = time.monotonic() - started
            usage = cpu.stop()
            row = {
                "concurrency": concurrency,
                "seconds": round(elapsed, 2),
                "tx_per_s": round((held + conflicts) / elapsed, 1),
                "holds_per_s": round(held / elapsed, 1),
                "conflicts": conflicts,
                "failures": dict(failures),
                "hold_tx": latency_summary(latencies),
                "cpu": usage,
            }
            results[str(concurrency)] = row
            log(
                f"  db C={concurrency:<3} {row['holds_per_s']:>8} hold+release/s"
                f"  ({row['tx_per_s']} tx/s incl. {conflicts} conflicts)"
                f"  hold tx p99 {row['hold_tx']['p99_ms']} ms"
                + (f"  FAILURES {dict(failures)}" if failures else "")
            )
    finally:
        for connection in connections:
            await connection.close()
    return results
