"""`make bench-scale` (`python -m bench.scale`): a year of a cinema chain in the database
(issue 28; bench/README.md "bench-scale").

1. a fresh PostgreSQL database, migrated by `boxoffice migrate` (sandbox on), loaded by
   `bench/scale_load.py` in set-based SQL; prints its size and how long loading took;
2. the audits on the loaded data: the money audit of scripts/chaos_money.py, the show totals,
   and the no-double-booking check of tests/bookings/test_concurrency.py over every show;
3. the phases (`bench/scale_phases.py`) on an empty database of the same chain and on the
   loaded one, with the ratio full/empty of each.

`--days N` (365) and `--fraction F` (1.0: 10 theatres, 2 million customers) scale the chain:
iterate at `--days 14 --fraction 0.2`. `--keep` leaves the loaded database (its URL printed).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from bench import infra, scale_load, scale_migrations

sys.path.insert(0, str(infra.REPO_ROOT / "scripts"))
from chaos_money import BEYOND_POLICY, MONEY_AUDIT, seats_given_back_beyond_policy

# tests/bookings/test_concurrency.py `audit`, over every show at once: a seat in at most one
# live booking; every live booking owns exactly its seats; no seat owned by a dead booking.
SEAT_AUDIT: list[tuple[str, str]] = [
    (
        "seats: a seat in two live bookings",
        """SELECT b.show_id, bs.seat_id, count(*) FROM booking_seats bs
           JOIN bookings b ON b.id = bs.booking_id
           WHERE b.status = 'BOOKED' OR (b.status = 'PENDING' AND b.expires_at > now())
           GROUP BY b.show_id, bs.seat_id HAVING count(*) > 1""",
    ),
    (
        "seats: a live booking's seat not owned by it",
        """SELECT b.id FROM bookings b JOIN booking_seats bs ON bs.booking_id = b.id
           LEFT JOIN show_seats ss
             ON ss.show_id = b.show_id AND ss.seat_id = bs.seat_id AND ss.booking_id = b.id
           WHERE b.status IN ('PENDING', 'BOOKED') AND bs.cancelled_at IS NULL
             AND ss.seat_id IS NULL""",
    ),
    (
        "seats: a seat owned by a booking that is not live",
        """SELECT ss.show_id, ss.seat_id FROM show_seats ss
           LEFT JOIN bookings b ON b.id = ss.booking_id
           WHERE ss.booking_id IS NOT NULL
             AND (b.id IS NULL OR b.status NOT IN ('PENDING', 'BOOKED'))""",
    ),
    # tests/payments/checkout.py `_show_sales_problems`: the kept totals are the rows' sums
    # (summed whole, as scripts/chaos_money.py's audits are: a per-show subquery is an index
    # probe per show into tables bigger than memory).
    (
        "reports: a show's kept totals are not its booked seats and captured money",
        """WITH sold AS (
               SELECT b.show_id, count(*) AS n FROM booking_seats bs
               JOIN bookings b ON b.id = bs.booking_id
               WHERE b.status = 'BOOKED' AND bs.cancelled_at IS NULL GROUP BY b.show_id),
           captured AS (
               SELECT b.show_id, sum(sp.amount) AS amount FROM bookings b
               JOIN payments p ON p.booking_id = b.id
               JOIN razorpay_sandbox_payments sp ON sp.id = p.payment_id AND sp.captured
               GROUP BY b.show_id)
           SELECT s.id FROM shows s
           LEFT JOIN show_sales ss ON ss.show_id = s.id
           LEFT JOIN sold ON sold.show_id = s.id
           LEFT JOIN captured ON captured.show_id = s.id
           WHERE (coalesce(ss.tickets, 0), coalesce(ss.gross, 0))
                 <> (coalesce(sold.n, 0), coalesce(captured.amount, 0))""",
    ),
]


# The GST summary (migration 0027: after the load, its backfill; or the loader's, where the
# schema it loads into has the table) is the sums of the lines of the documents with a GSTIN,
# per theatre, month of issue in its timezone, series, kind and rate. Empty rows aside.
GST_SUMMARY_AUDIT = (
    "gst summary: a theatre's month is not the sums of its documents' lines",
    """WITH lines AS (
           SELECT d.theatre_id, to_char(d.issued_at AT TIME ZONE t.timezone, 'YYYY-MM') AS month,
                  d.series, l.kind, l.rate_bp, sum(l.taxable) AS taxable, sum(l.cgst) AS cgst,
                  sum(l.sgst) AS sgst
           FROM documents d JOIN theatres t ON t.id = d.theatre_id
           JOIN document_lines l ON l.document_id = d.id
           WHERE d.gstin IS NOT NULL
           GROUP BY 1, 2, 3, 4, 5),
       kept AS (SELECT * FROM gst_summary WHERE (taxable, cgst, sgst) <> (0, 0, 0))
       SELECT theatre_id, month, series, kind, rate_bp FROM lines
       FULL JOIN kept USING (theatre_id, month, series, kind, rate_bp)
       WHERE (lines.taxable, lines.cgst, lines.sgst)
             IS DISTINCT FROM (kept.taxable, kept.cgst, kept.sgst)""",
)


def summary_audit(connection: psycopg.Connection[Any]) -> list[tuple[str, str]]:
    """The GST summary's audit, where the schema has the table."""
    has_summary = value(connection, "SELECT to_regclass('gst_summary') IS NOT NULL")
    return [GST_SUMMARY_AUDIT] if has_summary else []


def audit(url: str, money: bool = True) -> dict[str, int]:
    """Every audit's violations, counted (empty: all pass); `money` False: the GST summary's
    alone (after the migrations, which backfill it). Each query reads whole tables: they run
    two sessions at once (`scale_load.each_in_session`)."""
    with psycopg.connect(url, autocommit=True) as connection:
        queries = (MONEY_AUDIT + SEAT_AUDIT if money else []) + summary_audit(connection)

    def violations(
        connection: psycopg.Connection[Any], query: tuple[str, str] | None
    ) -> tuple[str, list[tuple[Any, ...]]]:
        if query is None:
            return BEYOND_POLICY, seats_given_back_beyond_policy(connection)
        return query[0], connection.execute(query[1]).fetchall()

    found = {}
    checks = [*queries, *([None] if money else [])]
    for name, rows in scale_load.each_in_session(url, checks, violations):
        if rows:
            found[name] = len(rows)
            print(f"    {name}: e.g. {rows[:3]}")
    return found


def counts(url: str) -> dict[str, int]:
    """The big tables' rows, two sessions at once."""
    tables = (
        "shows",
        "show_seats",
        "users",
        "bookings",
        "booking_seats",
        "booking_transitions",
        "payments",
        "refunds",
        "tickets",
        "documents",
        "document_lines",
        "outbox_emails",
    )

    def count(connection: psycopg.Connection[Any], table: str) -> int:
        return int(value(connection, f"SELECT count(*) FROM {table}"))

    return dict(zip(tables, scale_load.each_in_session(url, tables, count), strict=True))


def value(connection: psycopg.Connection[Any], sql: str, *params: Any) -> Any:
    row = connection.execute(sql, params or None).fetchone()
    assert row is not None
    return row[0]


def size(connection: psycopg.Connection[Any]) -> str:
    return str(value(connection, "SELECT pg_size_pretty(pg_database_size(current_database()))"))


def migrate(url: str, jwt_secret: str) -> float:
    started = time.perf_counter()
    infra.run_cli(["migrate"], infra.base_env(url, jwt_secret))
    return time.perf_counter() - started


# The planner as production is told to set it on SSD storage (README "Running it in
# production"): with the default random_page_cost (4, for spinning disks) a few hundred probes
# by key cost more than a scan of every row ever written, and reports grow with history.
PLANNER = "SET random_page_cost = 1.1"


def load_chain(url: str, jwt_secret: str, chain: scale_load.Chain) -> dict[str, Any]:
    """Migrates and loads `url`'s empty database; audits it. Returns the figures."""
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'ALTER DATABASE "{infra.database_name(url)}" {PLANNER}')
    migrated = migrate(url, jwt_secret)
    scale_migrations.down_to_base(url)  # empty yet: the later ones run on the loaded chain
    print(f"migrated in {migrated:.1f} s (to {scale_migrations.BASE}); loading {chain}")
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as connection:
        steps = scale_load.load(connection, url, chain, datetime.now(UTC).date())
        loaded = time.perf_counter() - started
        rows = counts(url)
        db_size = size(connection)
        print(f"loaded in {loaded:.1f} s: database {db_size}")
        print("  " + ", ".join(f"{t} {n:,}" for t, n in rows.items()))
    started = time.perf_counter()
    problems = audit(url)
    audited = time.perf_counter() - started
    print(f"audits {'OK' if not problems else 'FAILED: ' + str(problems)} ({audited:.1f} s)")
    print(f"migrations after {scale_migrations.BASE} on the loaded chain:")
    migrations = scale_migrations.run(url)
    started = time.perf_counter()
    after = audit(url, money=False)  # what 0027 backfilled: the GST summary
    print(
        f"audits after the migrations {'OK' if not after else 'FAILED: ' + str(after)}"
        f" ({time.perf_counter() - started:.1f} s)"
    )
    problems.update(after)
    return {
        "chain": chain.__dict__,
        "migrate_s": migrated,
        "load_s": loaded,
        "steps_s": steps,
        "rows": rows,
        "size": db_size,
        "audit_s": audited,
        "audit_problems": problems,
        "migrations": migrations,
    }


@contextmanager
def _database(keep: str | None) -> Iterator[str]:
    if keep is None:
        with infra.fresh_database() as url:
            yield url
        return
    base, _, _ = infra.DEFAULT_SERVER.rpartition("/")
    with psycopg.connect(infra.DEFAULT_SERVER, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{keep}"')
    yield f"{base}/{keep}"
    print(f"kept: {base}/{keep}")


HOT = ("show_seats",)


def _hot(connection: psycopg.Connection[Any]) -> dict[str, Any]:
    out = {}
    for table in HOT:
        rows = value(connection, f"SELECT count(*) FROM {table}")
        live = value(connection, "SELECT pg_size_pretty(pg_total_relation_size(%s))", table)
        out[table] = {"rows": rows, "size": live}
    return out


def archive(url: str, jwt_secret: str, chain: scale_load.Chain) -> dict[str, Any]:
    """`boxoffice archive` of what ended before the chain's days to come (a retention of those
    days): the hot tables' rows and size before and after (the space freed is reused by new
    shows' rows after VACUUM; the files keep their size)."""
    before = datetime.now(UTC).date() - timedelta(days=1)
    with psycopg.connect(url, autocommit=True) as connection:
        was = _hot(connection)
        started = time.perf_counter()
        out = infra.run_cli(
            ["archive", "--before", before.isoformat()], infra.base_env(url, jwt_secret), 1800
        )
        took = time.perf_counter() - started
        connection.execute("VACUUM show_seats")
        now = _hot(connection)
    print(f"archive --before {before}: {out.strip()} in {took:.1f} s")
    for table in HOT:
        print(
            f"  {table}: {was[table]['rows']:,} rows ({was[table]['size']}) -> "
            f"{now[table]['rows']:,} rows ({now[table]['size']}, space reusable after VACUUM)"
        )
    return {"seconds": took, "before": was, "after": now, "output": out.strip()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--fraction", type=float, default=1.0)
    parser.add_argument(
        "--keep", metavar="NAME", help="load into database NAME (made here) and leave it there"
    )
    parser.add_argument("--only", choices=["load", "all"], default="all")
    args = parser.parse_args(argv)
    chain = scale_load.chain_for(args.days, args.fraction)
    jwt_secret = "scale-" + "x" * 48
    started = time.perf_counter()
    results: dict[str, Any] = {}
    with _database(args.keep) as url:
        results["load"] = load_chain(url, jwt_secret, chain)
        if args.only == "all":
            from bench import scale_phases

            results["phases"] = scale_phases.run(url, jwt_secret, chain)
        results["archive"] = archive(url, jwt_secret, chain)
    print(f"bench-scale: {time.perf_counter() - started:.0f} s in all")
    sys.exit(1 if results["load"]["audit_problems"] else 0)


if __name__ == "__main__":
    main()
