"""The unit of work: a session that commits when its block ends, and the work it runs after.

Services and repositories never commit. A request's unit of work is `dependencies.SessionDep`,
built on `unit_of_work`; work done in batches that commit as they go is run by its owner (the
worker, a route) through `in_batches`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.db.engine import needs_new_connection

AfterCommitHook = Callable[[Any], Awaitable[None]]  # receives app.state
_AFTER_COMMIT = "after_commit"


def after_commit(session: AsyncSession, hook: AfterCommitHook) -> None:
    """Runs `hook` once this unit of work has committed (never if it rolls back).

    For work that must not happen inside the transaction, such as calling the payment provider
    about something the transaction decided. It runs as a task of its own, beside the response;
    whatever it leaves undone is finished by `boxoffice worker`.
    """
    session.info.setdefault(_AFTER_COMMIT, []).append(hook)


@asynccontextmanager
async def unit_of_work(state: Any) -> AsyncIterator[AsyncSession]:
    """A session that commits when the block ends and rolls back when it raises.

    For routes that open their unit of work themselves (the sale path opens one only when it
    needs one); every other route takes `SessionDep`, built on this.
    """
    async with state.sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException as error:
            if needs_new_connection(error):
                await session.invalidate()  # its server is gone or read-only: never reuse it
            else:
                await session.rollback()
            raise
        for hook in session.info.pop(_AFTER_COMMIT, []):
            task = asyncio.create_task(hook(state))
            # The loop keeps only weak references to tasks: hold them until they are done.
            _running.add(task)
            task.add_done_callback(_running.discard)


_running: set[asyncio.Task[None]] = set()


def after_commit_hooks_running() -> int:
    """How many after-commit hooks of this process are still at work (a test waits for none)."""
    return len(_running)


async def end_unit_of_work_early(session: AsyncSession) -> None:
    """Commits the request's unit of work now, for a route whose remaining work must run with no
    transaction of the request's open: a call to the payment provider (resolving the caller may
    have read a guest's row, and on SQLite any open transaction holds the database's write
    lock), or work done in batches that commit as they go. Those steps use short transactions
    of their own; the final commit has nothing left to do."""
    if session.in_transaction():
        await session.commit()


async def run_after_commit(session: AsyncSession, state: Any) -> None:
    """Runs, now, the after-commit hooks of a session its owner just committed (for work done
    outside a request's unit of work: batches, the worker). `state` is what hooks receive:
    app.state, or anything with the same `sessionmaker`, `provider`, `clock`, `settings`."""
    for hook in session.info.pop(_AFTER_COMMIT, []):
        await hook(state)


async def in_batches(state: Any, batch: Callable[[AsyncSession], Awaitable[int]], size: int) -> int:
    """Runs `batch` again and again, each run in a unit of work of its own, committed and its
    after-commit work done (awaited) before the next, until a run does fewer than `size`: work
    of any size in short transactions, a crash losing only the batch in flight. Returns how
    many in all. For the owner of that work (the worker, a route), never a service. `state` as
    for `run_after_commit`."""
    total = 0
    while True:
        async with state.sessionmaker() as session:
            async with session.begin():
                done = await batch(session)
            await run_after_commit(session, state)
        total += done
        if done < size:
            return total
