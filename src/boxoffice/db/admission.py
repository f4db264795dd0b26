"""How many sale-path requests a process lets at the database at once, and what the rest do.

A rush (a thousand buyers in the same second) must queue briefly and get its answers, not time
out on the connection pool: a pool timeout is never the admission policy. So the sale path
takes a slot here before a connection: at most `capacity` at once (the pool's steady size), the
others waiting their turn in order. Only when `max_waiting` requests already wait is the process
truly saturated (each newcomer would only make every wait longer): then a request is refused at
once with 429 and `Retry-After`, and counted in `boxoffice_requests_shed_total`.

The gate is shared fairly: a request names its customer and its client address, and one that
already has its share in flight (waiting or running) is refused at once with 429 too, before
it takes a place in the queue. So a burst from one client fills its own share, never the gate.
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


class OverShare(RateLimited):
    """This client already has its share of the sale path's requests in flight."""

    type_slug = "too-many-in-flight"
    title = "Too many of your requests are in progress"


class Admission:
    def __init__(
        self, capacity: int, max_waiting: int, per_customer: int = 0, per_address: int = 0
    ) -> None:
        """`per_customer`, `per_address`: each one's share of requests in flight (0: no cap)."""
        self._slots = asyncio.Semaphore(capacity)
        self._max_waiting = max_waiting
        self._waiting = 0
        self._shares = {"customer": per_customer, "address": per_address}
        self._in_flight: dict[tuple[str, str], int] = {}

    @asynccontextmanager
    async def slot(self, customer: str = "", address: str = "") -> AsyncIterator[None]:
        clients = [
            (kind, who)
            for kind, who in (("customer", customer), ("address", address))
            if who and self._shares[kind]
        ]
        for kind, who in clients:
            if self._in_flight.get((kind, who), 0) >= self._shares[kind]:
                SHED.inc()
                raise OverShare(
                    RETRY_AFTER_SECONDS,
                    f"At most {self._shares[kind]} requests per {kind} are handled at once; "
                    "retry in a second.",
                    max_in_flight=self._shares[kind],
                )
        for client in clients:
            self._in_flight[client] = self._in_flight.get(client, 0) + 1
        try:
            async with self._gate():
                yield
        finally:
            for client in clients:
                left = self._in_flight[client] - 1
                if left:
                    self._in_flight[client] = left
                else:
                    del self._in_flight[client]

    @asynccontextmanager
    async def _gate(self) -> AsyncIterator[None]:
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
