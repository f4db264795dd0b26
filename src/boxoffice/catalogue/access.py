"""Who may run what a catalogue route names: the theatre of a screen or of a show, asked of
`accounts.dependencies.ensure_manages_theatre` (the one place that decides). For routes that name
a screen or a show rather than a theatre; `TheatreManagerDep` serves those under /theatres."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.accounts.dependencies import OperatorDep, ensure_manages_theatre
from boxoffice.accounts.principal import Principal
from boxoffice.catalogue import repository
from boxoffice.catalogue.errors import ScreenNotFound, ShowNotFound
from boxoffice.dependencies import SessionDep


async def ensure_manages_screen(
    session: AsyncSession, principal: Principal, screen_id: uuid.UUID
) -> None:
    """403 unless the caller runs the screen's theatre; 404 for no such screen."""
    screen = await repository.get_screen(session, screen_id)
    if screen is None:
        raise ScreenNotFound()
    await ensure_manages_theatre(session, principal, screen.theatre_id)


async def ensure_manages_show(
    session: AsyncSession, principal: Principal, show_id: uuid.UUID
) -> None:
    """403 unless the caller runs the show's theatre; 404 for no such show."""
    show = await repository.get_show(session, show_id)
    if show is None:
        raise ShowNotFound()
    await ensure_manages_theatre(session, principal, show.theatre_id)


async def current_screen_manager(
    screen_id: uuid.UUID, principal: OperatorDep, session: SessionDep
) -> Principal:
    """For routes under /screens/{screen_id} that change it."""
    await ensure_manages_screen(session, principal, screen_id)
    return principal


async def current_show_manager(
    show_id: uuid.UUID, principal: OperatorDep, session: SessionDep
) -> Principal:
    """For routes that change or read for its theatre a show named in the path."""
    await ensure_manages_show(session, principal, show_id)
    return principal


ScreenManagerDep = Annotated[Principal, Depends(current_screen_manager)]
ShowManagerDep = Annotated[Principal, Depends(current_show_manager)]


async def ensure_manages_screens(
    session: AsyncSession, principal: Principal, screen_ids: Iterable[uuid.UUID]
) -> None:
    """403 unless the caller runs the theatre of every one of these screens that exists (one
    that does not is for the caller's service to refuse, as it refuses any unknown reference)."""
    for screen_id in dict.fromkeys(screen_ids):
        screen = await repository.get_screen(session, screen_id)
        if screen is not None:
            await ensure_manages_theatre(session, principal, screen.theatre_id)
