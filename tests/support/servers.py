"""Real `boxoffice serve` processes on the test database, for tests that need several hosts' worth
of API processes hitting one database at once."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from tests.api import CHEAP_PASSWORD_HASHING

REPO_ROOT = Path(__file__).resolve().parents[2]
BOXOFFICE = str(Path(sys.executable).parent / "boxoffice")


def server_env(database_url: str, jwt_secret: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "JWT_SECRET": jwt_secret,
        "RATE_LIMIT_ENABLED": "false",
        "RAZORPAY_SANDBOX": "true",
        "DB_POOL_SIZE": "8",
        "DB_MAX_OVERFLOW": "4",
        "LOG_LEVEL": "WARNING",
        **{name.upper(): str(value) for name, value in CHEAP_PASSWORD_HASHING.items()},
    }
    env.update(extra)
    return env


@contextmanager
def serve(
    count: int,
    database_url: str,
    jwt_secret: str,
    ports: list[int],
    log_dir: Path,
    up_within: float = 30,
    **extra: str,
) -> Iterator[list[str]]:
    """Starts `count` server processes, waits (up to `up_within` seconds each) until each
    answers /health, stops them after."""
    processes = []
    urls = [f"http://127.0.0.1:{port}" for port in ports[:count]]
    try:
        for index, url in enumerate(urls):
            env = server_env(
                database_url,
                jwt_secret,
                PUBLIC_BASE_URL=url,
                RAZORPAY_BASE_URL=f"{url}/_sandbox/razorpay",
                **extra,
            )
            log = (log_dir / f"server-{index}.log").open("wb")
            processes.append(
                subprocess.Popen(
                    [BOXOFFICE, "serve", "--port", str(ports[index])],
                    env=env,
                    cwd=REPO_ROOT,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        for url, process in zip(urls, processes, strict=True):
            wait_until_up(url, process, up_within)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


# Generous: with both engines' suites running side by side on a busy machine, a process can take
# tens of seconds to import the app.
def wait_until_up(
    url: str, process: subprocess.Popen[bytes] | None = None, seconds: float = 90
) -> None:
    """Until `/health` answers 200; fails at once if `process` (when given) exits."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server for {url} exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server for {url} did not come up")


def bare_env(database_url: str, jwt_secret: str, **extra: str) -> dict[str, str]:
    """The environment of an operator who set only what is named (no Razorpay or limits)."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    return {**keep, "DATABASE_URL": database_url, "JWT_SECRET": jwt_secret, **extra}


@contextmanager
def serve_output(env: dict[str, str], port: int, *args: str) -> Iterator[Callable[[str], str]]:
    """`boxoffice serve` as an operator runs it; `until(marker)` returns what it printed until a
    line with `marker` (or its end, or 30 s). Stopped after the block."""
    process = subprocess.Popen(
        [BOXOFFICE, "serve", "--port", str(port), *args],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )

    def until(marker: str) -> str:
        seen: list[str] = []
        deadline = time.monotonic() + 30
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            seen.append(line)
            if marker in line:
                break
        return "".join(seen)

    try:
        yield until
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def serve_refusing(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`boxoffice serve` with exactly this environment, when it must refuse before listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return subprocess.run(
        [BOXOFFICE, "serve", "--port", str(port)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
