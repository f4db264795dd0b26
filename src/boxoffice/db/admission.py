"""How many sale-path requests a process lets at the database at once, and what the rest do.

A rush (a thousand buyers in the same second) must queue briefly and get its answers, not time
out on the connection pool: a pool timeout is never the admission policy. So the sale path
takes a slot here before a connection: at most `capacity` at once (the pool's steady size), the
others waiting their turn in order. Only when `max_waiting` requests already wait is the process
truly saturated (each newcomer would only make every wait longer): then a request is refused at
once with 429 and `Retry-After`, and counted in `boxoffice_requests_shed_total`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from boxoffice.errors import RateLimited
from boxoffice.metrics import SHED

RETRY_AFTER_SECONDS = 1


class Overloaded(RateLimited):
    type_slug = "overloaded"
    title = "The server is busy"


class Admission:
    def __init__(self, capacity: int, max_waiting: int) -> None:
        self._slots = asyncio.Semaphore(capacity)
        self._max_waiting = max_waiting
        self._waiting = 0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self._slots.locked() and self._waiting >= self._max_waiting:
            SHED.inc()
            raise Overloaded(
                RETRY_AFTER_SECONDS, "Too many requests are waiting for a seat; retry in a second."
            )
        self._waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self._waiting -= 1
        try:
            yield
        finally:
            self._slots.release()
