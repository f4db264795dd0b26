"""A throwaway PostgreSQL server of our own (initdb in a temporary directory, a free loopback
port), for tests that stop the database under a running app without touching the shared one."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.ports import free_port


def _bin(tool: str) -> str:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name)
    for directory in reversed(versions):
        if (directory / tool).exists():
            return str(directory / tool)
    found = shutil.which(tool)
    if found is None:
        raise RuntimeError(f"{tool} not found: is PostgreSQL installed?")
    return found


def as_postgres(argv: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root.
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@dataclass
class PrivatePostgres:
    data: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            as_postgres([_bin("pg_ctl"), "-D", str(self.data), *args]),
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._ctl("-o", options, "-l", str(self.data / "server.log"), "-w", "start")

    def stop(self) -> None:
        self._ctl("-m", "immediate", "-w", "stop")

    def running(self) -> bool:
        status = subprocess.run(
            as_postgres([_bin("pg_ctl"), "-D", str(self.data), "status"]),
            capture_output=True,
            timeout=60,
        )
        return status.returncode == 0


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    # Not under pytest's tmp_path: as root that is private to root, and the server runs as
    # `postgres`.
    data = Path(tempfile.mkdtemp(prefix="boxoffice-pg-"))
    try:
        if os.geteuid() == 0:
            shutil.chown(data, "postgres")
        subprocess.run(
            as_postgres([_bin("initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]),
            check=True,
            capture_output=True,
            timeout=120,
        )
        server = _started(data)
        try:
            yield server
        finally:
            try:
                server.stop()
            except subprocess.CalledProcessError:
                pass  # already stopped
    finally:
        shutil.rmtree(data, ignore_errors=True)


def _started(data: Path) -> PrivatePostgres:
    """Started on a port that was free a moment ago; on another when something took that one
    meanwhile (PostgreSQL cannot bind port 0 and say which port it got)."""
    log = data / "server.log"
    for attempt in range(1, 6):
        server = PrivatePostgres(data, free_port())
        log.unlink(missing_ok=True)
        try:
            server.start()
            return server
        except subprocess.CalledProcessError:
            taken = log.exists() and "Address already in use" in log.read_text(errors="replace")
            if not taken or attempt == 5:
                raise
    raise AssertionError("unreachable")
