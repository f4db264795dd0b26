"""Scheduling shows: one (`POST /shows`) or a batch of them, all or nothing (`POST
/shows/batch`, SPEC "Back office"), each in a format (`show_formats`, data) and in one of its
movie's languages, priced by the rules of its screen and theatre for that format.

A batch is checked whole before anything is written: every item that cannot be scheduled (an
unknown screen or movie, a format or language that is not one, a seat type nothing prices, an
overlap with a show on its screen or with another item, the cleaning gap counted) is named by
its index and reason in one 422, and nothing changes. A screen of a theatre the caller does not
run refuses the whole batch (403), before anything is looked at.

The screens are locked first (in id order: two batches queue, never deadlock), so two
schedulers racing for a slot queue on the screen and the second sees the first's shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.accounts.principal import Principal
from boxoffice.catalogue import ports, repository, schedule_repository
from boxoffice.catalogue.access import ensure_manages_screens
from boxoffice.catalogue.days import day_type_of
from boxoffice.catalogue.errors import (
    InvalidShowTime,
    LanguageNotReleased,
    ShowBatchRefused,
    ShowOverlap,
    UnknownFormat,
    UnknownReference,
    UnpriceableShow,
)
from boxoffice.catalogue.models import Show, ShowFormat, ShowStatus
from boxoffice.catalogue.schemas import ShowCreate
from boxoffice.catalogue.service import (
    MAX_SCHEDULE_AHEAD,
    ShowView,
    ensure_seat_types_exist,
)
from boxoffice.config import Settings
from boxoffice.db.base import new_id
from boxoffice.errors import Conflict, InvalidInput, NotFound


@dataclass(frozen=True)
class _Planned:
    """A show checked and priced, not yet written."""

    show: Show
    timezone: str
    prices: dict[str, int]
    overrides: dict[str, int]


async def formats(session: AsyncSession) -> list[ShowFormat]:
    return await schedule_repository.formats(session)


async def ensure_formats_exist(session: AsyncSession, codes: Iterable[str]) -> None:
    """422 naming the codes that are not formats, and the formats there are."""
    wanted = set(codes)
    if not wanted:
        return
    known = [f.code for f in await schedule_repository.formats(session)]
    unknown = sorted(wanted - set(known))
    if unknown:
        raise UnknownFormat(
            f"Not formats: {', '.join(unknown)} (formats: {', '.join(known)}).",
            unknown_formats=unknown,
            formats=known,
        )


async def create_show(
    session: AsyncSession, settings: Settings, body: ShowCreate, now: datetime
) -> ShowView:
    """Schedules a movie on a screen: validated, priced, no overlap, inventory created (the
    caller decided the caller may: `catalogue.access`)."""
    return await _write(session, await _plan(session, settings, body, now))


async def create_shows(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    bodies: Sequence[ShowCreate],
    now: datetime,
) -> list[ShowView]:
    """Schedules every show of the batch, or none (`ShowBatchRefused` naming each failure)."""
    screen_ids = [body.screen_id for body in bodies]
    await ensure_manages_screens(session, principal, screen_ids)
    for screen_id in sorted(set(screen_ids)):
        await repository.get_screen(session, screen_id, lock=True)
    gap = timedelta(minutes=settings.show_cleaning_gap_minutes)
    planned: list[tuple[int, _Planned]] = []
    refused: list[dict[str, Any]] = []
    for index, body in enumerate(bodies):
        try:
            plan = await _plan(session, settings, body, now)
        except (InvalidInput, Conflict, NotFound) as error:
            refused.append({"index": index, **error.to_problem()})
            continue
        clash = next((i for i, other in planned if _collide(other.show, plan.show, gap)), None)
        if clash is not None:
            overlap = ShowOverlap(
                f"It overlaps item {clash} of the batch on the same screen (a show must start "
                f"at least {gap.seconds // 60} minutes after the previous one ends).",
                conflicting_index=clash,
            )
            refused.append({"index": index, **overlap.to_problem()})
            continue
        planned.append((index, plan))
    if refused:
        raise ShowBatchRefused(
            f"{len(refused)} of the {len(bodies)} shows cannot be scheduled; none was.",
            errors=refused,
        )
    return [await _write(session, plan) for _, plan in planned]


def _collide(one: Show, other: Show, gap: timedelta) -> bool:
    """On one screen, each starts before the other's end plus the cleaning gap."""
    return (
        one.screen_id == other.screen_id
        and one.starts_at < other.ends_at + gap
        and other.starts_at < one.ends_at + gap
    )


async def _plan(
    session: AsyncSession, settings: Settings, body: ShowCreate, now: datetime
) -> _Planned:
    """The show checked and priced, or the reason it cannot be scheduled (raised). Writes
    nothing; locks the screen."""
    starts_at = body.starts_at.astimezone(UTC)
    if starts_at <= now:
        raise InvalidShowTime("starts_at must be in the future.", field="starts_at")
    if starts_at > now + MAX_SCHEDULE_AHEAD:
        raise InvalidShowTime(
            f"starts_at must be within {MAX_SCHEDULE_AHEAD.days} days.", field="starts_at"
        )
    screen = await repository.get_screen(session, body.screen_id, lock=True)
    if screen is None:
        raise UnknownReference("screen_id names no screen.", field="screen_id")
    movie = await repository.get_movie(session, body.movie_id)
    if movie is None:
        raise UnknownReference("movie_id names no movie.", field="movie_id")
    await ensure_formats_exist(session, [body.format])
    language = body.language or movie.language
    if language not in movie.languages:
        raise LanguageNotReleased(
            f"{movie.title!r} is not released in {language}; it is in "
            f"{', '.join(movie.languages)}.",
            field="language",
            languages=movie.languages,
        )
    theatre = await repository.get_theatre(session, screen.theatre_id)
    assert theatre is not None

    overrides = {o.seat_type: o.amount for o in body.price_overrides}
    await ensure_seat_types_exist(session, overrides)
    day_type = day_type_of(starts_at, theatre.timezone, theatre.holidays)
    seat_types = (await repository.seat_types_of_screens(session, [screen.id]))[screen.id]
    prices, missing = await ports.provided().pricing.prices_for_new_show(
        session, theatre, screen.id, day_type, seat_types, overrides, now, body.format
    )
    if missing:
        raise UnpriceableShow(
            f"No price for seat types {', '.join(missing)} on a {day_type.value} "
            f"{body.format} show: set a theatre or screen price rule, or a price override.",
            missing_seat_types=missing,
            day_type=day_type.value,
            format=body.format,
        )

    ends_at = starts_at + timedelta(minutes=movie.duration_minutes)
    gap = timedelta(minutes=settings.show_cleaning_gap_minutes)
    clashes = await repository.overlapping_shows(session, screen.id, starts_at, ends_at, gap)
    if clashes:
        raise ShowOverlap(
            f"The screen is busy: a show must start at least {gap.seconds // 60} minutes after "
            "the previous one ends, and end that long before the next one starts.",
            conflicting_show_ids=[str(show.id) for show in clashes],
        )
    show = Show(
        id=new_id(),
        movie_id=movie.id,
        screen_id=screen.id,
        theatre_id=theatre.id,
        starts_at=starts_at,
        ends_at=ends_at,
        day_type=day_type,
        status=ShowStatus.SCHEDULED,
        currency=settings.default_currency,
        format=body.format,
        language=language,
        subtitles=body.subtitles,
        cancelled_at=None,
        seat_count=await repository.seat_count(session, screen.id),
        created_at=now,
    )
    return _Planned(show, theatre.timezone, prices, overrides)


async def _write(session: AsyncSession, plan: _Planned) -> ShowView:
    show = plan.show
    await repository.add(session, show)
    await ports.provided().pricing.keep_overrides(session, show.id, plan.overrides)
    await repository.insert_show_seats(session, show.id, show.screen_id, plan.prices)
    return ShowView(show, plan.timezone, plan.prices)
