"""Migrations on a big database (issue 28): every migration after `BASE` run one at a time
against the loaded chain, each timed, while one probe a big table (its own connection, in
autocommit) keeps writing to one row of it: the longest a probe's write waited during a
migration is how long that migration blocked writes to that table.

`bench.scale` migrates its fresh database to head and back down to `BASE` before loading (the
database is empty then: nothing to lose), loads, and runs this; the loader writes only columns
that exist at `BASE`.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from boxoffice.db.migrate import alembic_config

BASE = "0020"
PROBED = (
    ("shows", "seat_count"),
    ("show_seats", "version"),
    ("bookings", "updated_at"),
    ("booking_seats", "price"),
    ("booking_transitions", "reason"),
    ("payments", "updated_at"),
    ("refunds", "updated_at"),
    ("tickets", "status"),
    ("documents", "currency"),
    ("outbox_emails", "attempts"),
    ("users", "name"),
)


def _engine(url: str) -> sa.Engine:
    return sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def _step(url: str, target: str, down: bool = False) -> None:
    engine = _engine(url)
    try:
        with engine.connect() as connection:  # Alembic's own transaction (autocommit_block)
            config = alembic_config()
            config.attributes["connection"] = connection
            (command.downgrade if down else command.upgrade)(config, target)
    finally:
        engine.dispose()


def down_to_base(url: str) -> None:
    _step(url, BASE, down=True)


class Probe(threading.Thread):
    """Writes one row of `table` over and over (rolled back); keeps the longest wait."""

    def __init__(self, url: str, table: str, column: str) -> None:
        super().__init__(daemon=True)
        self.url, self.table, self.column = url, table, column
        self.longest = 0.0
        self.stop = threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.url) as connection:
            ctid = connection.execute(f"SELECT ctid FROM {self.table} LIMIT 1").fetchone()
            connection.rollback()
            if ctid is None:
                return
            sql = f"UPDATE {self.table} SET {self.column} = {self.column} WHERE ctid = %s"
            while not self.stop.is_set():
                started = time.perf_counter()
                connection.execute(sql, ctid)
                connection.rollback()
                self.longest = max(self.longest, time.perf_counter() - started)
                time.sleep(0.01)


def run(url: str) -> list[dict[str, Any]]:
    script = ScriptDirectory.from_config(alembic_config())
    revisions = [r.revision for r in reversed(list(script.walk_revisions(BASE, "heads")))]
    results = []
    for revision in revisions[1:]:
        probes = [Probe(url, table, column) for table, column in PROBED]
        for probe in probes:
            probe.start()
        time.sleep(0.3)
        started = time.perf_counter()
        _step(url, revision)
        took = time.perf_counter() - started
        time.sleep(0.1)
        for probe in probes:
            probe.stop.set()
        for probe in probes:
            probe.join()
        worst = max(probes, key=lambda p: p.longest)
        results.append(
            {
                "revision": revision,
                "seconds": round(took, 3),
                "writes_blocked_s": round(worst.longest, 3),
                "table": worst.table,
            }
        )
        print(
            f"  migration {revision}: {took:.2f} s; writes waited at most "
            f"{worst.longest:.3f} s ({worst.table})"
        )
    if not results:
        print(f"  no migration after {BASE}")
    return results
