#!/usr/bin/env python3
"""A production-shaped Boxoffice on this one machine, under var/cluster/ (README "Production").

    .venv/bin/python scripts/cluster.py up      # make cluster: create what is missing, start it
    .venv/bin/python scripts/cluster.py status  # who is primary, what runs
    .venv/bin/python scripts/cluster.py down    # make cluster-down: stop all, remove var/cluster/

The pieces, every one off the shelf (Debian packages) except Boxoffice itself:
- pg_auto_failover: a monitor and two PostgreSQL 15 nodes (a primary and a synchronous standby),
  each node supervised by its `pg_autoctl` keeper, all run as the `postgres` user (pg_autoctl
  refuses root);
- pgbouncer 1.18 in transaction pooling mode in front of whichever node is primary;
- the pgbouncer follower (`cluster.py follow`, a daemon of this script): pgbouncer 1.18 takes one
  host per database, so the follower asks the monitor for the primary every half second and, when
  it changed, rewrites pgbouncer's [databases] line and RELOADs it;
- 2 `boxoffice serve` processes through pgbouncer (DATABASE_POOLER=pgbouncer), their LISTEN
  connection and the `boxoffice worker` on the multi-host URL with target_session_attrs=read-write,
  their catalogue and report reads (DATABASE_READ_URL) on it with prefer-standby;
- Redis (the machine's, on 6379) for the rate limits; the Razorpay sandbox in the API processes.

The machine's own PostgreSQL on :5432 is never touched. Every wait is bounded; `up` is idempotent.
Ports: CLUSTER_PORT_BASE (15430) is the monitor, +1 and +2 the nodes, +3 pgbouncer; the API on
CLUSTER_API_PORT (15480) and the next port.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

REPO = Path(__file__).resolve().parents[1]
ROOT = REPO / "var" / "cluster"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
BOXOFFICE = str(REPO / ".venv" / "bin" / "boxoffice")
PYTHON = str(REPO / ".venv" / "bin" / "python")
HOST = "127.0.0.1"
PORT_BASE = int(os.environ.get("CLUSTER_PORT_BASE", "15430"))
API_PORT = int(os.environ.get("CLUSTER_API_PORT", "15480"))
MONITOR_PORT, PGBOUNCER_PORT = PORT_BASE, PORT_BASE + 3
NODES = {"node1": PORT_BASE + 1, "node2": PORT_BASE + 2}
DBNAME = "boxoffice"
PACKAGES = ("pg-auto-failover-cli", "postgresql-15-auto-failover", "pgbouncer")
PGBOUNCER_SERVER_CONNECTIONS = 40  # <= 40 server connections for any number of clients
PGBOUNCER_CLIENTS = 2500
ADMIN_EMAIL = "cluster-admin@example.com"
# Failure detection, tuned down from pg_auto_failover's defaults (20 s unhealthy, 30 s demote
# timeout) for a single machine where "unreachable" means "dead". The keeper's own partition
# timeout stays below the monitor's demote timeout: an isolated primary fences itself before the
# monitor lets the standby be promoted (no split brain).
MONITOR_SETTINGS = {
    "pgautofailover.health_check_period": "1000",
    "pgautofailover.health_check_timeout": "1000",
    "pgautofailover.health_check_max_retries": "1",
    "pgautofailover.health_check_retry_delay": "500",
    "pgautofailover.node_considered_unhealthy_timeout": "3000",
    "pgautofailover.primary_demote_timeout": "6000",
}
KEEPER_NETWORK_PARTITION_TIMEOUT = "3"  # seconds
BOXOFFICE_DAEMONS = ("api-1", "api-2", "worker")


def say(message: str) -> None:
    print(f"[cluster {time.strftime('%H:%M:%S')}] {message}", flush=True)


def monitor_url(user: str = "autoctl_node") -> str:
    return f"postgresql://{user}@{HOST}:{MONITOR_PORT}/pg_auto_failover?sslmode=disable"


def multi_host_url(dbname: str = DBNAME, attrs: str = "read-write") -> str:
    """Both nodes: a connection goes to the first that is the primary (read-write) or, for
    reads, the standby when there is one (prefer-standby), whichever node that is now."""
    hosts = ",".join(f"{HOST}:{port}" for port in NODES.values())
    return f"postgresql://postgres@{hosts}/{dbname}?target_session_attrs={attrs}"


def node_url(port: int, dbname: str = DBNAME) -> str:
    return f"postgresql://postgres@{HOST}:{port}/{dbname}"


def pgbouncer_url(dbname: str = DBNAME) -> str:
    return f"postgresql://postgres@{HOST}:{PGBOUNCER_PORT}/{dbname}"


def api_urls() -> list[str]:
    return [f"http://{HOST}:{API_PORT + index}" for index in range(2)]


def wait_for(what: str, check: Callable[[], Any], seconds: float, every: float = 0.5) -> Any:
    """Polls `check` until it returns something truthy; gives up (SystemExit) after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            found = check()
            if found:
                return found
        time.sleep(every)
    raise SystemExit(f"cluster: gave up waiting for {what} after {seconds:.0f} s")


# -- processes ----------------------------------------------------------------------------------

POSTGRES = pwd.getpwnam("postgres")


def as_postgres(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    os.chown(path, POSTGRES.pw_uid, POSTGRES.pw_gid)
    return path


def postgres_env() -> dict[str, str]:
    xdg = ROOT / "xdg"  # pg_autoctl's own config and state live under var/cluster/ too
    return {
        "PATH": f"{PG_BIN}:/usr/bin:/bin",
        "HOME": str(ROOT),
        "XDG_CONFIG_HOME": str(xdg / "config"),
        "XDG_DATA_HOME": str(xdg / "data"),
        "XDG_RUNTIME_DIR": str(xdg / "run"),
        "PG_CONFIG": "/usr/bin/pg_config",
        "LANG": "C.UTF-8",
    }


def run_as_postgres(argv: list[str], timeout: float = 180) -> str:
    done = subprocess.run(  # noqa: S603 (fixed programs, our own arguments)
        argv,
        env=postgres_env(),
        cwd=ROOT,
        user=POSTGRES.pw_uid,
        group=POSTGRES.pw_gid,
        extra_groups=[],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout


@dataclass
class Daemon:
    """A long-running process of the cluster: its pid in var/cluster/run/<name>.pid, its output
    in var/cluster/logs/<name>.log."""

    name: str

    @property
    def pid_file(self) -> Path:
        return ROOT / "run" / f"{self.name}.pid"

    def pid(self) -> int | None:
        with contextlib.suppress(OSError, ValueError):
            pid = int(self.pid_file.read_text())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            if cmdline and Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z":
                return pid
        return None

    def start(self, argv: list[str], env: dict[str, str], as_user: bool = False) -> bool:
        """Starts it unless it runs; True if it was started now."""
        if self.pid() is not None:
            say(f"{self.name}: already running (pid {self.pid()})")
            return False
        (ROOT / "logs").mkdir(parents=True, exist_ok=True)
        (ROOT / "run").mkdir(parents=True, exist_ok=True)
        log = (ROOT / "logs" / f"{self.name}.log").open("ab")
        process = subprocess.Popen(  # noqa: S603 (fixed programs, our own arguments)
            argv,
            env=env,
            cwd=ROOT if as_user else REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # outlives this script; stopped by `down`
            user=POSTGRES.pw_uid if as_user else None,
            group=POSTGRES.pw_gid if as_user else None,
            extra_groups=[] if as_user else None,
        )
        log.close()
        self.pid_file.write_text(str(process.pid))
        say(f"{self.name}: started (pid {process.pid}, log var/cluster/logs/{self.name}.log)")
        return True

    def stop(self, seconds: float = 20) -> None:
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + seconds
        while self.pid() is not None and time.monotonic() < deadline:
            time.sleep(0.2)
        if self.pid() is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)  # its own session: only its children
        self.pid_file.unlink(missing_ok=True)
        say(f"{self.name}: stopped")


# -- pg_auto_failover ---------------------------------------------------------------------------


def pgdata(name: str) -> Path:
    return ROOT / "pg" / name


def allow_local_tcp(data: Path) -> None:
    """The app and this script connect over 127.0.0.1 as `postgres`, trusted as on the
    machine's own cluster; pg_autoctl's rules for its own users stay as written."""
    hba = data / "pg_hba.conf"
    line = "host all all 127.0.0.1/32 trust  # boxoffice cluster (local only)\n"
    if line not in hba.read_text():
        with hba.open("a") as file:
            file.write(line)


def ensure_monitor() -> None:
    data = pgdata("monitor")
    if not (data / "PG_VERSION").exists():
        say("monitor: pg_autoctl create monitor")
        run_as_postgres(
            [
                "pg_autoctl", "create", "monitor", "--pgdata", str(data),
                "--pgport", str(MONITOR_PORT), "--hostname", HOST, "--auth", "trust", "--no-ssl",
                "--pgctl", str(PG_BIN / "pg_ctl"),
            ]
        )  # fmt: skip
        allow_local_tcp(data)
        run_as_postgres(  # pg_autoctl's default is '*': this machine only
            [
                "pg_autoctl",
                "config",
                "set",
                "--pgdata",
                str(data),
                "postgresql.listen_addresses",
                HOST,
            ]
        )
        with (data / "postgresql.conf").open("a") as conf:
            conf.write("# boxoffice cluster: fast failure detection (scripts/cluster.py)\n")
            conf.writelines(f"{key} = {value}\n" for key, value in MONITOR_SETTINGS.items())
    Daemon("monitor").start(["pg_autoctl", "run", "--pgdata", str(data)], postgres_env(), True)
    wait_for("the monitor", lambda: psycopg.connect(monitor_url("postgres"), connect_timeout=2), 60)


def node_states() -> list[dict[str, Any]]:
    """The monitor's view: name, port, reported and goal state of each node."""
    with psycopg.connect(monitor_url("postgres"), connect_timeout=2) as monitor:
        rows = monitor.execute(
            "SELECT nodename, nodeport, reportedstate::text, goalstate::text, health"
            " FROM pgautofailover.node ORDER BY nodeid"
        ).fetchall()
    return [
        {"name": r[0], "port": r[1], "reported": r[2], "goal": r[3], "health": r[4]} for r in rows
    ]


def primary_port() -> int | None:
    """The writable node's port: reported and assigned primary (or wait_primary / single)."""
    for node in node_states():
        writable = {"primary", "wait_primary", "single"}
        if node["reported"] in writable and node["goal"] in writable:
            return int(node["port"])
    return None


def ensure_node(name: str, port: int) -> None:
    data = pgdata(name)
    if not (data / "PG_VERSION").exists():
        say(f"{name}: pg_autoctl create postgres on :{port}")
        run_as_postgres(
            [
                "pg_autoctl", "create", "postgres", "--pgdata", str(data), "--pgport", str(port),
                "--hostname", HOST, "--listen", HOST, "--name", name, "--dbname", DBNAME,
                "--auth", "trust", "--no-ssl", "--monitor", monitor_url(),
                "--pgctl", str(PG_BIN / "pg_ctl"),
            ],
            timeout=300,
        )  # fmt: skip
        allow_local_tcp(data)
        run_as_postgres(
            [
                "pg_autoctl", "config", "set", "--pgdata", str(data),
                "timeout.network_partition_timeout", KEEPER_NETWORK_PARTITION_TIMEOUT,
            ]
        )  # fmt: skip
    Daemon(name).start(["pg_autoctl", "run", "--pgdata", str(data)], postgres_env(), True)


def wait_steady(seconds: float = 180) -> list[dict[str, Any]]:
    """Until one node is primary and the other a streaming secondary, goal = reported."""

    def steady() -> list[dict[str, Any]] | None:
        nodes = node_states()
        states = sorted(node["reported"] for node in nodes)
        converged = all(node["reported"] == node["goal"] for node in nodes)
        return nodes if states == ["primary", "secondary"] and converged else None

    return wait_for("primary + secondary", steady, seconds)


# -- pgbouncer and its follower -----------------------------------------------------------------


def pgbouncer_dir() -> Path:
    return ROOT / "pgbouncer"


def pgbouncer_ini(primary: int) -> str:
    directory = pgbouncer_dir()
    return f"""\
; written by scripts/cluster.py; [databases] is rewritten by the follower on failover
[databases]
{DBNAME} = host={HOST} port={primary} dbname={DBNAME}
; any other database of the primary under its own name (make bench TOPOLOGY=cluster makes one)
* = host={HOST} port={primary}

[pgbouncer]
listen_addr = {HOST}
listen_port = {PGBOUNCER_PORT}
unix_socket_dir =
auth_type = trust
auth_file = {directory}/userlist.txt
admin_users = postgres
pool_mode = transaction
max_client_conn = {PGBOUNCER_CLIENTS}
default_pool_size = {PGBOUNCER_SERVER_CONNECTIONS}
max_db_connections = {PGBOUNCER_SERVER_CONNECTIONS}
reserve_pool_size = 0
; asyncpg sends these at connect; the database carries the same values (ALTER DATABASE)
ignore_startup_parameters = extra_float_digits,lock_timeout,idle_in_transaction_session_timeout
; a failover must not look like a hang: fail a queued client after 5 s (the app answers 503),
; retry a refused server at once, not after the default 15 s
query_wait_timeout = 5
server_connect_timeout = 2
server_login_retry = 1
server_reset_query =
logfile = {directory}/pgbouncer.log
pidfile = {directory}/pgbouncer.pid
"""


def write_pgbouncer_ini(primary: int) -> bool:
    """True if the file changed."""
    ini = pgbouncer_dir() / "pgbouncer.ini"
    text = pgbouncer_ini(primary)
    if ini.exists() and ini.read_text() == text:
        return False
    temporary = ini.with_suffix(".tmp")
    temporary.write_text(text)
    temporary.replace(ini)  # pgbouncer never reads half a file
    return True


def pgbouncer_admin(command: str) -> list[tuple[Any, ...]]:
    """A command on pgbouncer's admin console (RELOAD, SHOW POOLS...)."""
    with psycopg.connect(
        f"postgresql://postgres@{HOST}:{PGBOUNCER_PORT}/pgbouncer",
        autocommit=True,
        connect_timeout=2,
        prepare_threshold=None,
    ) as admin:
        cursor = admin.execute(command)
        return cursor.fetchall() if cursor.description else []


def ensure_pgbouncer(primary: int) -> None:
    directory = as_postgres(pgbouncer_dir())
    (directory / "userlist.txt").write_text('"postgres" ""\n')
    changed = write_pgbouncer_ini(primary)
    started = Daemon("pgbouncer").start(
        ["/usr/sbin/pgbouncer", str(directory / "pgbouncer.ini")], postgres_env(), True
    )
    wait_for("pgbouncer", lambda: pgbouncer_admin("SHOW VERSION"), 30)
    if changed and not started:
        pgbouncer_admin("RELOAD")
        say(f"pgbouncer: configuration rewritten (primary :{primary}) and reloaded")


def follow(interval: float = 0.5) -> None:
    """The follower's loop: point pgbouncer at the monitor's current primary."""
    say(f"follower: watching the monitor on :{MONITOR_PORT} every {interval} s")
    stop = False

    def finish(_signum: int, _frame: Any) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, finish)
    while not stop:
        try:
            primary = primary_port()
            if primary is not None and write_pgbouncer_ini(primary):
                pgbouncer_admin("RELOAD")
                say(f"follower: primary is now :{primary}; pgbouncer reloaded")
        except Exception as error:  # the monitor or pgbouncer restarting: try again
            say(f"follower: {type(error).__name__}: {str(error)[:200]}")
        time.sleep(interval)


# -- Boxoffice ----------------------------------------------------------------------------------


def app_env() -> dict[str, str]:
    secret_file = ROOT / "jwt_secret"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(48))
        secret_file.chmod(0o600)
    env = {
        **os.environ,
        "DATABASE_URL": pgbouncer_url(),
        "DATABASE_POOLER": "pgbouncer",
        "DATABASE_LISTEN_URL": multi_host_url(),
        "DATABASE_READ_URL": multi_host_url(attrs="prefer-standby"),  # catalogue and reports
        "JWT_SECRET": secret_file.read_text().strip(),
        "REDIS_URL": os.environ.get("CLUSTER_REDIS_URL", "redis://127.0.0.1:6379/0"),
        "RATE_LIMIT_ENABLED": "true",
        # The storms of failover.py come from a few addresses and customers: limits that still
        # count (in Redis, across both processes) but do not shape the test.
        "RATE_LIMIT_AUTH": "600/minute",
        "RATE_LIMIT_GUEST_TOKENS": "5000/hour",
        "RATE_LIMIT_HOLDS": "6000/minute",
        "RAZORPAY_SANDBOX": "true",
        "HOLD_TTL_SECONDS": os.environ.get("CLUSTER_HOLD_TTL_SECONDS", "8"),
        "DB_POOL_SIZE": "8",
        "DB_MAX_OVERFLOW": "4",
        "LOG_LEVEL": "WARNING",
    }
    return env


def admin_password() -> str:
    path = ROOT / "admin_password"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(16))
        path.chmod(0o600)
    return path.read_text().strip()


def prepare_database() -> None:
    """Migrations and the admin, on the primary (straight, not through pgbouncer); the session
    settings asyncpg cannot pass through pgbouncer become the database's defaults."""
    env = {**app_env(), "DATABASE_URL": multi_host_url()}
    for argv in (
        [BOXOFFICE, "migrate"],
        [BOXOFFICE, "create-admin", "--email", ADMIN_EMAIL, f"--password={admin_password()}"],
    ):
        done = subprocess.run(  # noqa: S603
            argv, env=env, cwd=REPO, capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0 and "already" not in (done.stdout + done.stderr).lower():
            raise SystemExit(f"{argv[1]} failed:\n{done.stdout}\n{done.stderr[-2000:]}")
    with psycopg.connect(multi_host_url(), autocommit=True) as db:
        db.execute(f"ALTER DATABASE {DBNAME} SET lock_timeout = '10s'")
        db.execute(f"ALTER DATABASE {DBNAME} SET idle_in_transaction_session_timeout = '60s'")
    say("database migrated, admin ready")


def api_ready(url: str) -> bool:
    with urllib.request.urlopen(f"{url}/health", timeout=2) as response:  # noqa: S310
        return response.status == 200 and json.loads(response.read()).get("database") == "up"


def ensure_boxoffice() -> None:
    env = app_env()
    for index, url in enumerate(api_urls()):
        Daemon(f"api-{index + 1}").start(
            [BOXOFFICE, "serve", "--host", HOST, "--port", url.rsplit(":", 1)[1]],
            {
                **env,
                "PUBLIC_BASE_URL": url,
                "RAZORPAY_BASE_URL": f"{url}/_sandbox/razorpay",
                "RAZORPAY_SANDBOX_WEBHOOK_URL": f"{url}/api/v1/webhooks/razorpay",
            },
        )
    Daemon("worker").start(
        [BOXOFFICE, "worker", "--interval", "1"],
        {**env, "DATABASE_URL": multi_host_url(), "DATABASE_POOLER": "none"},
    )
    for url in api_urls():
        wait_for(f"{url}/health", lambda url=url: api_ready(url), 60)  # type: ignore[misc]


# -- commands -----------------------------------------------------------------------------------


def install_packages() -> None:
    missing = [
        name
        for name in PACKAGES
        if subprocess.run(  # noqa: S603
            ["dpkg-query", "-W", "-f=${Status}", name],  # noqa: S607
            capture_output=True,
            text=True,
        ).stdout
        != "install ok installed"
    ]
    if missing:
        say(f"installing {' '.join(missing)} (apt-get)")
        subprocess.run(["apt-get", "install", "-y", *missing], check=True, timeout=600)  # noqa: S603,S607


def up() -> None:
    if os.geteuid() != 0:
        raise SystemExit("cluster: run as root (it starts PostgreSQL as the postgres user)")
    install_packages()
    as_postgres(ROOT)
    for sub in ("pg", "xdg", "xdg/config", "xdg/data", "xdg/run"):
        as_postgres(ROOT / sub)
    (ROOT / "xdg" / "run").chmod(0o700)
    ensure_monitor()
    for name, port in NODES.items():
        ensure_node(name, port)
        if name == "node1":
            wait_for("a primary", primary_port, 120)
    nodes = wait_steady()
    primary = wait_for("a primary", primary_port, 30)
    ensure_pgbouncer(primary)
    Daemon("follower").start([PYTHON, str(Path(__file__).resolve()), "follow"], dict(os.environ))
    if not all(Daemon(name).pid() for name in BOXOFFICE_DAEMONS):
        prepare_database()  # before any Boxoffice process starts (they all run: done before)
    ensure_boxoffice()
    say("up: " + ", ".join(f"{n['name']} :{n['port']} {n['reported']}" for n in nodes))
    status()


def status() -> None:
    try:
        nodes = node_states()
    except psycopg.Error:
        nodes = []
        say("monitor: not answering")
    for node in nodes:
        print(
            f"  {node['name']:6} 127.0.0.1:{node['port']}  reported {node['reported']:14} "
            f"goal {node['goal']:14} health {node['health']}"
        )
    names = ["monitor", *NODES, "pgbouncer", "follower", "api-1", "api-2", "worker"]
    print("  processes: " + ", ".join(f"{n} {'up' if Daemon(n).pid() else 'DOWN'}" for n in names))
    print(f"  monitor    {monitor_url()}")
    print(f"  pgbouncer  {pgbouncer_url()} (transaction pooling)")
    print(f"  direct     {multi_host_url()}")
    print(f"  API        {' '.join(api_urls())}  (admin {ADMIN_EMAIL}, password in")
    print("             var/cluster/admin_password)")


def down() -> None:
    for name in (*BOXOFFICE_DAEMONS, "follower", "pgbouncer"):
        Daemon(name).stop()
    for name in [*reversed(NODES), "monitor"]:  # the keepers stop their PostgreSQL on SIGTERM
        Daemon(name).stop(seconds=40)
    # a PostgreSQL left behind by a keeper that was killed (failover.py does that)
    for name in [*NODES, "monitor"]:
        pid_file = pgdata(name) / "postmaster.pid"
        with contextlib.suppress(OSError, ValueError):
            pid = int(pid_file.read_text().split()[0])
            if Path(f"/proc/{pid}/cmdline").read_bytes().startswith(str(PG_BIN).encode()):
                os.kill(pid, signal.SIGQUIT)
                say(f"{name}: postgres {pid} stopped (immediate)")
    time.sleep(1)
    if ROOT.exists():
        shutil.rmtree(ROOT)
        say("var/cluster/ removed")
    say("down")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=("up", "down", "status", "follow"))
    command = parser.parse_args().command
    {"up": up, "down": down, "status": status, "follow": follow}[command]()
    return 0


if __name__ == "__main__":
    sys.exit(main())
