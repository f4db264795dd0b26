"""`Idempotency-Key` for POST endpoints that create things (holds, payment orders).

The key is claimed inside the request's own transaction with an INSERT ... ON CONFLICT DO NOTHING
on (customer, endpoint, key), and the response is stored in that same transaction. So:
- the claim and the effect commit together or not at all (a failed or crashed request leaves no
  claim behind, and a retry simply executes);
- a concurrent duplicate blocks on the unique key until the first transaction ends, then finds
  the stored response and replays it: one executes, the others wait for it;
- the same key with another body is refused (422); records older than 24 hours are reused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import JSON, Integer, String, delete, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from boxoffice.db.base import Base
from boxoffice.db.engine import dialect_insert
from boxoffice.errors import Conflict, InvalidInput

KEEP_FOR = timedelta(hours=24)
REPLAY_HEADER = "Idempotent-Replayed"
PRIMARY_KEY = ("customer", "endpoint", "key")


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_records"

    customer: Mapped[str] = mapped_column(String(64), primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[Any | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(index=True)


class IdempotencyKeyReused(InvalidInput):
    type_slug = "idempotency-key-reused"
    title = "Idempotency-Key reused with a different request"


class IdempotentRequestInProgress(Conflict):
    type_slug = "idempotent-request-in-progress"
    title = "A request with this Idempotency-Key is still being processed"


def request_fingerprint(body: BaseModel | None, *parts: str) -> str:
    payload = json.dumps(
        [body.model_dump(mode="json") if body else None, *parts], sort_keys=True, default=str
    )
    return hashlib.sha256(payload.encode()).hexdigest()


async def respond_once(
    within: AsyncSession | async_sessionmaker[Any],
    *,
    customer: str,
    endpoint: str,
    key: str | None,
    fingerprint: str,
    now: datetime,
    operation: Callable[[], Awaitable[tuple[int, BaseModel]]],
) -> JSONResponse:
    """Runs `operation` at most once per key and returns its (possibly replayed) response.

    `within` a session: the key is claimed in its transaction before the operation runs, and
    its response stored there after, so the claim and the effect commit together (a hold).
    `within` a sessionmaker: for an operation that must run outside any transaction (it calls
    the payment provider) and is idempotent by itself (it returns the same order when
    repeated). The key is looked up, the operation runs, then its response is stored, each step
    in a short transaction of its own; two requests racing with one key both run the operation
    (harmless), and the first response stored is the one every later request replays.
    """
    if key is None:
        status, model = await operation()
        return JSONResponse(model.model_dump(mode="json"), status_code=status)
    record = _Record(customer, endpoint, key, fingerprint, now)
    if isinstance(within, AsyncSession):
        if not await record.insert(within, None, None):
            replay = await record.replay(within)
            if replay is None:  # its request's transaction ended, with nothing kept, just now
                raise IdempotentRequestInProgress("Retry this request in a moment.")
            return replay
        status, body = await _run(operation)
        await record.complete(within, status, body)
        return JSONResponse(body, status_code=status)
    async with within() as session, session.begin():
        replay = await record.replay(session)
    if replay is not None:
        return replay
    status, body = await _run(operation)
    async with within() as session, session.begin():
        if not await record.insert(session, status, body):
            replay = await record.replay(session)
    return replay or JSONResponse(body, status_code=status)


async def _run(operation: Callable[[], Awaitable[tuple[int, BaseModel]]]) -> tuple[int, Any]:
    status, model = await operation()
    return status, model.model_dump(mode="json")


@dataclass(frozen=True)
class _Record:
    """A key's record, as one request sees it."""

    customer: str
    endpoint: str
    key: str
    fingerprint: str
    now: datetime

    async def insert(self, session: AsyncSession, status: int | None, body: Any) -> bool:
        """Writes the record (without a response: a claim); True unless a live one exists
        (records older than 24 hours are taken over)."""
        values = {
            "customer": self.customer,
            "endpoint": self.endpoint,
            "key": self.key,
            "request_hash": self.fingerprint,
            "response_status": status,
            "response_body": body,
            "created_at": self.now,
        }
        insert = dialect_insert(session)(IdempotencyRecord).values(**values)
        statement = insert.on_conflict_do_update(
            index_elements=list(PRIMARY_KEY),
            set_={name: insert.excluded[name] for name in values if name not in PRIMARY_KEY},
            where=IdempotencyRecord.created_at < self.now - KEEP_FOR,
        ).returning(IdempotencyRecord.key)
        return (await session.execute(statement)).scalar_one_or_none() is not None

    async def complete(self, session: AsyncSession, status: int, body: Any) -> None:
        """Stores the response of the request that claimed the key."""
        await session.execute(
            update(IdempotencyRecord)
            .where(
                IdempotencyRecord.customer == self.customer,
                IdempotencyRecord.endpoint == self.endpoint,
                IdempotencyRecord.key == self.key,
            )
            .values(response_status=status, response_body=body)
        )

    async def replay(self, session: AsyncSession) -> JSONResponse | None:
        """The stored response of a live record; None without one. Refused while its request
        is still running, or when the key came with another body."""
        record = await session.get(
            IdempotencyRecord, (self.customer, self.endpoint, self.key), populate_existing=True
        )
        if record is None or record.created_at < self.now - KEEP_FOR:
            return None
        if record.response_status is None:
            raise IdempotentRequestInProgress("Retry this request in a moment.")
        if record.request_hash != self.fingerprint:
            raise IdempotencyKeyReused("This Idempotency-Key was used with another request body.")
        return JSONResponse(
            record.response_body,
            status_code=record.response_status,
            headers={REPLAY_HEADER: "true"},
        )


async def purge_expired(session: AsyncSession, now: datetime) -> None:
    """Housekeeping for the worker: forget keys older than 24 hours."""
    await session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < now - KEEP_FOR)
    )
