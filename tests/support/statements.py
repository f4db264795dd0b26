"""What the live server's pooled asyncpg connections send to PostgreSQL, for tests that pin the
sale path's statements: everything, BEGIN and COMMIT included, recorded by asyncpg's query
logger while a connection is checked out.

Recorded per request: only connections checked out for the requests that carry the test's
`X-Request-ID` (the app binds it to the request's context, which the work a request starts
inherits), never another request's, however its work overlaps the test's in time: a webhook
the sandbox is still delivering, a refund issued after an earlier commit. Or, with no request
named, everything in a window that the test makes quiet at both ends (LiveServer.
wait_until_quiet): for a test that wants the webhooks its own requests caused, too."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

# asyncpg's own, once per connection and type: which pooled connection a request gets must not
# change what a test counts.
_INTROSPECTION = re.compile(r"typeinfo_tree|set_config\('jit'|current_setting\('jit'\)")

_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.I)

Query = tuple[str, Any]  # the query, whitespace collapsed; its arguments as the driver had them


def request_id() -> str:
    """A fresh id for a test's requests (send it as `X-Request-ID`)."""
    return f"test-{uuid.uuid4().hex}"


def of_request(request: str | None) -> bool:
    """Whether the code running now serves the request with that id (None: any)."""
    return request is None or structlog.contextvars.get_contextvars().get("request_id") == request


@contextmanager
def driver_queries(engine: AsyncEngine, request: str | None) -> Iterator[list[Query]]:
    """What the requests with `X-Request-ID: request` send while the block runs (None: what
    every connection sends)."""
    seen: list[Query] = []
    lock = threading.Lock()

    def logged(record: Any) -> None:
        query = " ".join(record.query.split())
        if not _INTROSPECTION.search(query):
            with lock:
                seen.append((query, record.args))

    def checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if of_request(request):
            dbapi_connection.driver_connection.add_query_logger(logged)

    def checkin(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.driver_connection.remove_query_logger(logged)

    pool = engine.sync_engine.pool
    event.listen(pool, "checkout", checkout)
    event.listen(pool, "checkin", checkin)
    try:
        yield seen
    finally:
        event.remove(pool, "checkout", checkout)
        event.remove(pool, "checkin", checkin)


@contextmanager
def orm_statements(request: str, driver: str | None = None) -> Iterator[list[str]]:
    """The statements SQLAlchemy sends for the requests with `X-Request-ID: request` while the
    block runs (through any engine of this process, or only `driver`'s), transaction control
    left out, whitespace collapsed."""
    seen: list[str] = []
    lock = threading.Lock()

    def record(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if driver is not None and conn.dialect.driver != driver:
            return
        if _CONTROL.match(statement) or not of_request(request):
            return
        with lock:
            seen.append(" ".join(statement.split()))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)
