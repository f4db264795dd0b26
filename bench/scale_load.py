"""A year of a cinema chain, loaded with set-based SQL (issue 28): `bench/scale.py` runs it.

The chain: `theatres` theatres of 5 screens of 250 seats (10 rows of 25: 2 VIP, 4 GOLD,
4 SILVER), 5 shows a screen a day for `days` days ending `future` days from now, a show's seats
sold in pairs to `customers` customers (a few with hundreds of bookings, one with exactly
`REGULAR_BOOKINGS`). Every row is the row the application writes for the same history:
- a pair sold (about 56 % of a past show's pairs): a booking PENDING → BOOKED, its seats'
  charges frozen at their price under the theatre's terms (the same `money.tax.seat_charge`
  the hold's charge table uses), a captured payment (and the sandbox provider's order and
  payment), its tax invoice numbered per theatre and financial year, two tickets (checked in
  for most past shows), a BOOKED email sent, the show's sales totals;
- a pair cancelled by its customer after paying (3 %): the above, then CANCELLED, each seat
  given back at the policy's 75 % tier of its ticket (the fee kept), one refund of those seats
  PROCESSED here and at the provider, a credit note, the tickets revoked, a CANCELLED email;
- a hold that ran out (5 %) and a hold the customer let go (2 %): a booking PENDING → EXPIRED
  or CANCELLED, no payment, its seats free again.
Future shows sell about half as much. Nothing is live: the phases make their own holds. The
big tables are written in the order the sales happened (by show, then pair), so a period's
rows sit together on disk as production's do: a load in random order would make every report
of a recent month read pages from the whole year.

The rows go in with `session_replication_role = replica` (no foreign-key or numbering
triggers: the load numbers its documents itself and writes only consistent keys), in a few
statements a table; `bench.scale` runs the audits on the result.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import psycopg

from bench.scale_sql import GST_SUMMARY, STEPS, Step
from boxoffice.money.cancellation import customer_refund
from boxoffice.money.tax import FeeSlab, Slab, Terms, seat_charge

T = TypeVar("T")
R = TypeVar("R")

SCREENS = 5
ROWS, PER_ROW = 10, 25
SLOTS = (10, 13, 16, 19, 22)  # local start hours
TYPES = ("VIP", "VIP", "GOLD", "GOLD", "GOLD", "GOLD", "SILVER", "SILVER", "SILVER", "SILVER")
PRICES = {  # (seat type, day type) -> paise
    ("VIP", "WEEKDAY"): 40000,
    ("VIP", "WEEKEND"): 45000,
    ("GOLD", "WEEKDAY"): 28000,
    ("GOLD", "WEEKEND"): 32000,
    ("SILVER", "WEEKDAY"): 18000,
    ("SILVER", "WEEKEND"): 20000,
}
CITIES = ("Mumbai", "Pune", "Bengaluru", "Chennai", "Delhi")
FEE: list[dict[str, Any]] = [{"up_to": 10000, "amount": 1000}, {"up_to": None, "rate_bp": 1000}]
POLICY = [
    {"until_minutes_before": 120, "refund_bp": 7500},
    {"until_minutes_before": 20, "refund_bp": 5000},
]
REFUND_BP = 7500  # the tier the load's cancellations fall in
REGULAR_BOOKINGS = 500
REGULAR_EMAIL = "regular@scale.example"
HISTORY_KID = "scale-history"  # tickets of the load name a key no one verifies any more


@dataclass(frozen=True)
class Chain:
    days: int
    theatres: int
    customers: int
    future: int  # of the days, how many are still to come

    @property
    def shows(self) -> int:
        return self.days * self.theatres * SCREENS * len(SLOTS)


def chain_for(days: int, fraction: float) -> Chain:
    return Chain(
        days=days,
        theatres=max(1, round(10 * fraction)),
        customers=max(REGULAR_BOOKINGS * 2, round(2_000_000 * fraction)),
        future=min(14, max(5, days // 4)),
    )


def charge_rows(connection: psycopg.Connection[Any]) -> list[tuple[int, ...]]:
    """Each price's line as the claim freezes it, and its refund at the load's tier, from the
    project's own money functions and the tax rules the migrations installed (the newest
    admission rule: the load's shows all fall after it)."""
    slabs: dict[str, list[Slab]] = {}
    for category, up_to, rate_bp in connection.execute(
        """SELECT v.category, s.up_to, s.rate_bp FROM tax_slabs s
           JOIN tax_rule_versions v ON v.id = s.version_id
           WHERE v.effective_from = (SELECT max(w.effective_from) FROM tax_rule_versions w
                                     WHERE w.category = v.category)
           ORDER BY v.category, s.position"""
    ):
        slabs.setdefault(category, []).append(Slab(up_to, rate_bp))
    terms = Terms(
        registered=True,
        prices_include_tax=True,
        admission=tuple(slabs["ADMISSION"]),
        fee_tax=tuple(slabs["FEE"]),
        fee_schedule=tuple(FeeSlab(**slab) for slab in FEE),
    )
    rows: list[tuple[int, ...]] = []
    for price in sorted(set(PRICES.values())):
        line = seat_charge(price, terms)
        back = customer_refund([line], REFUND_BP)[0]
        rows.append(
            (
                price,
                line.ticket.taxable,
                line.ticket.rate_bp,
                line.ticket.cgst,
                line.ticket.sgst,
                line.ticket_total,
                line.fee.taxable,
                line.fee.rate_bp,
                line.fee.cgst,
                line.fee.sgst,
                back.total,
                back.taxable,
                back.cgst,
                back.sgst,
            )
        )
    return rows


def _local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=5, minutes=30)


def statements(chain: Chain, today: date) -> list[Step]:
    """The load's steps with the chain's integers inlined (nothing else is interpolated)."""
    first = _local_midnight(today - timedelta(days=chain.days - chain.future))
    params = {
        "theatres": chain.theatres,
        "screens": SCREENS,
        "rows": ROWS,
        "per_row": PER_ROW,
        "slots": len(SLOTS),
        "days": chain.days,
        "customers": chain.customers,
        "regular": REGULAR_BOOKINGS,
        "first": f"'{first.isoformat()}'::timestamptz",
        "fee": f"'{json.dumps(FEE)}'::json",
        "policy": f"'{json.dumps(POLICY)}'::json",
        "slot_hours": "ARRAY[" + ",".join(str(h) for h in SLOTS) + "]",
        "types": "ARRAY[" + ",".join(f"'{t}'" for t in TYPES) + "]",
    }
    out = []
    for step in STEPS:
        sql = step.sql
        for key, value in params.items():
            sql = sql.replace(f"{{{key}}}", str(value))
        out.append(Step(step.label, step.after, sql))
    return out


# Every session of the load: no triggers (no foreign keys are there to check, and the load
# numbers its documents itself), no waiting on the WAL's flush, room to sort, and scans from
# the start of a table, so that a table written from a staging table keeps its sale order.
SESSION = (
    "SET session_replication_role = replica",
    "SET synchronous_commit = off",
    "SET work_mem = '64MB'",
    "SET maintenance_work_mem = '256MB'",
    "SET synchronize_seqscans = off",
)
SESSIONS = 2  # the machine's cores: each step is one backend's work


def run_steps(url: str, steps: list[Step], log: Callable[[str], None]) -> dict[str, float]:
    """Runs the steps `SESSIONS` at once, each as soon as the steps it needs are done (a step
    waits only for steps listed before it, which a pool taking them in order has started, so
    it cannot wait on itself); returns seconds per step."""
    timings: dict[str, float] = {}
    futures: dict[str, Future[None]] = {}

    def run(step: Step) -> None:
        for label in step.after:
            futures[label].result()
        started = time.perf_counter()
        with psycopg.connect(url, autocommit=True) as connection:
            for setting in SESSION:
                connection.execute(setting)
            for statement in (s.strip() for s in step.sql.split(";\n")):
                if statement:
                    connection.execute(statement)
        timings[step.label] = time.perf_counter() - started
        log(f"  {step.label:<22} {timings[step.label]:7.1f} s")

    with ThreadPoolExecutor(SESSIONS) as pool:
        for step in steps:
            futures[step.label] = pool.submit(run, step)
        for future in futures.values():
            future.result()
    return timings


# The load writes into tables with no index at all. A row inserted into an indexed table pays
# for each index as it goes, a btree descent and a WAL record apiece: 2 M users took 22.8 s
# into the table with its two keys, 7.4 s into the bare table and 3.4 s more to build both
# keys from it, sorted. So every index of the schema is lifted before the load and built after
# it (`INDEXERS` sessions at once, the biggest table's first); the primary and unique keys are
# put back on their rebuilt indexes, then the foreign keys, each checked against every row as
# it is added (an audit of the load's keys as well). The load itself reads only its staging
# tables, and joins them by hashing.
INDEXERS = 3
STAGING = (
    "scale_doc",
    "scale_booking",
    "scale_seat_sold",
    "scale_pair",
    "scale_show",
    "scale_seat",
    "scale_charge",
)
INDEXES = """
SELECT i.indexrelid::regclass::text, t.oid::regclass::text, pg_get_indexdef(i.indexrelid)
FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
WHERE t.relnamespace = 'public'::regnamespace AND t.relkind = 'r'
"""
KEYS = """
SELECT format('ALTER TABLE %s ADD CONSTRAINT %I %s USING INDEX %I', conrelid::regclass,
              conname, CASE contype WHEN 'p' THEN 'PRIMARY KEY' ELSE 'UNIQUE' END,
              (SELECT relname FROM pg_class WHERE oid = conindid)),
       format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname)
FROM pg_constraint
WHERE connamespace = 'public'::regnamespace AND contype IN ('p', 'u')
"""
FOREIGN_KEYS = """
SELECT format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname,
              pg_get_constraintdef(oid)),
       format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname)
FROM pg_constraint
WHERE connamespace = 'public'::regnamespace AND contype = 'f'
"""


@dataclass(frozen=True)
class Lifted:
    """What the load takes off the schema, as the statements that put it back."""

    indexes: list[tuple[str, str]]  # (table, CREATE INDEX)
    keys: list[str]  # ALTER TABLE … ADD CONSTRAINT … USING INDEX
    foreign_keys: list[str]


def lift_indexes(connection: psycopg.Connection[Any]) -> Lifted:
    """Drops the foreign keys, then the keys, then the remaining indexes."""
    indexes = connection.execute(INDEXES).fetchall()
    keys = connection.execute(KEYS).fetchall()
    foreign_keys = connection.execute(FOREIGN_KEYS).fetchall()
    for _, drop in foreign_keys + keys:
        connection.execute(drop)
    for name, _, _ in connection.execute(INDEXES).fetchall():  # those behind no key
        connection.execute(f"DROP INDEX {name}")
    return Lifted(
        indexes=[(table, definition) for _, table, definition in indexes],
        keys=[add for add, _ in keys],
        foreign_keys=[add for add, _ in foreign_keys],
    )


def each_in_session(
    url: str,
    items: Sequence[T],
    work: Callable[[psycopg.Connection[Any], T], R],
    sessions: int = SESSIONS,
) -> list[R]:
    """`work` on each item, `sessions` at once, each in an autocommit session of its own (a
    statement over whole tables is one backend's work: a session a core)."""

    def one(item: T) -> R:
        with psycopg.connect(url, autocommit=True) as own:
            own.execute("SET maintenance_work_mem = '256MB'")
            return work(own, item)

    with ThreadPoolExecutor(sessions) as pool:
        return list(pool.map(one, items))


def in_sessions(url: str, statements: list[str], sessions: int = INDEXERS) -> None:
    """Runs the statements `sessions` at once, each in a session of its own."""
    each_in_session(url, statements, lambda own, statement: own.execute(statement), sessions)


def build_indexes(url: str, connection: psycopg.Connection[Any], lifted: Lifted) -> None:
    """Builds the indexes, the biggest table's first, then puts the keys back on them."""
    sizes = {
        table: value_of(connection, f"SELECT pg_relation_size('{table}'::regclass)")
        for table in {table for table, _ in lifted.indexes}
    }
    in_sessions(url, [d for t, d in sorted(lifted.indexes, key=lambda item: -sizes[item[0]])])
    for statement in lifted.keys:
        connection.execute(statement)


def load(
    connection: psycopg.Connection[Any],
    url: str,
    chain: Chain,
    today: date,
    log: Callable[[str], None] = print,
) -> dict[str, float]:
    """Loads the chain into `url`'s migrated, empty database (`connection` is one session on
    it); returns seconds per step. The steps run in parallel sessions, into tables without
    indexes; the indexes and keys are put back after them, then the foreign keys."""
    lifted = lift_indexes(connection)
    connection.execute(
        """CREATE UNLOGGED TABLE scale_charge (
               price int PRIMARY KEY, taxable int, tax_rate_bp int, cgst int, sgst int,
               ticket_total int, fee int, fee_rate_bp int, fee_cgst int, fee_sgst int,
               refund_total int, refund_taxable int, refund_cgst int, refund_sgst int)"""
    )
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO scale_charge VALUES (" + ", ".join(["%s"] * 14) + ")",
            charge_rows(connection),
        )
    timings = run_steps(url, statements(chain, today), log)
    started = time.perf_counter()
    build_indexes(url, connection, lifted)
    timings["indexes"] = time.perf_counter() - started
    log(f"  {'indexes (' + str(len(lifted.indexes)) + ')':<22} {timings['indexes']:7.1f} s")
    if value_of(connection, "SELECT to_regclass('gst_summary') IS NOT NULL"):
        started = time.perf_counter()
        connection.execute(GST_SUMMARY)
        timings["gst summary"] = time.perf_counter() - started
        log(f"  {'gst summary':<22} {timings['gst summary']:7.1f} s")
    started = time.perf_counter()
    for table in STAGING:
        connection.execute(f"DROP TABLE {table}")
    tables = connection.execute(
        "SELECT oid::regclass::text FROM pg_class WHERE relnamespace = 'public'::regnamespace"
        " AND relkind = 'r' ORDER BY pg_relation_size(oid) DESC"
    ).fetchall()
    in_sessions(url, [f"VACUUM ANALYZE {table}" for (table,) in tables])
    timings["vacuum analyze"] = time.perf_counter() - started
    log(f"  {'vacuum analyze':<22} {timings['vacuum analyze']:7.1f} s")
    # Last, on tables vacuumed and analysed: each is a join of two whole tables. One session:
    # a foreign key locks both its tables, and two added at once could wait on each other.
    started = time.perf_counter()
    for statement in lifted.foreign_keys:
        connection.execute(statement)
    timings["foreign keys"] = time.perf_counter() - started
    label = f"foreign keys ({len(lifted.foreign_keys)})"
    log(f"  {label:<22} {timings['foreign keys']:7.1f} s")
    return timings


def value_of(connection: psycopg.Connection[Any], sql: str) -> Any:
    row = connection.execute(sql).fetchone()
    assert row is not None
    return row[0]
