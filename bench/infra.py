"""The deployment under test: a fresh PostgreSQL database and `boxoffice serve` processes."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

REPO_ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BOXOFFICE = str(BIN / "boxoffice")
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def plain_url(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1).replace(
        "postgresql+asyncpg://", "postgresql://", 1
    )


def _admin_connection(server_url: str) -> psycopg.Connection[Any]:
    import psycopg

    return psycopg.connect(plain_url(server_url), autocommit=True)


@contextmanager
def fresh_database(server_url: str = DEFAULT_SERVER) -> Iterator[str]:
    """Creates `boxoffice_bench_<random>` on that server; drops it on the way out, however."""
    server_url = plain_url(server_url)
    base, _, query = _split(server_url)
    name = f"boxoffice_bench_{secrets.token_hex(5)}"
    with _admin_connection(server_url) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}{query}"
    finally:
        with _admin_connection(server_url) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_name(url: str) -> str:
    return _split(plain_url(url))[1]


def _split(url: str) -> tuple[str, str, str]:
    """Everything before the database name, the name, and the query with its "?" (which may
    name a Unix socket directory: `postgresql://postgres@/postgres?host=/var/run/postgresql`)."""
    path, mark, query = url.partition("?")
    base, _, name = path.rpartition("/")
    return base, name, mark + query


def base_env(database_url: str, jwt_secret: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "JWT_SECRET": jwt_secret,
        "RATE_LIMIT_ENABLED": "false",
        "RAZORPAY_SANDBOX": "true",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    env.update(extra)
    return env


def run_cli(args: list[str], env: dict[str, str], timeout: float = 120) -> str:
    done = subprocess.run(
        [BOXOFFICE, *args], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"boxoffice {args[0]} failed ({done.returncode}):\n{done.stderr[-3000:]}"
        )
    return done.stdout


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 40) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server for {url} exited with {process.returncode}")
        with suppress(OSError, ValueError):
            with urllib.request.urlopen(f"{url}/health", timeout=1) as response:  # noqa: S310
                if response.status == 200 and json.loads(response.read())["database"] == "up":
                    return
        time.sleep(0.1)
    raise RuntimeError(f"server for {url} did not come up in {seconds} s")


@dataclass
class Fleet:
    """N API processes: `serve --workers N` on one port, or N single-worker processes."""

    mode: str  # "workers" | "processes"
    count: int
    env: dict[str, str]
    log_dir: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    sandbox_url: str | None = None  # a standalone `boxoffice sandbox`; else each server's own

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        copies = 1 if self.mode == "workers" else self.count
        for index in range(copies):
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            env = {
                **self.env,
                "PUBLIC_BASE_URL": url,
                "RAZORPAY_BASE_URL": self.sandbox_url or f"{url}/_sandbox/razorpay",
                "RAZORPAY_SANDBOX_WEBHOOK_URL": f"{url}/api/v1/webhooks/razorpay",
            }
            command = [BOXOFFICE, "serve", "--port", str(port)]
            if self.mode == "workers":
                command += ["--workers", str(self.count)]
            log = (self.log_dir / f"server-{index}.log").open("wb")
            self.processes.append(
                subprocess.Popen(
                    command,
                    env=env,
                    cwd=REPO_ROOT,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
            self.urls.append(url)
        for url, process in zip(self.urls, self.processes, strict=True):
            wait_until_up(url, process)
        if self.mode == "workers":
            time.sleep(1.0)  # /health answered by one worker; give the others a moment

    def pids(self) -> list[int]:
        return [process.pid for process in self.processes]

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=25)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)  # its own session: only its workers
                process.wait(timeout=5)

    def log_problems(self) -> list[str]:
        """Tracebacks, deadlocks and refused connections: what makes the bench fail."""
        found = []
        for log in sorted(self.log_dir.glob("server-*.log")):
            text = log.read_text(errors="replace").lower()
            for marker in ("traceback", "deadlock", "too many clients"):
                if marker in text:
                    found.append(f"{log.name}: {text.count(marker)} x {marker!r}")
        return found

    def log_errors(self) -> dict[str, int]:
        """Error-level log events by name (e.g. database_pool_timeout under overload)."""
        counts: dict[str, int] = {}
        for log in sorted(self.log_dir.glob("server-*.log")):
            for line in log.read_text(errors="replace").splitlines():
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict) and record.get("level") in ("error", "critical"):
                    name = str(record.get("event"))[:80]
                    counts[name] = counts.get(name, 0) + 1
        return counts


@contextmanager
def fleet(
    mode: str, count: int, env: dict[str, str], log_dir: Path, sandbox_url: str | None = None
) -> Iterator[Fleet]:
    servers = Fleet(mode, count, env, log_dir, sandbox_url=sandbox_url)
    try:
        servers.start()
        yield servers
    finally:
        servers.stop()


@contextmanager
def sandbox_process(
    env: dict[str, str], port: int, webhook_url: str, log_dir: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """`boxoffice sandbox` in a process of its own (as the payment provider is, in production),
    on `port`, sending its webhooks to `webhook_url`; stopped on the way out."""
    log = (log_dir / "sandbox.log").open("wb")
    process = subprocess.Popen(
        [BOXOFFICE, "sandbox", "--port", str(port)],
        env={**env, "RAZORPAY_SANDBOX_WEBHOOK_URL": webhook_url},
        cwd=REPO_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _await_health(process, f"http://127.0.0.1:{port}", 40, f"the sandbox (log: {log.name})")
        yield process
    finally:
        _terminate(process, 15)


def _await_health(process: subprocess.Popen[bytes], url: str, seconds: float, what: str) -> None:
    """Until `url`/health answers; fails if the process ends or `seconds` pass first."""
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start")
        with suppress(OSError):
            with urllib.request.urlopen(f"{url}/health", timeout=1):  # noqa: S310
                return
        time.sleep(0.1)


def _terminate(process: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM, then SIGKILL to its session (its own: only its workers) after `grace` s."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@contextmanager
def trivial_server(workers: int, log_dir: Path) -> Iterator[str]:
    """A bare ASGI app (bench/trivial_app.py) under uvicorn: the load generator's ceiling."""
    port = free_port()
    log = (log_dir / "trivial.log").open("wb")
    process = subprocess.Popen(
        [
            str(BIN / "uvicorn"),
            "bench.trivial_app:app",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=REPO_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _await_health(process, url, 20, "the trivial server")
        time.sleep(0.5 if workers > 1 else 0)
        yield url
    finally:
        _terminate(process, 10)
