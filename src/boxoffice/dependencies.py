"""Request-scoped dependencies shared by every domain: settings, clock, and the unit of work."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.clock import Clock
from boxoffice.config import Settings


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


def get_now(request: Request) -> datetime:
    return get_clock(request).now()


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One unit of work per request: commit when the route returned, roll back when it raised.

    Services never commit. `scope="function"` (below) makes FastAPI run the commit before the
    response is sent, so a failed commit turns into an error response, never a false 2xx.
    """
    async with request.app.state.sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


SettingsDep = Annotated[Settings, Depends(get_settings)]
ClockDep = Annotated[Clock, Depends(get_clock)]
NowDep = Annotated[datetime, Depends(get_now)]
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
