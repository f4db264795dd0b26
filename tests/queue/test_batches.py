"""The joins before an opening written in batches (`queue.batches`, the lane's, PostgreSQL):
joins that arrive together go in one statement, each answered with its own place; a batch that
fails fails only the joins whose own rows failed, unless the connection itself is lost. (Many
joins through the batches of two processes at once: `test_queue`'s crowd.)"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import asyncpg
import httpx
import pytest
from tests.api import Headers
from tests.conftest import TestDatabase, make_settings
from tests.queue.test_queue import queued_show

from boxoffice.clock import Clock
from boxoffice.db.engine import create_engine
from boxoffice.queue import batches, repository
from boxoffice.queue.batches import JoinBatches
from boxoffice.queue.service import ONSALES, SHOWS, Door

pytestmark = pytest.mark.postgres_only  # the lane and its batches are PostgreSQL's

Joins = Callable[[JoinBatches], Awaitable[list[Any]]]


def with_batches(db: TestDatabase, joins: Joins) -> list[Any]:
    """`joins(batches)`, on batches of an engine of its own on the test database."""

    async def run() -> list[Any]:
        engine = create_engine(make_settings(db.url))
        try:
            return await joins(JoinBatches(engine))
        finally:
            await engine.dispose()

    return asyncio.run(run())


def statements(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of each batch statement sent, as they are sent."""
    sizes: list[int] = []
    write = repository.join_before_opening

    async def counted(connection: Any, door: str, joins: list[Any]) -> Any:
        sizes.append(len(joins))
        return await write(connection, door, joins)

    monkeypatch.setattr(batches.repository, "join_before_opening", counted)
    return sizes


def visitors_of(db: TestDatabase, onsale_id: uuid.UUID) -> set[uuid.UUID]:
    rows = db.query("SELECT id FROM queue_visitors WHERE onsale_id = :s", s=onsale_id)
    return {row[0] for row in rows}


def test_joins_arriving_together_are_written_in_one_statement_each_with_its_place(
    client: httpx.Client,
    db: TestDatabase,
    admin: Headers,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    show, opens_at = queued_show(client, admin, clock)
    other, other_opens_at = queued_show(client, admin, clock)  # another queue, same batch
    not_queued = uuid.uuid4()  # no such show: nothing written, the route answers it
    doors = [uuid.UUID(show["id"])] * 40 + [uuid.UUID(other["id"])] * 10 + [not_queued]
    visitors = [uuid.uuid4() for _ in doors]
    sizes = statements(monkeypatch)
    now = clock.now()

    async def joins(batched: JoinBatches) -> list[Any]:
        return await asyncio.gather(
            *(batched.join(Door(SHOWS, d), v, now) for d, v in zip(doors, visitors, strict=True))
        )

    answers = with_batches(db, joins)

    assert sum(sizes) == len(doors) and len(sizes) < len(doors), sizes
    onsale_id, opens = answers[0]
    assert opens == opens_at
    assert answers[:40] == [(onsale_id, opens_at)] * 40
    other_onsale = answers[40][0]
    assert other_onsale != onsale_id and answers[40:50] == [(other_onsale, other_opens_at)] * 10
    assert answers[50] is None
    assert visitors_of(db, onsale_id) == set(visitors[:40])
    assert visitors_of(db, other_onsale) == set(visitors[40:50])


def test_a_join_whose_row_fails_fails_alone_and_the_rest_of_its_batch_join(
    client: httpx.Client,
    db: TestDatabase,
    admin: Headers,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    show, opens_at = queued_show(client, admin, clock)
    door = Door(SHOWS, uuid.UUID(show["id"]))
    taken = uuid.uuid4()
    now = clock.now()
    with_batches(db, lambda batched: asyncio.gather(batched.join(door, taken, now)))
    others = [uuid.uuid4() for _ in range(20)]
    sizes = statements(monkeypatch)

    async def joins(batched: JoinBatches) -> list[Any]:
        # The same visitor again (a row that trips the key) among twenty good ones.
        asked = [*others[:10], taken, *others[10:]]
        return await asyncio.gather(
            *(batched.join(door, v, now) for v in asked), return_exceptions=True
        )

    answers = with_batches(db, joins)

    assert isinstance(answers[10], asyncpg.UniqueViolationError)  # 409, as alone
    onsale_id = answers[0][0]
    assert [a for i, a in enumerate(answers) if i != 10] == [(onsale_id, opens_at)] * 20
    assert sizes[0] == 21 and sizes[1:] == [1] * 21  # the batch failed; each again alone
    assert visitors_of(db, onsale_id) == {taken, *others}


def test_a_lost_connection_fails_every_join_of_its_batch_once(
    db: TestDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    async def lost(connection: Any, door: str, joins: list[Any]) -> Any:
        calls.append(len(joins))
        raise asyncpg.ConnectionDoesNotExistError("connection was closed in the middle")

    monkeypatch.setattr(batches.repository, "join_before_opening", lost)
    now = datetime.now().astimezone()

    async def joins(batched: JoinBatches) -> list[Any]:
        door = Door(ONSALES, uuid.uuid4())
        return await asyncio.gather(
            *(batched.join(door, uuid.uuid4(), now) for _ in range(5)), return_exceptions=True
        )

    answers = with_batches(db, joins)

    assert calls == [5]  # not again one by one: the database is away for all of them
    assert all(isinstance(a, asyncpg.ConnectionDoesNotExistError) for a in answers)
