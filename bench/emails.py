"""The confirmation emails of a purchase burst, sent by one worker (issue 27: 1,000 within 60 s).

The purchase storm before this phase leaves its confirmations in the outbox, real ones: decided
by the booking's transaction, composed by the worker from the booking, its tickets (QR codes to
draw) and its invoice. They are copied (new ids, the same booking: the phase drops the
outbox's unique (booking, kind) on the database it runs on, the bench's or the smoke test's, and
puts it back after deleting the copies, even when it fails) until the outbox holds `count` of
them, so each copy costs the worker what a real confirmation does.
Then one `boxoffice worker --once` sends them all, twice: into a local SMTP server in a
process of its own (aiosmtpd, a sink that counts what it receives), and as .eml files (no
SMTP_URL). Each run reports the pass's seconds (the worker's own log: start-up imports
excluded), the process's CPU per email, and an audit: every email SENT once, every message
received once.
"""

from __future__ import annotations

import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from bench.infra import REPO_ROOT, free_port
from bench.scenarios import Context, run_worker_once

RECEIVED = "received"  # the sink's line per message, counted from its log


class CountingSink:
    """aiosmtpd handler (`python -m aiosmtpd -c bench.emails.CountingSink`): accepts and drops
    every message, printing one line each."""

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        print(RECEIVED, len(envelope.content or b""), flush=True)
        return "250 OK"


def _wait_for_port(port: int, process: subprocess.Popen[bytes], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while process.poll() is None and time.monotonic() < deadline:
        with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError("the SMTP sink did not start")


async def _fill_outbox(ctx: Context, count: int) -> int:
    """Copies the purchase storm's confirmations (sent or not) until `count` are due; returns
    how many are."""
    real = await ctx.db.fetchval(
        "SELECT count(*) FROM outbox_emails WHERE kind = 'BOOKED' AND booking_id IS NOT NULL"
    )
    due = await ctx.db.fetchval(
        "SELECT count(*) FROM outbox_emails WHERE kind = 'BOOKED' AND status = 'PENDING'"
    )
    if not real:
        raise RuntimeError("no confirmation in the outbox: run the checkout phase before this one")
    await ctx.db.execute(
        """
        INSERT INTO outbox_emails (id, booking_id, kind, params, status, attempts,
                                   next_attempt_at, created_at)
        SELECT gen_random_uuid(), booking_id, kind, params,
               'PENDING', 0, now() - interval '1 second', now()
        FROM (SELECT * FROM outbox_emails WHERE kind = 'BOOKED' AND booking_id IS NOT NULL)
             AS originals,
             generate_series(1, $1::int) AS copy
        ORDER BY copy
        LIMIT $2::int
        """,
        -(-count // real),
        max(count - due, 0),
    )
    return int(
        await ctx.db.fetchval(
            "SELECT count(*) FROM outbox_emails WHERE kind = 'BOOKED' AND status = 'PENDING'"
        )
    )


async def _one_worker(ctx: Context, env: dict[str, str], count: int) -> dict[str, Any]:
    """Fills the outbox to `count`, then one worker pass sends them; its figures and audit."""
    due = await _fill_outbox(ctx, count)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    worker = await run_worker_once(env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the worker, reaped; servers live on
    cpu_seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    left = await ctx.db.fetchval(
        "SELECT count(*) FROM outbox_emails WHERE kind = 'BOOKED' AND status <> 'SENT'"
    )
    return {
        "emails": due,
        "pass_seconds": worker["pass_seconds"],
        "process_seconds": worker["process_seconds"],
        "worker_cpu_ms_per_email": round(1000 * cpu_seconds / due, 2) if due else None,
        "not_sent": left,
    }


@contextmanager
def smtp_sink(port: int, log: Path) -> Iterator[None]:
    """The counting sink on 127.0.0.1:`port`, in a process of its own, its lines into `log`."""
    with log.open("wb") as out:
        command = [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}"]
        sink = subprocess.Popen(
            [*command, "-c", "bench.emails.CountingSink"],
            cwd=REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for_port(port, sink)
            yield
        finally:
            sink.terminate()
            sink.wait(timeout=10)


# The outbox's one email per (booking, kind), which the copies break for the phase's length.
UNIQUE = "uq_outbox_emails_booking_id"


@asynccontextmanager
async def copies_allowed(ctx: Context) -> AsyncIterator[None]:
    """Copies of a booking's confirmation may be queued until the end of the block; then they
    are deleted (each booking keeps its first) and the constraint is back."""
    await ctx.db.execute(f"ALTER TABLE outbox_emails DROP CONSTRAINT {UNIQUE}")
    try:
        yield
    finally:
        await ctx.db.execute(
            """
            DELETE FROM outbox_emails AS copy USING outbox_emails AS first
            WHERE copy.booking_id = first.booking_id AND copy.kind = first.kind
              AND (copy.created_at, copy.id) > (first.created_at, first.id)
            """
        )
        await ctx.db.execute(
            f"ALTER TABLE outbox_emails ADD CONSTRAINT {UNIQUE} UNIQUE (booking_id, kind)"
        )


async def email_burst(ctx: Context, env: dict[str, str], count: int) -> dict[str, Any]:
    async with copies_allowed(ctx):
        return await _email_burst(ctx, env, count)


async def _email_burst(ctx: Context, env: dict[str, str], count: int) -> dict[str, Any]:
    port = free_port()
    without_smtp = {key: value for key, value in env.items() if key != "SMTP_URL"}
    with tempfile.TemporaryDirectory(prefix="bench-emails-") as scratch:
        sink_log = Path(scratch) / "sink.log"
        with smtp_sink(port, sink_log):
            smtp = await _one_worker(ctx, {**env, "SMTP_URL": f"smtp://127.0.0.1:{port}"}, count)
        received = sink_log.read_text().count(f"{RECEIVED} ")
        eml_dir = Path(scratch) / "outbox"
        eml = await _one_worker(ctx, {**without_smtp, "OUTBOX_DIR": str(eml_dir)}, count)
        files = len(list(eml_dir.glob("*.eml"))) if eml_dir.exists() else 0
    smtp["received"], eml["files"] = received, files
    return {
        "smtp": smtp,
        "eml": eml,
        "audit_ok": smtp["not_sent"] == 0
        and eml["not_sent"] == 0
        and received == smtp["emails"]
        and files == eml["emails"],
    }
