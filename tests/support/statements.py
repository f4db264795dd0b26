"""What the live server's pooled asyncpg connections send to PostgreSQL, for tests that pin the
sale path's statements: everything, BEGIN and COMMIT included, recorded by asyncpg's query
logger while a connection is checked out."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

# asyncpg's own, once per connection and type: which pooled connection a request gets must not
# change what a test counts.
_INTROSPECTION = re.compile(r"typeinfo_tree|set_config\('jit'|current_setting\('jit'\)")

Query = tuple[str, Any]  # the query, whitespace collapsed; its arguments as the driver had them


@contextmanager
def driver_queries(engine: AsyncEngine) -> Iterator[list[Query]]:
    seen: list[Query] = []
    lock = threading.Lock()

    def logged(record: Any) -> None:
        query = " ".join(record.query.split())
        if not _INTROSPECTION.search(query):
            with lock:
                seen.append((query, record.args))

    def checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
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
