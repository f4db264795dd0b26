"""Group commit of the joins before an opening (the lane's, PostgreSQL): the joins that reach
one process while a batch of them is being written go together in the next, one statement for
all (`repository.join_before_opening`), and each request awaits its own row's answer.

A crowd's thousands of joins a second each cost a pool checkout, a round trip, a statement and
a commit when written alone, and the pool's few connections are fought over (SQLAlchemy closes
a connection returned to a full pool, so under that fight every connection is soon a new one:
a fork in PostgreSQL, a TLS attempt and a handshake here). Batched, one of each serves many.

- A batch goes as soon as the one before it of its door returns: an idle server writes a lone
  join at once (no timer), a busy one writes whatever arrived meanwhile, up to `MAX_BATCH`.
- A join is answered once its row is committed: the statement is its own transaction.
- A batch that fails fails its joins as each would have failed alone. An error of the rows
  (`DRIVER_ROW_ERRORS`: a constraint, bad data) may be one join's own: each is written again
  alone, so only that one gets its error (409) and the others their places. Anything else (the
  connection lost, the pool or a lock timed out, the database refusing) is everyone's, and
  would be again one by one: each gets the error (503), at once.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.db.engine import DRIVER_ROW_ERRORS, autocommit_connection
from boxoffice.queue import repository
from boxoffice.queue.service import ONSALES, SHOWS, Door

MAX_BATCH = 256  # joins in one statement: a bounded statement, a bounded wait behind it

Early = tuple[uuid.UUID, datetime] | None  # the on-sale and its opening; None: not so joined


@dataclass(frozen=True, slots=True)
class _Join:
    door_id: uuid.UUID
    visitor_id: uuid.UUID
    now: datetime
    answer: asyncio.Future[Early]


class JoinBatches:
    """One process's joins before the opening, written in batches, a batch at a time by door
    kind (the statement differs by door)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._waiting: dict[str, list[_Join]] = {SHOWS: [], ONSALES: []}
        self._writing: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()  # kept: the loop holds tasks weakly

    async def join(self, door: Door, visitor_id: uuid.UUID, now: datetime) -> Early:
        """`repository.join_before_opening` for this one visitor, in the next batch."""
        answer: asyncio.Future[Early] = asyncio.get_running_loop().create_future()
        self._waiting[door.kind].append(_Join(door.id, visitor_id, now, answer))
        if door.kind not in self._writing:
            self._next(door.kind)
        return await answer

    def _next(self, kind: str) -> None:
        if not self._waiting[kind]:
            self._writing.discard(kind)
            return
        self._writing.add(kind)
        # A task of its own: a request that goes away must not take its batch with it.
        task = asyncio.create_task(self._write(kind))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _write(self, kind: str) -> None:
        # The batch is taken as the task starts: with the joins that came in the same turn of
        # the loop as the one that started it, at no wait.
        waiting = self._waiting[kind]
        batch, self._waiting[kind] = waiting[:MAX_BATCH], waiting[MAX_BATCH:]
        try:
            await self._answer(kind, batch)
        except BaseException:  # cancelled (the loop is closing): nobody waits for nothing
            dropped, self._waiting[kind] = [*batch, *self._waiting[kind]], []
            for join in dropped:
                join.answer.cancel()  # nothing for those answered already
            raise
        finally:
            self._next(kind)  # the next batch; none after a cancel (the door is idle then)

    async def _answer(self, kind: str, batch: list[_Join]) -> None:
        try:
            async with autocommit_connection(self._engine) as connection:
                joined = await repository.join_before_opening(
                    connection, kind, [(j.door_id, j.visitor_id, j.now) for j in batch]
                )
        except Exception as error:
            if len(batch) > 1 and isinstance(error, DRIVER_ROW_ERRORS):
                for join in batch:  # one after another: a rare path, gentle on the pool
                    await self._answer(kind, [join])
                return
            for join in batch:
                _settle(join.answer, error=error)
            return
        for join in batch:
            _settle(join.answer, joined.get(join.visitor_id))


def _settle(answer: asyncio.Future[Early], result: Early = None, error: Any = None) -> None:
    if answer.done():  # its request was cancelled
        return
    if error is not None:
        answer.set_exception(error)
    else:
        answer.set_result(result)
