"""`make bench` / `python -m bench`: one fresh database, N API processes, an aiohttp load
generator in this (separate) process, seven scenarios, a table on stdout and a JSON file in
var/bench/. Nothing here asserts a timing; audits that fail make the exit status 1."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from bench import rawdb, scenarios, statements
from bench.client import Api, build_catalogue, guests, login, new_session
from bench.infra import (
    DEFAULT_SERVER,
    REPO_ROOT,
    base_env,
    database_name,
    fleet,
    fresh_database,
    run_cli,
    trivial_server,
)
from bench.stats import CpuMeter

ADMIN_EMAIL = "bench-admin@example.com"
MAX_CONNECTIONS = 100  # PostgreSQL's max_connections here (BENCHMARKING.md)
TARGETS = {
    "storm_c64_holds_per_s": 1500,
    "storm_c64_p99_ms": 50,
    "storm_c64_ratio_to_db": 0.5,
    "sellout_s": 2.0,
    "seat_map_req_per_s": 3000,
    "seat_map_p99_ms": 30,
    "sweep_s": 1.0,
    "sweep_hold_p99_ms": 100,
    "hold_statements": 3,
}


@dataclass
class Config:
    servers: int = field(default_factory=lambda: os.cpu_count() or 1)
    mode: str = "processes"  # see README: measured against "workers"
    storm_levels: tuple[int, ...] = (8, 32, 64)
    storm_seconds: float = 8.0
    warmup_seconds: float = 2.0
    raw_seconds: float = 6.0
    main_layout: tuple[int, int] = (10, 30)  # 300 seats
    sellout_clients: int = 1000
    seat_map_concurrency: int = 64
    seat_map_seconds: float = 5.0
    sweep_holds: int = 10_000
    big_layout: tuple[int, int] = (20, 50)  # 1,000 seats a show
    sweep_storm_clients: int = 16
    webhooks: int = 2000
    webhook_duplicates: float = 0.30
    webhook_concurrency: int = 64
    ceiling_levels: tuple[int, ...] = (8, 64)
    ceiling_seconds: float = 3.0
    statement_rounds: int = 10
    sweep_lead_seconds: float = 1.5  # hold storm alone before the worker starts
    idle_worker_pass: bool = True  # also time a worker pass with nothing to sweep
    pool_size: int = 0  # 0: sized to fit max_connections (see pool_sizes)
    max_overflow: int = -1

    @classmethod
    def smoke(cls) -> Config:
        """Tiny sizes for tests/bench/test_bench_smoke.py: seconds, not minutes."""
        return cls(
            servers=1,
            storm_levels=(4,),
            storm_seconds=0.6,
            warmup_seconds=0.2,
            raw_seconds=0.4,
            main_layout=(5, 8),
            sellout_clients=30,
            seat_map_concurrency=4,
            seat_map_seconds=0.4,
            sweep_holds=120,
            big_layout=(4, 20),
            sweep_storm_clients=2,
            webhooks=40,
            webhook_concurrency=4,
            ceiling_levels=(4,),
            ceiling_seconds=0.3,
            statement_rounds=2,
            sweep_lead_seconds=0.3,
            idle_worker_pass=False,
        )

    def pool_sizes(self) -> tuple[int, int]:
        """Per API process. Budget: N x (pool + overflow) + the raw-DB clients (max C) + this
        process, the worker and the in-process counter (5) must stay under max_connections
        with headroom (10) for anything else on the server."""
        if self.pool_size:
            return self.pool_size, max(self.max_overflow, 0)
        budget = MAX_CONNECTIONS - 10 - max(self.storm_levels) - 5
        per_process = max(2, budget // self.servers)
        overflow = min(4, per_process // 4)
        return min(16, per_process - overflow), overflow

    @property
    def big_shows(self) -> int:
        seats = self.big_layout[0] * self.big_layout[1]
        return -(-self.sweep_holds // seats) + 1  # the sweep's shows, then the webhook show


def _ratio(value: float | None, limit: float | None) -> float | None:
    return round(value / limit, 2) if value is not None and limit else None


async def _bench(
    cfg: Config,
    database_url: str,
    jwt_secret: str,
    admin_credentials: tuple[str, str],
    log: Callable[[str], None],
    log_dir: Path,
) -> dict[str, Any]:
    pool, overflow = cfg.pool_sizes()
    env = base_env(database_url, jwt_secret, DB_POOL_SIZE=str(pool), DB_MAX_OVERFLOW=str(overflow))
    results: dict[str, Any] = {}
    from boxoffice.config import SANDBOX_CREDENTIALS

    db = await asyncpg.connect(database_url, server_settings={"application_name": "bench-audit"})
    try:
        # 0. the generator's own ceiling, against a bare ASGI app on the same number of workers.
        cpu = CpuMeter([], database_name(database_url))
        with trivial_server(cfg.servers, log_dir) as url:
            rows = []
            for concurrency in cfg.ceiling_levels:
                row = await scenarios.ceiling(url, concurrency, cfg.ceiling_seconds, cpu)
                rows.append(row)
                log(
                    f"  generator ceiling C={concurrency}: {row['per_second']} req/s "
                    f"(p99 {row['p99_ms']} ms, generator CPU {row['cpu']['generator']}%)"
                )
            results["generator_ceiling"] = rows

        with fleet(cfg.mode, cfg.servers, env, log_dir) as servers:
            cpu = CpuMeter(servers.pids(), database_name(database_url))
            ctx = scenarios.Context(servers.urls, db, cpu, log)
            async with new_session() as http:
                api = Api(http, servers.urls[0])
                admin = await login(api, *admin_credentials)
                catalogue = await build_catalogue(
                    api, admin, cfg.main_layout, cfg.big_layout, cfg.big_shows
                )
                storm_clients = await guests(api, max(cfg.storm_levels), 16)
                sweep_clients = await guests(api, cfg.sweep_storm_clients, 16)
            log(
                f"  catalogue ready: {len(catalogue.main_seats)}-seat shows, "
                f"{len(catalogue.big_shows)} shows of {cfg.big_layout[0] * cfg.big_layout[1]} seats"
            )

            # 6. the database's own limit (first: nothing else has touched the tables yet).
            log("database limit (the app's claim/release statements over asyncpg, no HTTP):")
            results["db_limit"] = await rawdb.measure(
                database_url,
                db,
                catalogue.raw_show,
                catalogue.raw_seats,
                storm_clients[0].id,
                cfg.storm_levels,
                cfg.raw_seconds,
                cpu,
                log=log,
            )

            # 1. hold storm
            log("hold storm:")
            await scenarios.hold_storm(
                ctx,
                storm_clients,
                catalogue.main_show,
                catalogue.main_seats,
                max(cfg.storm_levels),
                cfg.warmup_seconds,
            )
            storm = []
            for concurrency in cfg.storm_levels:
                row = await scenarios.hold_storm(
                    ctx,
                    storm_clients,
                    catalogue.main_show,
                    catalogue.main_seats,
                    concurrency,
                    cfg.storm_seconds,
                )
                limit = results["db_limit"][str(concurrency)]
                row["ratio_to_db_holds"] = _ratio(row["holds_per_s"], limit["holds_per_s"])
                row["ratio_to_db_tx"] = _ratio(row["hold_attempts_per_s"], limit["tx_per_s"])
                storm.append(row)
                log(
                    f"  C={concurrency:<3} {row['holds_per_s']:>7} holds/s  "
                    f"{row['requests_per_s']:>7} req/s  p50/p95/p99 {row['hold']['p50_ms']}/"
                    f"{row['hold']['p95_ms']}/{row['hold']['p99_ms']} ms"
                    f"  409s {row['conflicts_409']}  errors {row['errors']}"
                    f"  = {row['ratio_to_db_holds']} x db  cpu {row['cpu']}"
                )
            results["hold_storm"] = storm

            # 3. seat map
            log("seat map:")
            maps = []
            for conditional in (False, True):
                row = await scenarios.seat_map(
                    ctx,
                    catalogue.main_show,
                    cfg.seat_map_concurrency,
                    cfg.seat_map_seconds,
                    conditional,
                )
                maps.append(row)
                log(
                    f"  If-None-Match={row['if_none_match']!s:<5} {row['per_second']:>7} req/s  "
                    f"p50/p99 {row['p50_ms']}/{row['p99_ms']} ms  {row['statuses']}"
                    f"  cpu {row['cpu']}"
                )
            results["seat_map"] = maps

            # 2. sell-out race
            log("sell-out race:")
            sale = await scenarios.sell_out(
                ctx, catalogue.sellout_show, catalogue.sellout_seats, cfg.sellout_clients
            )
            results["sell_out"] = sale
            log(
                f"  {sale['clients']} clients, {sale['seats']} seats: sold out "
                f"{sale['sold_out']} in {sale['time_to_sold_out_s']} s; {sale['holds_granted']} "
                f"holds; {sale['hold']['count']} hold requests, "
                f"{sale['seat_map_refreshes']['count']} map refreshes; audit ok {sale['audit_ok']}"
            )

            # 4. expiry sweep
            log("expiry sweep:")
            sweep_shows = catalogue.big_shows[:-1]
            sweep = await scenarios.expiry_sweep(
                ctx,
                env,
                sweep_shows,
                storm_clients[0].id,
                cfg.sweep_holds,
                sweep_clients,
                catalogue.main_show,
                catalogue.main_seats,
                lead_seconds=cfg.sweep_lead_seconds,
                idle_pass=cfg.idle_worker_pass,
            )
            results["expiry_sweep"] = sweep
            log(
                f"  {sweep['swept']} swept; worker pass {sweep['worker_pass_seconds']} s "
                f"(idle pass {sweep['idle_worker_pass_seconds']} s); hold p99 during "
                f"{sweep['hold_during_sweep']['p99_ms']} ms vs before "
                f"{sweep['hold_before_sweep']['p99_ms']} ms; audit ok {sweep['audit_ok']}"
            )

            # 5. webhook burst
            log("webhook burst:")
            webhook_show = catalogue.big_shows[-1]
            hooks = await scenarios.webhook_burst(
                ctx,
                webhook_show,
                catalogue.big_seats[webhook_show],
                cfg.webhooks,
                cfg.webhook_duplicates,
                cfg.webhook_concurrency,
                SANDBOX_CREDENTIALS.webhook_secret,
            )
            results["webhooks"] = hooks
            log(
                f"  {hooks['deliveries']} deliveries ({hooks['duplicates']} duplicates) for "
                f"{hooks['bookings']} orders: {hooks['per_second']} req/s p99 {hooks['p99_ms']} ms "
                f"{hooks['statuses']} {hooks['outcomes']}; audit ok {hooks['audit_ok']}"
            )
            results["server_log_problems"] = servers.log_problems()

        # 7. statements per request, in-process (the servers are down: connections are free).
        log("SQL statements per request (in-process app, SQLAlchemy events):")
        counted = await statements.count(
            database_url,
            jwt_secret,
            catalogue.main_show,
            catalogue.main_seats,
            cfg.statement_rounds,
        )
        results["statements"] = counted
        for name, row in counted.items():
            log(
                f"  {name:<14} {row['statements']} statements (+{row['begin']} BEGIN, "
                f"{row['commit']} COMMIT, {row['rollback']} ROLLBACK, {row['pre_ping']} pre-ping) "
                f"~{row['round_trips']} round trips"
            )
    finally:
        await db.close()
    results["settings"] = {"DB_POOL_SIZE": pool, "DB_MAX_OVERFLOW": overflow}
    return results


def _machine() -> dict[str, Any]:
    def sh(*args: str) -> str:
        try:
            return subprocess.run(
                args, capture_output=True, text=True, timeout=10, cwd=REPO_ROOT
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "commit": sh("git", "rev-parse", "--short", "HEAD"),
        "dirty": bool(sh("git", "status", "--porcelain", "--", "src")),
        "postgres": sh("psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "SHOW server_version"),
    }


def verdicts(results: dict[str, Any]) -> dict[str, Any]:
    """Targets from the issue, reported (never asserted)."""
    out: dict[str, Any] = {}
    storm = {row["concurrency"]: row for row in results.get("hold_storm", [])}
    if 64 in storm:
        row = storm[64]
        out["storm_c64_holds_per_s"] = (
            row["holds_per_s"],
            row["holds_per_s"] >= TARGETS["storm_c64_holds_per_s"],
        )
        out["storm_c64_p99_ms"] = (
            row["hold"]["p99_ms"],
            (row["hold"]["p99_ms"] or 1e9) <= TARGETS["storm_c64_p99_ms"],
        )
        out["storm_c64_zero_5xx"] = (row["errors"], row["errors"] == 0)
        out["storm_c64_ratio_to_db"] = (
            row["ratio_to_db_holds"],
            (row["ratio_to_db_holds"] or 0) >= TARGETS["storm_c64_ratio_to_db"],
        )
    sale = results.get("sell_out")
    if sale:
        value = sale["time_to_sold_out_s"]
        out["sellout_s"] = (value, value is not None and value < TARGETS["sellout_s"])
    maps = results.get("seat_map") or []
    if maps:
        plain = maps[0]
        out["seat_map_req_per_s"] = (
            plain["per_second"],
            plain["per_second"] >= TARGETS["seat_map_req_per_s"],
        )
        out["seat_map_p99_ms"] = (
            plain["p99_ms"],
            (plain["p99_ms"] or 1e9) <= TARGETS["seat_map_p99_ms"],
        )
    sweep = results.get("expiry_sweep")
    if sweep:
        seconds = sweep["worker_pass_seconds"]
        out["sweep_s"] = (seconds, seconds is not None and seconds < TARGETS["sweep_s"])
        p99 = sweep["hold_during_sweep"]["p99_ms"]
        out["sweep_hold_p99_ms"] = (p99, p99 is not None and p99 <= TARGETS["sweep_hold_p99_ms"])
    counted = results.get("statements", {}).get("hold")
    if counted:
        out["hold_statements"] = (
            counted["statements"],
            counted["statements"] <= TARGETS["hold_statements"],
        )
    return out


def _cpu_rows(node: Any, path: str = "") -> list[tuple[str, dict[str, float]]]:
    found: list[tuple[str, dict[str, float]]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "cpu" and isinstance(value, dict):
                found.append((path, value))
            else:
                found += _cpu_rows(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _cpu_rows(value, f"{path}[{index}]")
    return found


def noise(results: dict[str, Any], threshold: float = 20.0) -> list[str]:
    """Phases during which something else on the machine (other processes, other databases'
    PostgreSQL sessions) used more than `threshold` % of a core: their figures are low."""
    return [
        f"{path}: other {cpu.get('other', 0)}% + pg_other {cpu.get('pg_other', 0)}% of a core"
        for path, cpu in _cpu_rows(results)
        if cpu.get("other", 0) + cpu.get("pg_other", 0) > threshold
    ]


def audits_ok(results: dict[str, Any]) -> bool:
    return all(
        results.get(name, {}).get("audit_ok", False)
        for name in ("sell_out", "expiry_sweep", "webhooks")
    )


def print_table(results: dict[str, Any], log: Callable[[str], None]) -> None:
    db = results["db_limit"]
    db64 = db[str(max(int(k) for k in db if k.isdigit()))]
    ceiling = max(results["generator_ceiling"], key=lambda r: r["concurrency"])
    log("")
    log(f"{'measure':<44}{'value':>14}{'p99 ms':>10}{'x db':>8}  target")
    log("-" * 92)

    def line(name: str, value: Any, p99: Any = "", ratio: Any = "", target: str = "") -> None:
        log(f"{name:<44}{value!s:>14}{p99!s:>10}{ratio!s:>8}  {target}")

    line(
        f"generator ceiling (bare ASGI, C={ceiling['concurrency']}) req/s",
        ceiling["per_second"],
        ceiling["p99_ms"],
    )
    for key in sorted((k for k in db if k.isdigit()), key=int):
        row = db[key]
        line(f"db limit C={key} hold+release/s", row["holds_per_s"], row["hold_tx"]["p99_ms"], 1.0)
    for row in results["hold_storm"]:
        c = row["concurrency"]
        line(
            f"hold storm C={c} successful holds/s",
            row["holds_per_s"],
            row["hold"]["p99_ms"],
            row["ratio_to_db_holds"],
            ">=1500, p99<=50, >=0.5 x db" if c == 64 else "",
        )
        line(
            f"  C={c} requests/s | 409s | errors",
            f"{row['requests_per_s']}|{row['conflicts_409']}|{row['errors']}",
            f"{row['hold']['p50_ms']}/{row['hold']['p95_ms']}",
            "",
            "p50/p95 ms in p99 column",
        )
    for row in results["seat_map"]:
        line(
            f"seat map C={row['concurrency']} "
            f"{'If-None-Match' if row['if_none_match'] else 'plain'} req/s",
            row["per_second"],
            row["p99_ms"],
            _ratio(row["per_second"], db64["holds_per_s"]),
            ">=3000, p99<=30",
        )
    sale = results["sell_out"]
    line(
        f"sell-out {sale['clients']} clients/{sale['seats']} seats, s",
        sale["time_to_sold_out_s"],
        sale["hold"]["p99_ms"],
        "",
        f"<2 s; audit {'OK' if sale['audit_ok'] else 'FAILED'}",
    )
    sweep = results["expiry_sweep"]
    line(
        f"sweep {sweep['holds']} expired holds, worker pass s",
        sweep["worker_pass_seconds"],
        sweep["hold_during_sweep"]["p99_ms"],
        "",
        f"<1 s, hold p99<=100; audit {'OK' if sweep['audit_ok'] else 'FAILED'}",
    )
    hooks = results["webhooks"]
    line(
        f"webhooks {hooks['deliveries']} ({hooks['duplicates']} dup) req/s",
        hooks["per_second"],
        hooks["p99_ms"],
        _ratio(hooks["per_second"], db64["holds_per_s"]),
        f"audit {'OK' if hooks['audit_ok'] else 'FAILED'}",
    )
    counted = results["statements"]["hold"]
    line(
        "SQL statements per hold (excl. BEGIN/COMMIT)",
        counted["statements"],
        "",
        "",
        f"<=3; ~{counted['round_trips']} round trips incl. BEGIN/COMMIT/pre-ping",
    )
    log("-" * 92)
    for name, (value, ok) in results["verdicts"].items():
        log(f"  {'MET ' if ok else 'MISS'} {name} = {value}")
    if results["noise"]:
        log("WARNING: the machine was not quiet; these phases shared the CPU with others:")
        for line_ in results["noise"]:
            log(f"  {line_}")


def run_bench(
    cfg: Config,
    *,
    database_url: str | None = None,
    out_dir: Path | None = None,
    admin: tuple[str, str] | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Runs everything. `database_url` reuses an existing, migrated database and `admin` an
    existing admin account (email, password): what the smoke test does."""
    started = time.monotonic()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    log_dir = (out_dir or REPO_ROOT / "var" / "bench") / f"logs-{stamp}"
    log_dir.mkdir(parents=True, exist_ok=True)
    jwt_secret = secrets.token_urlsafe(48)
    admin_email, admin_password = admin or (ADMIN_EMAIL, secrets.token_urlsafe(16))
    pool, overflow = cfg.pool_sizes()

    def progress(text: str) -> None:
        log(f"[{time.monotonic() - started:6.1f}s] {text}")

    progress(
        f"boxoffice bench: {cfg.servers} API processes ({cfg.mode} mode), DB_POOL_SIZE={pool} "
        f"DB_MAX_OVERFLOW={overflow}, RATE_LIMIT_ENABLED=false, LOG_LEVEL=WARNING, "
        f"MAX_PENDING_BOOKINGS_PER_CUSTOMER default (one customer per client)"
    )

    def with_database(url: str) -> dict[str, Any]:
        env = base_env(url, jwt_secret)
        if database_url is None:
            run_cli(["migrate"], env)
        if admin is None:
            run_cli(["create-admin", "--email", admin_email, "--password", admin_password], env)
        progress(f"database {database_name(url)} migrated, admin ready")
        credentials = (admin_email, admin_password)
        return _run_async(_bench(cfg, url, jwt_secret, credentials, progress, log_dir))

    if database_url is None:
        server = os.environ.get("BENCH_DATABASE_SERVER", DEFAULT_SERVER)
        with fresh_database(server) as url:
            results = with_database(url)
    else:
        results = with_database(database_url)
    results["verdicts"] = verdicts(results)
    results["noise"] = noise(results)
    results["audits_ok"] = audits_ok(results)
    results["config"] = asdict(cfg)
    results["machine"] = _machine()
    results["total_seconds"] = round(time.monotonic() - started, 1)
    print_table(results, log)
    target = out_dir or REPO_ROOT / "var" / "bench"
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{stamp}.json"
    path.write_text(json.dumps(results, indent=2, default=str))
    results["path"] = str(path)
    log(
        f"written {path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path} "
        f"({results['total_seconds']} s in all)"
    )
    return results


def _run_async(coroutine: Any) -> Any:
    try:
        import uvloop

        return uvloop.run(coroutine)
    except ImportError:
        return asyncio.run(coroutine)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--servers", type=int, help="API processes (default: cores)")
    parser.add_argument(
        "--mode",
        choices=("processes", "workers"),
        help="N `serve` processes on N ports, or one `serve --workers N`",
    )
    parser.add_argument("--seconds", type=float, help="seconds per storm level")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (what the test runs)")
    args = parser.parse_args(argv)
    cfg = Config.smoke() if args.smoke else Config()
    if args.servers:
        cfg.servers = args.servers
    if args.mode:
        cfg.mode = args.mode
    if args.seconds:
        cfg.storm_seconds = args.seconds

    def stop(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt  # unwinds through every `finally`: servers stopped, DB dropped

    signal.signal(signal.SIGTERM, stop)
    results = run_bench(cfg)
    if not results["audits_ok"] or results.get("server_log_problems"):
        print(
            "bench: audits failed or server logs show problems: "
            f"{results.get('server_log_problems')}",
            file=sys.stderr,
        )
        raise SystemExit(1)
