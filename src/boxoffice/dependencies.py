"""Request-scoped dependencies shared by every domain: settings, clock, and the request's unit of
work (`db.unit_of_work`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.clock import Clock
from boxoffice.config import Settings
from boxoffice.db.unit_of_work import unit_of_work


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


async def get_now(request: Request) -> datetime:
    clock: Clock = request.app.state.clock
    return clock.now()


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One unit of work per request: commit when the route returned, roll back when it raised.

    Services never commit. `scope="function"` (below) makes FastAPI run the commit before the
    response is sent, so a failed commit turns into an error response, never a false 2xx.
    """
    async with unit_of_work(request.app.state) as session:
        yield session


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for reads that may be a little stale (catalogue lists, show pages, reports):
    on DATABASE_READ_URL, a standby, when it is set, else the primary's. Never written through:
    only GET routes take it, and it is never committed."""
    async with request.app.state.read_sessionmaker() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
ClockDep = Annotated[Clock, Depends(get_clock)]
NowDep = Annotated[datetime, Depends(get_now)]
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session, scope="function")]

# Every list is paginated with a bounded limit.
Limit = Annotated[int, Query(ge=1, le=100, description="page size")]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
# See boxoffice.idempotency.
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", min_length=1, max_length=255)
]
