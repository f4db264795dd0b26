"""`make bench TOPOLOGY=cluster` (`python -m bench --topology cluster`): the hold path on the
cluster of scripts/cluster.py, straight to the primary and through pgbouncer.

1. the database's own limit (bench/rawdb.py's asyncpg clients, the app's hold statement) direct
   to the primary and through pgbouncer (statement cache off), at the storm levels;
2. 2,000 client connections through pgbouncer: 2,000 asyncpg connections, each a client issuing
   holds, multiplexed by pgbouncer (transaction pooling) onto at most 40 server connections; the
   server connections are sampled from pgbouncer's SHOW POOLS and pg_stat_activity meanwhile.
   Raw connections, not HTTP clients: 2,000 HTTP clients would measure the API processes and the
   generator on 2 shared cores, not the pooler, and API pools that large would not be a sane
   deployment (README "Production");
3. the HTTP hold storm (hold 2 seats, cancel) against 2 API processes, DATABASE_URL direct to
   the primary, then through pgbouncer with DATABASE_POOLER=pgbouncer.

Each run uses a fresh database on the cluster's primary (reached through pgbouncer by its
wildcard entry), dropped at the end. Figures go to stdout and var/bench/cluster-<time>.json.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import secrets
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg

from bench import rawdb, scenarios
from bench.client import Api, build_catalogue, guests, login, new_session
from bench.infra import REPO_ROOT, base_env, database_name, fleet, fresh_database, run_cli
from bench.stats import CpuMeter

MANY_CLIENTS = 2000
MANY_CLIENTS_SECONDS = 20.0
# Each of the 2,000 clients holds about every 2 x 20 s: ~100 holds/s offered, under what the
# cluster's primary takes with a synchronous standby on this machine; closed-loop clients
# would queue at pgbouncer past its query_wait_timeout (5 s, kept short for failovers).
MANY_CLIENTS_THINK_SECONDS = 20.0


def cluster_script() -> ModuleType:
    """scripts/cluster.py, the one description of the topology (ports, URLs, bring-up)."""
    spec = importlib.util.spec_from_file_location("cluster", REPO_ROOT / "scripts" / "cluster.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["cluster"] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


async def _server_connections(
    cluster: ModuleType, database: str, stop: asyncio.Event
) -> dict[str, int]:
    """The most server connections pgbouncer held for the database, and the most backends the
    primary had for it, while `stop` is not set."""
    most = {
        "pgbouncer_server_connections": 0,
        "primary_backends": 0,
        "pgbouncer_clients_waiting": 0,
    }
    primary = await asyncpg.connect(cluster.node_url(cluster.primary_port(), "postgres"))
    try:
        while not stop.is_set():
            pools = await asyncio.to_thread(cluster.pgbouncer_admin, "SHOW POOLS")
            for row in pools:
                if row[0] == database:  # database, user, cl_active, cl_waiting, 2 x cancel_req,
                    servers = sum(int(value) for value in row[6:13])  # sv_active..sv_login
                    most["pgbouncer_server_connections"] = max(
                        most["pgbouncer_server_connections"], servers
                    )
                    most["pgbouncer_clients_waiting"] = max(
                        most["pgbouncer_clients_waiting"], int(row[3])
                    )
            backends = await primary.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", database
            )
            most["primary_backends"] = max(most["primary_backends"], int(backends))
            await asyncio.sleep(0.25)
    finally:
        await primary.close()
    return most


async def _bench(
    cluster: ModuleType,
    direct_url: str,
    pooled_url: str,
    servers: int,
    levels: tuple[int, ...],
    seconds: float,
    admin: tuple[str, str],
    jwt_secret: str,
    log_dir: Path,
    log: Callable[[str], None],
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    database = database_name(direct_url)
    db = await asyncpg.connect(direct_url)
    try:
        env = base_env(direct_url, jwt_secret, DB_POOL_SIZE="12", DB_MAX_OVERFLOW="4")
        with fleet("processes", servers, env, log_dir / "setup") as fleet_:
            async with new_session() as http:
                api = Api(http, fleet_.urls[0])
                catalogue = await build_catalogue(
                    api, await login(api, *admin), (10, 30), (4, 20), 1
                )
                clients = await guests(api, max(levels), 16)

        cpu = CpuMeter([], database)
        for name, url, extra in (
            ("direct", direct_url, {}),
            ("pgbouncer", pooled_url, {"statement_cache_size": 0}),
        ):
            log(f"database limit, {name} (asyncpg clients, the app's hold + release statements):")
            results[f"db_limit_{name}"] = await rawdb.measure(
                url, db, catalogue.raw_show, catalogue.raw_seats, levels, seconds, cpu,
                log=log, connect=extra,
            )  # fmt: skip

        log(f"{MANY_CLIENTS} client connections through pgbouncer (transaction pooling):")
        stop = asyncio.Event()
        sampler = asyncio.create_task(_server_connections(cluster, database, stop))
        try:
            many = await rawdb.measure(
                pooled_url, db, catalogue.main_show, catalogue.main_seats, (MANY_CLIENTS,),
                MANY_CLIENTS_SECONDS, cpu, log=log, connect={"statement_cache_size": 0},
                think_seconds=MANY_CLIENTS_THINK_SECONDS,
            )  # fmt: skip
        finally:
            stop.set()
            peaks = await sampler
        many["peaks"] = peaks
        results["many_clients"] = many
        log(
            f"  peaks: {peaks['pgbouncer_server_connections']} server connections at pgbouncer,"
            f" {peaks['primary_backends']} backends on the primary for this database,"
            f" {peaks['pgbouncer_clients_waiting']} clients waiting at once"
        )

        for name, url, pooler in (
            ("direct", direct_url, "none"),
            ("pgbouncer", pooled_url, "pgbouncer"),
        ):
            log(f"HTTP hold storm, {servers} API processes, {name}:")
            env = base_env(
                url, jwt_secret, DATABASE_POOLER=pooler, DB_POOL_SIZE="12", DB_MAX_OVERFLOW="4",
                DATABASE_LISTEN_URL=direct_url,
            )  # fmt: skip
            rows = []
            with fleet("processes", servers, env, log_dir / name) as fleet_:
                ctx = scenarios.Context(fleet_.urls, db, CpuMeter(fleet_.pids(), database), log)
                for concurrency in levels:
                    row = await scenarios.hold_storm(
                        ctx,
                        clients,
                        catalogue.main_show,
                        catalogue.main_seats,
                        concurrency,
                        seconds,
                    )
                    rows.append(row)
                    log(
                        f"  C={concurrency:<4} {row['holds_per_s']:>7} holds/s"
                        f"  p50/p99 {row['hold']['p50_ms']}/{row['hold']['p99_ms']} ms"
                        f"  errors {row['errors']}  machine busy {row['cpu']['machine_busy']}%"
                    )
                problems = fleet_.log_problems()
            results[f"http_storm_{name}"] = {"rows": rows, "log_problems": problems}
    finally:
        await db.close()
    return results


def run_cluster_bench(
    servers: int, levels: tuple[int, ...], seconds: float, log: Callable[[str], None] = print
) -> dict[str, Any]:
    started = time.monotonic()
    cluster = cluster_script()
    cluster.up()
    primary = cluster.primary_port()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = REPO_ROOT / "var" / "bench"
    log_dir = out / f"cluster-logs-{stamp}"
    log_dir.mkdir(parents=True, exist_ok=True)
    jwt_secret = secrets.token_urlsafe(48)
    admin = ("bench-admin@example.com", secrets.token_urlsafe(16))
    with fresh_database(cluster.node_url(primary, "postgres")) as url:
        name = database_name(url)
        direct_url = cluster.multi_host_url(name)
        pooled_url = cluster.pgbouncer_url(name)
        env = base_env(direct_url, jwt_secret)
        run_cli(["migrate"], env)
        run_cli(["create-admin", "--email", admin[0], f"--password={admin[1]}"], env)
        log(f"database {name} on the primary :{primary}; pgbouncer {pooled_url}")
        results = asyncio.run(
            _bench(
                cluster, direct_url, pooled_url, servers, levels, seconds, admin, jwt_secret,
                log_dir, log,
            )
        )  # fmt: skip
    results["topology"] = "cluster"
    results["settings"] = {"servers": servers, "levels": levels, "seconds": seconds}
    results["total_seconds"] = round(time.monotonic() - started, 1)
    path = out / f"cluster-{stamp}.json"
    path.write_text(json.dumps(results, indent=2, default=str))
    log(f"written {path.relative_to(REPO_ROOT)} ({results['total_seconds']} s in all)")
    log("NOTE: 2 shared cores; the cluster, the generator and other sessions' work share them.")
    return results
