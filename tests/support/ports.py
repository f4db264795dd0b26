"""Loopback ports for programs that cannot bind port 0 and say which port they got
(PostgreSQL, pgbouncer): a port that was free a moment ago. Whoever uses one must check that
its own program bound it (its log says so) and try another when it did not. Programs that can
bind port 0 themselves do (tests/support/servers.py, tests/conftest.py)."""

from __future__ import annotations

import socket


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
