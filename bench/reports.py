"""Sales report at scale: one theatre, 30 days, 100,000 bookings; times the report.

    .venv/bin/python -m bench.reports [--bookings 100000] [--runs 15]

Creates a fresh PostgreSQL database (DATABASE_URL's server, default the local one), migrates it,
seeds it in SQL (4 screens x 400 seats, 4 shows a screen a day, bookings spread over the shows:
90 % BOOKED and paid, 5 % cancelled and refunded, 5 % pending holds), then times the service
behind GET /api/v1/admin/reports/sales over the 30 days, and the show report, against the
300 ms target. Drops the database at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from boxoffice.config import Settings
from boxoffice.db.engine import create_engine, create_sessionmaker
from boxoffice.db.migrate import upgrade_to_head
from boxoffice.reports import service

TARGET_MS = 300
DAYS = 30
SCREENS = 4
ROWS, PER_ROW = 20, 20
SLOTS = 4  # shows a screen a day

SEED = """
INSERT INTO theatres (id, name, city, address, timezone, holidays, created_at)
VALUES (:theatre, 'Bench Multiplex', 'Mumbai', 'Bench Road', 'Asia/Kolkata', '[]', now());
INSERT INTO users (id, email, password_hash, name, role, created_at)
VALUES (:user_id, 'bench@example.com', 'x', 'Bench', 'customer', now());
INSERT INTO movies (id, title, duration_minutes, language, certificate, genres, release_date,
                    created_at)
SELECT md5('movie' || m)::uuid, 'Bench Movie ' || m, 120, 'Hindi', 'UA', '[]', '2026-01-01', now()
FROM generate_series(0, 4) m;
INSERT INTO screens (id, theatre_id, name, created_at)
SELECT md5('screen' || s)::uuid, :theatre, 'Audi ' || s, now()
FROM generate_series(0, :screens - 1) s;
CREATE TEMP TABLE seat_ord AS
SELECT md5('seat' || s || '-' || k)::uuid AS id, md5('screen' || s)::uuid AS screen_id, k AS ord,
       chr(65 + k / :per_row) AS row_label, k % :per_row + 1 AS number,
       (ARRAY['VIP', 'GOLD', 'SILVER'])[1 + (k / :per_row) % 3] AS seat_type
FROM generate_series(0, :screens - 1) s, generate_series(0, :rows * :per_row - 1) k;
INSERT INTO seats (id, screen_id, row, number, label, seat_type, x, y)
SELECT id, screen_id, row_label, number, row_label || number, seat_type, number, ord / :per_row + 1
FROM seat_ord;
CREATE TEMP TABLE show_ord AS
SELECT md5('show' || d || '-' || s || '-' || t)::uuid AS id,
       (d * :screens + s) * :slots + t AS ord,
       md5('screen' || s)::uuid AS screen_id,
       md5('movie' || ((s + t) % 5))::uuid AS movie_id,
       CAST(:first_day AS timestamptz) + make_interval(days => d, hours => 4 + t * 3)
         AS starts_at
FROM generate_series(0, :days - 1) d, generate_series(0, :screens - 1) s,
     generate_series(0, :slots - 1) t;
INSERT INTO shows (id, movie_id, screen_id, theatre_id, starts_at, ends_at, day_type, status,
                   currency, created_at)
SELECT id, movie_id, screen_id, :theatre, starts_at, starts_at + interval '2 hours', 'WEEKDAY',
       'SCHEDULED', 'INR', now()
FROM show_ord;
INSERT INTO show_seats (show_id, seat_id, seat_type, label, price)
SELECT sh.id, se.id, se.seat_type, se.row_label || se.number,
       CASE se.seat_type WHEN 'VIP' THEN 50000 WHEN 'GOLD' THEN 35000 ELSE 20000 END
FROM show_ord sh JOIN seat_ord se ON se.screen_id = sh.screen_id;
CREATE TEMP TABLE seed AS
SELECT n, md5('booking' || n)::uuid AS booking_id, sh.id AS show_id, se.id AS seat_id,
       se.row_label || se.number AS label, se.seat_type,
       CASE se.seat_type WHEN 'VIP' THEN 50000 WHEN 'GOLD' THEN 35000 ELSE 20000 END AS price,
       CASE WHEN n % 20 = 0 THEN 'CANCELLED' WHEN n % 20 = 1 THEN 'PENDING' ELSE 'BOOKED' END
         AS status
FROM generate_series(0, :bookings - 1) n
JOIN show_ord sh ON sh.ord = n % (:days * :screens * :slots)
JOIN seat_ord se ON se.screen_id = sh.screen_id AND se.ord = n / (:days * :screens * :slots);
INSERT INTO bookings (id, show_id, user_id, status, amount_total, currency, expires_at,
                      updated_at, created_at)
SELECT booking_id, show_id, :user_id, status, price, 'INR',
       CASE WHEN status = 'PENDING' THEN now() + interval '10 minutes' END, now(), now()
FROM seed;
INSERT INTO booking_seats (booking_id, seat_id, label, seat_type, price)
SELECT booking_id, seat_id, label, seat_type, price FROM seed;
UPDATE show_seats ss SET booking_id = seed.booking_id,
       held_until = CASE WHEN seed.status = 'PENDING' THEN now() + interval '10 minutes' END
FROM seed
WHERE seed.status <> 'CANCELLED' AND ss.show_id = seed.show_id AND ss.seat_id = seed.seat_id;
INSERT INTO payments (id, booking_id, provider, order_id, payment_id, amount, currency, status,
                      captured_at, updated_at, created_at)
SELECT md5('payment' || n)::uuid, booking_id, 'razorpay', 'order_' || n, 'pay_' || n, price,
       'INR', CASE WHEN status = 'CANCELLED' THEN 'REFUNDED' ELSE 'CAPTURED' END, now(), now(),
       now()
FROM seed WHERE status <> 'PENDING';
INSERT INTO refunds (id, payment_id, show_id, provider_payment_id, provider_refund_id, amount,
                     status, reason, updated_at, created_at)
SELECT md5('refund' || n)::uuid, md5('payment' || n)::uuid, show_id, 'pay_' || n, 'rfnd_' || n,
       price, 'PROCESSED', 'booking cancelled', now(), now()
FROM seed WHERE status = 'CANCELLED';
INSERT INTO show_sales (show_id, tickets, gross)
SELECT show_id, COUNT(*) FILTER (WHERE status = 'BOOKED'),
       COALESCE(SUM(price) FILTER (WHERE status <> 'PENDING'), 0)
FROM seed GROUP BY show_id;
ANALYZE;
"""

# The report's totals recounted from the rows themselves, the slow way.
RECOUNT = """
SELECT (SELECT COUNT(*) FROM booking_seats JOIN bookings ON bookings.id = booking_seats.booking_id
        WHERE bookings.status = 'BOOKED'),
       (SELECT COALESCE(SUM(amount), 0) FROM payments WHERE payment_id IS NOT NULL),
       (SELECT COALESCE(SUM(amount), 0) FROM refunds WHERE status <> 'FAILED')
"""


def _statements(sql: str) -> list[str]:
    return [s.strip() for s in sql.split(";") if s.strip()]


async def _time(label: str, runs: int, work: object) -> float:
    timings = []
    for _ in range(runs + 2):
        started = time.perf_counter()
        await work()  # type: ignore[operator]
        timings.append((time.perf_counter() - started) * 1000)
    timings = timings[2:]  # warm-up runs
    median = statistics.median(timings)
    print(
        f"{label:<44} median {median:7.1f} ms   min {min(timings):7.1f}   "
        f"max {max(timings):7.1f}   ({runs} runs)"
    )
    return median


async def main(bookings: int, runs: int) -> int:
    server = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    base, _, _ = server.replace("postgres://", "postgresql://", 1).rpartition("/")
    name = f"boxoffice_bench_reports_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(
        server.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as on_server:
        on_server.execute(sa.text(f'CREATE DATABASE "{name}"'))
    settings = Settings(database_url=f"{base}/{name}", jwt_secret="bench-" + "x" * 40)
    engine = None
    try:
        await upgrade_to_head(settings)
        theatre, user_id = uuid.uuid4(), uuid.uuid4()
        first_day = date.today() + timedelta(days=1)
        params = {
            "theatre": theatre,
            "user_id": user_id,
            "screens": SCREENS,
            "rows": ROWS,
            "per_row": PER_ROW,
            "slots": SLOTS,
            "days": DAYS,
            "bookings": bookings,
            "first_day": datetime.combine(first_day, datetime.min.time(), UTC),
        }
        capacity = DAYS * SCREENS * SLOTS * ROWS * PER_ROW
        if bookings > capacity:
            raise SystemExit(f"at most {capacity} bookings fit ({bookings} asked)")
        engine = create_engine(settings)
        started = time.perf_counter()
        async with engine.begin() as connection:
            for statement in _statements(SEED):
                # Integers are ours, inlined (asyncpg cannot type `$1 * $2`); the rest are bound.
                for key, value in params.items():
                    if isinstance(value, int):
                        statement = statement.replace(f":{key}", str(value))
                used = {k: v for k, v in params.items() if f":{k}" in statement}
                await connection.execute(sa.text(statement), used)
        print(f"seeded {bookings:,} bookings in {time.perf_counter() - started:.1f} s")
        sessionmaker = create_sessionmaker(engine, settings)
        last_day = first_day + timedelta(days=DAYS - 1)

        async def sales() -> None:
            async with sessionmaker() as session:
                report = await service.sales_report(session, theatre, first_day, last_day)
            assert len(report.days) == DAYS

        async def show() -> None:
            async with sessionmaker() as session:
                some_show = await session.scalar(sa.text("SELECT id FROM shows LIMIT 1"))
                await service.show_report(session, some_show, datetime.now(UTC))

        async with sessionmaker() as session:
            report = await service.sales_report(session, theatre, first_day, last_day)
        print(f"report totals: {report.totals.model_dump()}")
        async with engine.connect() as connection:
            recounted = (await connection.execute(sa.text(RECOUNT))).one()
        # Every booking of the bench is in the report's range: its totals are the rows' sums.
        assert tuple(recounted) == (
            report.totals.tickets,
            report.totals.gross,
            report.totals.refunded,
        ), f"report {report.totals} != rows {tuple(recounted)}"
        median = await _time("sales report, 30 days, one theatre", runs, sales)
        await _time("show report", runs, show)
        verdict = "within" if median <= TARGET_MS else "OVER"
        print(f"sales report median {median:.1f} ms: {verdict} the {TARGET_MS} ms target")
        return 0 if median <= TARGET_MS else 1
    finally:
        if engine is not None:
            await engine.dispose()
        with admin.connect() as on_server:
            on_server.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bookings", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    raise SystemExit(asyncio.run(main(args.bookings, args.runs)))
