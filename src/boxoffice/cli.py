"""The `boxoffice` command line. Every command reads the same settings and fails early."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import functools
import os
import resource
import socket
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.clock import Clock
from boxoffice.config import RazorpayCredentials, Settings
from boxoffice.db.engine import create_engine, create_sessionmaker
from boxoffice.logs import configure_logging, get_logger


def load_settings(*, takes_payments: bool = False) -> Settings:
    try:
        settings = Settings()
    except ValidationError as exc:
        lines = [
            f"  {'.'.join(map(str, e['loc'])).upper() or 'settings'}: {e['msg']}"
            for e in exc.errors()
        ]
        sys.stderr.write("boxoffice: invalid settings:\n" + "\n".join(lines) + "\n")
        raise SystemExit(2) from None
    problem = settings.payments_problem() if takes_payments else None
    if problem:
        sys.stderr.write(f"boxoffice: invalid settings:\n  {problem}\n")
        raise SystemExit(2)
    return settings


async def in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
    """Runs `work` in one transaction of its own, for commands outside a request."""
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine, settings)() as session, session.begin():
            return await work(session)
    finally:
        await engine.dispose()


def _open_files_as_allowed() -> None:
    """Raises the soft limit on open files to the hard one: a server holds a connection per
    client, and its seat streams are bounded by that limit less SEAT_STREAM_FD_RESERVE."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        with contextlib.suppress(ValueError, OSError):  # an unlimited hard limit, say
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    # --port 0: any free port, bound here (so it is known before the app starts) and printed.
    listener = _listen_on_any_port(args.host) if args.port == 0 else None
    port = listener.getsockname()[1] if listener else args.port
    # The sandbox and its webhooks are reached through this server's own address.
    local_host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host  # noqa: S104
    os.environ.setdefault("PUBLIC_BASE_URL", f"http://{local_host}:{port}")
    settings = load_settings(takes_payments=True)  # fail here, once, not in every worker
    if args.workers > 1 and settings.rate_limit_enabled and not settings.redis_url:
        configure_logging(settings.log_level, settings.log_json)
        get_logger("boxoffice.cli").warning(
            "rate_limits_per_process",
            detail=f"{args.workers} processes and no REDIS_URL: every rate limit is counted per "
            "process, so a client gets up to that many times the limit. Set REDIS_URL.",
        )
    _open_files_as_allowed()
    if args.workers > 1:
        from boxoffice.metrics import share_between_processes

        share_between_processes()  # /metrics sums every worker's counters
    if listener is not None:
        print(f"boxoffice serving on http://{local_host}:{port}", flush=True)
    uvicorn.run(
        "boxoffice.app:create_app",
        factory=True,
        host=args.host,
        port=port,
        fd=listener.fileno() if listener else None,
        workers=args.workers,
        loop="uvloop",
        http="httptools",
        access_log=False,
        # The app reads X-Forwarded-For itself, and only from TRUSTED_PROXIES (boxoffice.network).
        proxy_headers=False,
        timeout_graceful_shutdown=20,
        log_config=None,
    )


def _listen_on_any_port(host: str) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.create_server((host, 0), family=family, backlog=2048)
    listener.set_inheritable(True)  # the worker processes of --workers serve it too
    return listener


def cmd_migrate(_args: argparse.Namespace) -> None:
    from boxoffice.db.migrate import upgrade_to_head

    settings = load_settings()
    asyncio.run(upgrade_to_head(settings))
    print("database migrated to the newest revision")
    if settings.razorpay_sandbox:  # its tables only where it is on (it would make them anyway)
        from boxoffice.sandbox.store import migrate

        asyncio.run(migrate(settings))
        print("the Razorpay sandbox's tables migrated to their newest revision")


def cmd_seed_demo(_args: argparse.Namespace) -> None:
    from boxoffice.demo import seed_demo
    from boxoffice.wiring import register_handlers

    settings = load_settings()
    register_handlers()
    created = asyncio.run(
        in_transaction(settings, lambda session: seed_demo(session, settings, Clock().now()))
    )
    print("demo catalogue loaded" if created else "demo catalogue already present")


def cmd_create_admin(args: argparse.Namespace) -> None:
    from boxoffice.accounts.service import create_admin

    settings = load_settings()
    asyncio.run(
        in_transaction(
            settings,
            lambda session: create_admin(
                session, settings, args.email, args.password, args.name, Clock().now()
            ),
        )
    )
    print(f"admin {args.email} ready")


def cmd_archive(args: argparse.Namespace) -> None:
    """Retention: shows that ended before --before (default: RETENTION_DAYS ago, unset: keep
    everything) lose their seat rows (`catalogue.retention`)."""
    from boxoffice.catalogue.retention import archive_ended_shows

    settings = load_settings()
    now = Clock().now()
    before = args.before
    if before is None:
        if settings.retention_days is None:
            print("RETENTION_DAYS is not set and no --before given: everything is kept")
            return
        before = now.date() - dt.timedelta(days=settings.retention_days)

    async def run() -> Any:
        engine = create_engine(settings)
        try:
            return await archive_ended_shows(create_sessionmaker(engine, settings), before, now)
        finally:
            await engine.dispose()

    done = asyncio.run(run())
    print(f"archived {done.shows} shows that ended before {before}: {done.seat_rows} seat rows")


def cmd_gst_summary(args: argparse.Namespace) -> None:
    """The GST summary of the months from --since's to now's rebuilt from the documents' lines
    (`invoicing.service.rebuild_gst_summary`), in one transaction."""
    from boxoffice.invoicing.service import rebuild_gst_summary

    settings = load_settings()
    now = Clock().now()
    since = dt.datetime.combine(args.since, dt.time(), dt.UTC)
    months = asyncio.run(
        in_transaction(settings, lambda session: rebuild_gst_summary(session, since, now))
    )
    print(f"gst summary: {months} theatre-months rebuilt from the lines since {args.since}")


def cmd_worker(args: argparse.Namespace) -> None:
    from boxoffice.worker import run_worker

    settings = load_settings(takes_payments=True)
    asyncio.run(
        run_worker(settings, payment_keys(settings), once=args.once, interval=args.interval)
    )


def payment_keys(settings: Settings) -> Callable[[], Awaitable[RazorpayCredentials]]:
    """The keys a process without a sandbox of its own pays with: the configured ones, else the
    sandbox's own, read from its tables when first asked (the database may not answer yet)."""
    configured = settings.razorpay_keys
    if configured is None:
        from boxoffice.sandbox.store import load_credentials

        return functools.partial(load_credentials, settings)

    async def keys() -> RazorpayCredentials:
        return configured

    return keys


def cmd_rotate_ticket_key(args: argparse.Namespace) -> None:
    import boxoffice.metadata  # noqa: F401 (every table: a ticket's row refers to the others)
    from boxoffice.tickets.keys import reissue_tickets, rotate

    settings = load_settings()
    if settings.ticket_signing_key is not None:
        sys.stderr.write(
            "boxoffice: TICKET_SIGNING_KEY is set, so that key signs; to rotate, publish a new "
            "key there (keys added here only sign once it is unset)\n"
        )
        if args.retire_old:
            raise SystemExit(2)
    clock = Clock()

    async def rotate_and_reissue() -> tuple[str, list[str], int]:
        engine = create_engine(settings)
        sessions = create_sessionmaker(engine, settings)
        try:
            # The retirement commits first: from then on the old keys verify nothing.
            async with sessions() as session, session.begin():
                kid, retired = await rotate(
                    session, settings, clock.now(), retire_old=args.retire_old
                )
            reissued = 0
            while args.retire_old:  # also finishes what an interrupted run left
                async with sessions() as session, session.begin():
                    batch = await reissue_tickets(session, settings, clock.now())
                if not batch:
                    break
                reissued += batch
            return kid, retired, reissued
        finally:
            await engine.dispose()

    kid, retired, reissued = asyncio.run(rotate_and_reissue())
    if not args.retire_old:
        print(f"new ticket signing key {kid}; older keys keep verifying until their shows end")
        return
    print(
        f"new ticket signing key {kid}; retired at once: {', '.join(retired) or 'none'} "
        f"(they verify nothing any more); {reissued} tickets signed again with {kid}"
    )


def cmd_sandbox(args: argparse.Namespace) -> None:
    import uvicorn

    # Running the sandbox alone is asking for it by name: no flag needed.
    os.environ.setdefault("RAZORPAY_SANDBOX", "true")
    load_settings()
    uvicorn.run(
        "boxoffice.sandbox:create_sandbox_app",
        factory=True,
        host=args.host,
        port=args.port,
        # As `serve` runs: a load test must measure the API, not the provider standing in for it.
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_config=None,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="boxoffice", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000, help="0: any free port (printed)")
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=cmd_serve)

    commands.add_parser("migrate", help="migrate the database").set_defaults(func=cmd_migrate)
    commands.add_parser("seed-demo", help="load the demo catalogue (once)").set_defaults(
        func=cmd_seed_demo
    )

    admin = commands.add_parser("create-admin", help="create or promote an admin account")
    admin.add_argument("--email", required=True)
    admin.add_argument("--password", default=os.environ.get("BOXOFFICE_ADMIN_PASSWORD"))
    admin.add_argument("--name", default="Administrator")
    admin.set_defaults(func=cmd_create_admin)

    archive = commands.add_parser(
        "archive", help="drop the seat rows of shows that ended before a date (retention)"
    )
    archive.add_argument(
        "--before",
        type=dt.date.fromisoformat,
        help="YYYY-MM-DD, theatre-local (default: RETENTION_DAYS ago; unset: keep everything)",
    )
    archive.set_defaults(func=cmd_archive)

    summary = commands.add_parser(
        "gst-summary",
        help="rebuild the GST summary from the documents' lines (after 0027's rollout)",
    )
    summary.add_argument(
        "--since",
        type=dt.date.fromisoformat,
        required=True,
        help="YYYY-MM-DD: the months from this day's (UTC) to now's are rebuilt",
    )
    summary.set_defaults(func=cmd_gst_summary)

    worker = commands.add_parser("worker", help="sweep expired holds, reconcile payments")
    worker.add_argument("--once", action="store_true", help="one pass, then exit")
    worker.add_argument("--interval", type=float, default=5.0, help="seconds between passes")
    worker.set_defaults(func=cmd_worker)

    rotate = commands.add_parser(
        "rotate-ticket-key", help="add a new ticket signing key (old tickets keep verifying)"
    )
    rotate.add_argument(
        "--retire-old",
        action="store_true",
        help="a key leaked: older keys stop verifying at once and their tickets are signed again",
    )
    rotate.set_defaults(func=cmd_rotate_ticket_key)

    sandbox = commands.add_parser("sandbox", help="run the Razorpay sandbox alone")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=9000)
    sandbox.set_defaults(func=cmd_sandbox)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if args.command == "create-admin" and not args.password:
        sys.stderr.write("boxoffice: --password (or BOXOFFICE_ADMIN_PASSWORD) is required\n")
        raise SystemExit(2)
    args.func(args)


if __name__ == "__main__":
    main()
