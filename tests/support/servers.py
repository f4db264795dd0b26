"""Real `boxoffice` processes on the test database (servers, workers), for tests that need
several hosts' worth of API processes hitting one database at once.

Each server binds a free port itself (`serve --port 0`) and prints its address, so no port is
ever chosen here and released for the server to take later (the other engine's run goes on at
the same time); its `/health` must name the per-launch id given to it (INSTANCE_ID), so a test
never talks to someone else's server. Every process writes into a log file of its own (no pipe
left unread), and is stopped, killed if it will not stop, and reaped when its block ends.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
from tests.api import CHEAP_PASSWORD_HASHING

REPO_ROOT = Path(__file__).resolve().parents[2]
BOXOFFICE = str(Path(sys.executable).parent / "boxoffice")
_SERVING = re.compile(r"^boxoffice serving on (http://\S+)$", re.M)
# Generous: with both engines' suites running side by side on a busy machine, a process can take
# tens of seconds to import the app.
UP_WITHIN = 90.0


def server_env(database_url: str, jwt_secret: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "JWT_SECRET": jwt_secret,
        "RATE_LIMIT_ENABLED": "false",
        "RAZORPAY_SANDBOX": "true",
        # Few kept idle: the whole suite's servers share PostgreSQL's 100 connections (a make
        # test run was seen at all 100), and a pool keeps its size open once filled.
        "DB_POOL_SIZE": "4",
        "DB_MAX_OVERFLOW": "8",
        "LOG_LEVEL": "WARNING",
        **{name.upper(): str(value) for name, value in CHEAP_PASSWORD_HASHING.items()},
    }
    env.update(extra)
    return env


def bare_env(database_url: str, jwt_secret: str, **extra: str) -> dict[str, str]:
    """The environment of an operator who set only what is named (no Razorpay or limits)."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    return {**keep, "DATABASE_URL": database_url, "JWT_SECRET": jwt_secret, **extra}


def run_boxoffice(
    env: dict[str, str], *args: str, seconds: float = 60
) -> subprocess.CompletedProcess[str]:
    """`boxoffice <args>` run to its end from the repository, its exit status and output kept
    for the test to check."""
    return subprocess.run(
        [BOXOFFICE, *args],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=seconds,
        check=False,
    )


def stop(process: subprocess.Popen[bytes], grace: float = 20) -> None:
    """SIGTERM, then SIGKILL if it is still there after `grace` seconds; reaped either way."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def running(argv: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A process writing everything it prints into `log`, stopped and reaped after the block."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            argv,
            env=env,
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            stop(process)


class Server:
    """One `boxoffice serve --port 0` process, its log, and the id its /health must name."""

    def __init__(self, process: subprocess.Popen[bytes], log: Path, instance: str) -> None:
        self.process, self.log, self.instance = process, log, instance
        self._url: str | None = None

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def until(self, marker: str, seconds: float = 30) -> str:
        """What it printed until a line with `marker` (or its end, or `seconds`)."""
        deadline = time.monotonic() + seconds
        while True:
            text = self.output()
            if (at := text.find(marker)) >= 0:
                end = text.find("\n", at)
                return text if end < 0 else text[: end + 1]
            if self.process.poll() is not None or time.monotonic() > deadline:
                return self.output()
            time.sleep(0.05)

    @property
    def url(self) -> str:
        """Its address, as it printed it once it had bound its port."""
        if self._url is None:
            found = _SERVING.search(self.until("boxoffice serving on", UP_WITHIN))
            if found is None:
                raise RuntimeError(f"the server printed no address: {self.output()[-2000:]}")
            self._url = found.group(1)
        return self._url

    def wait_until_up(self, seconds: float = UP_WITHIN) -> str:
        """Its address once its /health answers 200 naming its own id. Its port is bound before
        it prints it, so one request waits there (no request given up on and answered later,
        counted by a test that measures); fails if it exits."""
        url = self.url
        with ThreadPoolExecutor(1) as pool:
            asked = pool.submit(httpx.get, f"{url}/health", timeout=seconds)
            while not asked.done():
                if self.process.poll() is not None:
                    raise RuntimeError(f"exited with {self.process.returncode}: {self.tail()}")
                time.sleep(0.05)
            try:
                health = asked.result()
            except httpx.HTTPError as error:
                raise RuntimeError(f"server at {url} did not come up: {self.tail()}") from error
        assert health.status_code == 200, (url, health.text)
        assert health.json().get("instance") == self.instance, (url, health.text)
        return url

    def tail(self) -> str:
        return self.output()[-2000:]


@contextmanager
def launched(env: dict[str, str], log: Path, *args: str) -> Iterator[Server]:
    """`boxoffice serve --port 0 [args]` with `env` (and an INSTANCE_ID of its own)."""
    instance = uuid.uuid4().hex
    argv = [BOXOFFICE, "serve", "--port", "0", *args]
    with running(argv, {**env, "INSTANCE_ID": instance}, log) as process:
        yield Server(process, log, instance)


@contextmanager
def serve(
    count: int,
    database_url: str,
    jwt_secret: str,
    log_dir: Path,
    up_within: float = UP_WITHIN,
    **extra: str,
) -> Iterator[list[str]]:
    """Starts `count` server processes at once, waits until each answers /health as itself,
    yields their addresses, and stops them after. Each logs into `log_dir`/server-N.log."""
    with ExitStack() as stack:
        servers = [
            stack.enter_context(
                launched(
                    server_env(database_url, jwt_secret, **extra),
                    log_dir / f"server-{index}.log",
                )
            )
            for index in range(count)
        ]
        yield [server.wait_until_up(up_within) for server in servers]


class Servers:
    """API processes serving the test database, shared by every test that needs them as they
    are (tests/conftest.py `two_servers`): `output()` is what they logged since the current test
    began."""

    def __init__(self, urls: list[str], logs: list[Path]) -> None:
        self.urls, self._logs = urls, logs
        self._since = [0] * len(logs)

    def test_begins(self) -> None:
        self._since = [log.stat().st_size for log in self._logs]

    def output(self) -> str:
        text = []
        for log, since in zip(self._logs, self._since, strict=True):
            with log.open("rb") as file:
                file.seek(since)
                text.append(file.read().decode(errors="replace"))
        return "".join(text)


def serve_refusing(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`boxoffice serve` with exactly this environment, when it must refuse before listening."""
    return subprocess.run(
        [BOXOFFICE, "serve", "--port", "0"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
