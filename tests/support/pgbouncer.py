"""A throwaway pgbouncer (Debian's 1.18) in transaction mode in front of a PostgreSQL server, on
a free loopback port: few server connections for many clients, so that consecutive
transactions of one client land on different server connections, as in production. Tests that
use it carry the marker `pgbouncer` (tests/support/programs.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from tests.support.ports import free_port
from tests.support.private_postgres import as_postgres

# Debian installs it in /usr/sbin, which is not on every user's PATH.
_SEARCHED = f"{os.environ.get('PATH', '')}{os.pathsep}/usr/sbin"


def pgbouncer_program() -> str | None:
    return shutil.which("pgbouncer", path=_SEARCHED)


@contextmanager
def pgbouncer(server_url: str, server_connections: int = 3) -> Iterator[str]:
    """Serves `server_url`'s databases (trust auth, the same user) on a free port; yields the
    URL of `server_url`'s database through it."""
    program = pgbouncer_program()
    assert program is not None, "no pgbouncer: the `pgbouncer` marker deselects such tests"
    server = urlsplit(server_url)
    user = server.username or "postgres"
    directory = Path(tempfile.mkdtemp(prefix="boxoffice-pgbouncer-"))
    (directory / "users.txt").write_text(f'"{user}" ""\n')
    if os.geteuid() == 0:  # pgbouncer refuses to run as root
        shutil.chown(directory, "postgres")
    log = directory / "pgbouncer.log"
    try:
        # pgbouncer cannot bind port 0 and say which it got: a port that was free a moment
        # ago, and another when something took it meanwhile. Its own log (a file only it
        # writes) says whether it is listening there, or gave up.
        for _attempt in range(5):
            port = free_port()
            log.unlink(missing_ok=True)
            (directory / "pgbouncer.ini").write_text(
                f"""[databases]
* = host={server.hostname} port={server.port or 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {directory / "users.txt"}
pool_mode = transaction
default_pool_size = {server_connections}
max_client_conn = 1000
logfile = {log}
pidfile = {directory / "pgbouncer.pid"}
"""
            )
            process = subprocess.Popen(
                as_postgres([program, str(directory / "pgbouncer.ini")]),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
            )
            if _listening(log, port, process):
                break
            _stop(process)
        else:
            raise RuntimeError(f"pgbouncer did not start: {_text(log)[-2000:]}")
        try:
            yield server._replace(netloc=f"{user}@127.0.0.1:{port}").geturl()
        finally:
            _stop(process)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _text(log: Path) -> str:
    return log.read_text(errors="replace") if log.exists() else ""


def _listening(log: Path, port: int, process: subprocess.Popen[bytes]) -> bool:
    """True once pgbouncer logged that it listens on `port`; False if it gave up or exited."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        text = _text(log)
        if f"listening on 127.0.0.1:{port}" in text:
            return True
        if "nowhere to listen" in text or process.poll() is not None:
            return False
        time.sleep(0.05)
    return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
