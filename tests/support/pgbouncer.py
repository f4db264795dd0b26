"""A throwaway pgbouncer (Debian's 1.18) in transaction mode in front of a PostgreSQL server, on
a free loopback port: few server connections for many clients, so that consecutive
transactions of one client land on different server connections, as in production."""

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

import psycopg
from tests.support.private_postgres import as_postgres


@contextmanager
def pgbouncer(server_url: str, port: int, server_connections: int = 3) -> Iterator[str]:
    """Serves `server_url`'s databases (trust auth, the same user) on `port`; yields the URL of
    `server_url`'s database through it."""
    server = urlsplit(server_url)
    user = server.username or "postgres"
    directory = Path(tempfile.mkdtemp(prefix="boxoffice-pgbouncer-"))
    (directory / "users.txt").write_text(f'"{user}" ""\n')
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
logfile = {directory / "pgbouncer.log"}
pidfile = {directory / "pgbouncer.pid"}
"""
    )
    if os.geteuid() == 0:  # pgbouncer refuses to run as root
        shutil.chown(directory, "postgres")
    process = subprocess.Popen(
        as_postgres(["pgbouncer", str(directory / "pgbouncer.ini")]),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    url = server._replace(netloc=f"{user}@127.0.0.1:{port}").geturl()
    try:
        _wait_until_up(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(directory, ignore_errors=True)


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"pgbouncer exited with {process.returncode}")
        try:
            with psycopg.connect(url, connect_timeout=2) as connection:
                connection.execute("SELECT 1")
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
