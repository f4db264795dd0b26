"""Rules of the catalogue: theatres, screen layouts, movies, shows and seat maps.

Seat grid (SPEC "Exact shapes"): seats of a row are numbered from 1, left to right; `y` is the
row's index in the layout (0 for the first row given); `x` is the seat's 0-based column counting
one empty column for every aisle to its left: `x = (number - 1) + #aisles_after values < number`.
A row of 6 with `aisles_after: [3]` has x = 0, 1, 2, 4, 5, 6.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from boxoffice import events
from boxoffice.catalogue import block_repository, ports, repository, schedule_repository
from boxoffice.catalogue.errors import (
    LayoutLocked,
    MovieInUse,
    MovieNotFound,
    ScreenNameTaken,
    ScreenNotFound,
    ShowArchived,
    ShowNotCancellable,
    ShowNotFound,
    TheatreNotFound,
    UnknownSeatTypes,
)
from boxoffice.catalogue.events import MovieDeleting, ShowCancelled
from boxoffice.catalogue.models import Movie, Screen, Seat, Show, ShowStatus, Theatre
from boxoffice.catalogue.schemas import (
    Layout,
    MovieCreate,
    MoviePatch,
    RowLayout,
    ScreenCreate,
    TheatreCreate,
    TheatrePatch,
)
from boxoffice.catalogue.seatmap import (
    RenderedMap,
    SeatMaps,
    Snapshot,
    announce_seat_changes,
    snapshot_of,
)
from boxoffice.db.base import new_id
from boxoffice.money import gst
from boxoffice.money.errors import InvalidRegistration

# How far ahead a show may be scheduled; also keeps absurd dates (year 9999) out of arithmetic.
MAX_SCHEDULE_AHEAD = timedelta(days=366)


# --- theatres -----------------------------------------------------------------------------------


async def create_theatre(session: AsyncSession, body: TheatreCreate, now: datetime) -> Theatre:
    theatre = Theatre(
        id=new_id(),
        name=body.name,
        city=body.city,
        address=body.address,
        timezone=body.timezone,
        holidays=[d.isoformat() for d in body.holidays],
        created_at=now,
    )
    await repository.add(session, theatre)
    return theatre


async def get_theatre(session: AsyncSession, theatre_id: uuid.UUID) -> Theatre:
    theatre = await repository.get_theatre(session, theatre_id)
    if theatre is None:
        raise TheatreNotFound()
    return theatre


async def update_theatre(
    session: AsyncSession, theatre_id: uuid.UUID, body: TheatrePatch, now: datetime
) -> Theatre:
    """A partial update. A new timezone or holiday list changes the day type, hence the price,
    of upcoming shows: they are re-priced, and the change refused (409) if one cannot be."""
    theatre = await repository.get_theatre(session, theatre_id, lock=True)
    if theatre is None:
        raise TheatreNotFound()
    changes = body.changes()
    if "holidays" in changes:
        changes["holidays"] = [d.isoformat() for d in changes["holidays"]]
    for name in ("convenience_fee", "cancellation_policy"):
        if name in changes:
            changes[name] = [item.model_dump() for item in changes[name]]
    after = {name: changes.get(name, getattr(theatre, name)) for name in TAXING}
    problems = gst.registration_problems(
        **{name: after[name] for name in ("legal_name", "gstin", "state_code", "sac")}
    )
    if problems:
        raise InvalidRegistration("; ".join(problems) + ".", problems=problems)
    # Prices that just became tax-inclusive must each fit a slab (SPEC "Per ticket").
    newly_inclusive = _includes_tax(after) and not _includes_tax(
        {name: getattr(theatre, name) for name in TAXING}
    )
    reprice = any(
        name in changes and changes[name] != getattr(theatre, name)
        for name in ("timezone", "holidays")
    )
    if reprice:
        await repository.lock_screens_of_theatre(session, theatre.id)
    for name, value in changes.items():
        setattr(theatre, name, value)
    # Any change may change what a seat costs or its policy (fee, registration, timezone...):
    # the sale path's charge tables built before are stale.
    theatre.terms_version += 1
    await session.flush()
    pricing = ports.provided().pricing
    if reprice:
        await pricing.reprice_upcoming_shows(session, theatre, now)
    if newly_inclusive:
        await pricing.ensure_theatre_prices_fit(session, theatre, now)
    return theatre


TAXING = ("legal_name", "gstin", "state_code", "sac", "prices_include_tax")


def _includes_tax(theatre: dict[str, Any]) -> bool:
    """Its prices include GST: registered (a gstin) and pricing tax-inclusive."""
    return theatre["gstin"] is not None and bool(theatre["prices_include_tax"])


async def list_theatres(
    session: AsyncSession, city: str | None, limit: int, offset: int
) -> list[Theatre]:
    return await repository.list_theatres(session, city, limit, offset)


# --- screens ------------------------------------------------------------------------------------


async def ensure_seat_types_exist(session: AsyncSession, codes: Iterable[str]) -> None:
    wanted = set(codes)
    unknown = sorted(wanted - await repository.existing_seat_types(session, wanted))
    if unknown:
        raise UnknownSeatTypes(
            f"Unknown seat types: {', '.join(unknown)}.", unknown_seat_types=unknown
        )


def seat_grid(rows: list[RowLayout]) -> list[dict[str, Any]]:
    """The seats of a layout with their grid positions (see the module docstring)."""
    seats: list[dict[str, Any]] = []
    for y, row in enumerate(rows):
        aisles = sorted(row.aisles_after)
        for number in range(1, row.seats + 1):
            gaps = sum(1 for aisle in aisles if aisle < number)
            seats.append(
                {
                    "row": row.label,
                    "number": number,
                    "label": f"{row.label}{number}",
                    "seat_type": row.seat_type,
                    "x": number - 1 + gaps,
                    "y": y,
                    "accessibility": row.accessibility_of(number),
                }
            )
    return seats


@dataclass
class ScreenView:
    screen: Screen
    seats: list[Seat]


async def _insert_layout(
    session: AsyncSession, screen_id: uuid.UUID, rows: list[RowLayout]
) -> None:
    await ensure_seat_types_exist(session, (row.seat_type for row in rows))
    await repository.insert_seats(
        session,
        [{"id": new_id(), "screen_id": screen_id, **seat} for seat in seat_grid(rows)],
    )


async def create_screen(
    session: AsyncSession, theatre_id: uuid.UUID, body: ScreenCreate, now: datetime
) -> ScreenView:
    if await repository.get_theatre(session, theatre_id) is None:
        raise TheatreNotFound()
    await ensure_seat_types_exist(session, (row.seat_type for row in body.rows))
    spot = body.sweet_spot
    screen = await repository.insert_screen(
        session,
        Screen(
            id=new_id(),
            theatre_id=theatre_id,
            name=body.name,
            created_at=now,
            sweet_spot_row=spot and spot.row,
            sweet_spot_number=spot and spot.number,
        ),
    )
    if screen is None:
        raise ScreenNameTaken(f"The theatre already has a screen named {body.name!r}.")
    await _insert_layout(session, screen.id, body.rows)
    return ScreenView(screen, await repository.seats_of_screen(session, screen.id))


async def get_screen(session: AsyncSession, screen_id: uuid.UUID) -> ScreenView:
    screen = await repository.get_screen(session, screen_id)
    if screen is None:
        raise ScreenNotFound()
    return ScreenView(screen, await repository.seats_of_screen(session, screen.id))


async def list_screens(session: AsyncSession, theatre_id: uuid.UUID) -> list[Screen]:
    if await repository.get_theatre(session, theatre_id) is None:
        raise TheatreNotFound()
    return await repository.screens_of_theatre(session, theatre_id)


async def replace_layout(
    session: AsyncSession, screen_id: uuid.UUID, body: Layout, now: datetime
) -> ScreenView:
    """A new seat layout and its sweet spot (none: the default), allowed while no booking (in
    any status) names a seat of the screen.

    The inventory of every show of the screen is rebuilt from the new seats (with its seat
    count); upcoming shows are priced afresh (409 if one cannot be), others keep their last price
    per seat type. Each show's seat-map version goes on from where it was (SPEC: it never
    decreases, a replaced layout included), so no cached map of the old seats passes for current.
    """
    screen = await repository.get_screen(session, screen_id, lock=True)
    if screen is None:
        raise ScreenNotFound()
    if await ports.provided().seat_use.screen_has_bookings(session, screen_id):
        raise LayoutLocked("The screen has bookings; its layout cannot change.")
    shows = await repository.shows_of_screen(session, screen_id)
    show_ids = [s.id for s in shows]
    old_prices = await repository.prices_of_shows(session, show_ids)
    old_versions = await repository.seat_map_versions(session, show_ids)
    rows = body.rows
    spot = body.sweet_spot
    screen.sweet_spot_row = spot.row if spot else None
    screen.sweet_spot_number = spot.number if spot else None
    await block_repository.lift_blocks_of_screen(session, screen_id, now)  # their seats go
    await repository.delete_layout(session, screen_id)
    await _insert_layout(session, screen_id, rows)
    new_types = {row.seat_type for row in rows}
    seat_count = await repository.seat_count(session, screen_id)
    for show in shows:
        kept = old_prices.get(show.id, {})
        # Placeholders for seat types the show had no price for: re-pricing below sets the real
        # price of upcoming shows, or refuses the change.
        prices = {t: kept.get(t, 0) for t in new_types}
        await repository.insert_show_seats(session, show.id, screen_id, prices)
        await repository.continue_version(session, show.id, old_versions.get(show.id, 0) + 1)
        show.seat_count = seat_count
    await session.flush()
    await announce_seat_changes(show_ids, session)
    theatre = await repository.get_theatre(session, screen.theatre_id)
    assert theatre is not None
    await ports.provided().pricing.reprice_upcoming_shows(
        session, theatre, now, screen_ids=[screen_id]
    )
    return ScreenView(screen, await repository.seats_of_screen(session, screen.id))


# --- movies -------------------------------------------------------------------------------------


def _released_in(language: str, languages: list[str]) -> list[str]:
    """A movie's languages: its own always among them, first when it was not listed."""
    return languages if language in languages else [language, *languages]


async def create_movie(session: AsyncSession, body: MovieCreate, now: datetime) -> Movie:
    fields = body.model_dump()
    fields["languages"] = _released_in(body.language, body.languages)
    movie = Movie(id=new_id(), created_at=now, **fields)
    await repository.add(session, movie)
    return movie


async def get_movie(session: AsyncSession, movie_id: uuid.UUID) -> Movie:
    movie = await repository.get_movie(session, movie_id)
    if movie is None:
        raise MovieNotFound()
    return movie


async def list_movies(
    session: AsyncSession, q: str | None, language: str | None, limit: int, offset: int
) -> list[Movie]:
    return await repository.list_movies(session, q, language, limit, offset)


async def update_movie(
    session: AsyncSession, movie_id: uuid.UUID, body: MoviePatch, now: datetime
) -> Movie:
    """A partial update. The duration is fixed while the movie has shows to come: it decides
    their `ends_at`, hence which shows fit on a screen."""
    movie = await get_movie(session, movie_id)
    changes = body.changes()
    if changes.get(
        "duration_minutes", movie.duration_minutes
    ) != movie.duration_minutes and await repository.movie_has_running_shows(
        session, movie.id, now
    ):
        raise MovieInUse(
            "The duration of a movie with scheduled shows cannot change; cancel them first."
        )
    if "language" in changes or "languages" in changes:
        changes["languages"] = _released_in(
            changes.get("language", movie.language), changes.get("languages", movie.languages)
        )
        dropped = await schedule_repository.languages_of_running_shows(session, movie.id, now)
        dropped -= set(changes["languages"])
        if dropped:
            raise MovieInUse(
                f"Scheduled shows are in {', '.join(sorted(dropped))}: keep it among the "
                "movie's languages, or cancel them first.",
                languages_in_use=sorted(dropped),
            )
    for name, value in changes.items():
        setattr(movie, name, value)
    await session.flush()
    return movie


async def delete_movie(session: AsyncSession, movie_id: uuid.UUID) -> None:
    """Removes the movie and its poster; refused (409) while any show, of any status, names
    it (its bookings and reports do)."""
    movie = await get_movie(session, movie_id)
    if await repository.movie_has_shows(session, movie.id):
        raise MovieInUse("Shows name this movie; it cannot be deleted.")
    await events.publish(session, MovieDeleting(movie.id))
    await repository.delete_poster(session, movie.id)
    await session.delete(movie)
    await session.flush()


# --- shows --------------------------------------------------------------------------------------


@dataclass
class ShowView:
    show: Show
    timezone: str
    prices: dict[str, int]


async def get_show(session: AsyncSession, show_id: uuid.UUID) -> ShowView:
    row = await repository.get_show_with_timezone(session, show_id)
    if row is None:
        raise ShowNotFound()
    show, timezone = row
    prices = await repository.prices_of_shows(session, [show.id])
    return ShowView(show, timezone, prices.get(show.id, {}))


@dataclass(frozen=True)
class ShowDetails:
    view: ShowView
    movie: Movie
    theatre: Theatre
    screen_name: str


async def get_show_details(session: AsyncSession, show_id: uuid.UUID) -> ShowDetails:
    row = await repository.get_show_details(session, show_id)
    if row is None:
        raise ShowNotFound()
    show, movie, theatre, screen_name = row
    prices = await repository.prices_of_shows(session, [show.id])
    return ShowDetails(
        ShowView(show, theatre.timezone, prices.get(show.id, {})), movie, theatre, screen_name
    )


async def sold_seats(
    session: AsyncSession, show_ids: Sequence[uuid.UUID]
) -> Mapping[uuid.UUID, int]:
    """The seats sold per show, for how full each show is: the domain that sells them keeps the
    count (reports, as each sale commits), asked through `ports.Sales`."""
    return await ports.provided().sales.sold_seats(session, show_ids) if show_ids else {}


async def list_shows(
    session: AsyncSession, where: schedule_repository.ShowFilter, limit: int, offset: int
) -> list[ShowView]:
    rows = await schedule_repository.list_shows(session, where, limit, offset)
    prices = await repository.prices_of_shows(session, [show.id for show, _ in rows])
    return [ShowView(show, timezone, prices.get(show.id, {})) for show, timezone in rows]


async def cancel_show(
    session: AsyncSession, show_id: uuid.UUID, now: datetime, actor: str
) -> ShowView:
    show = await repository.get_show(session, show_id, lock=True)
    if show is None:
        raise ShowNotFound()
    if show.status is ShowStatus.CANCELLED:
        raise ShowNotCancellable("The show is already cancelled.")
    if show.ends_at <= now:
        raise ShowNotCancellable("The show is over; it cannot be cancelled.")
    show.status = ShowStatus.CANCELLED
    show.cancelled_at = now
    await session.flush()
    await announce_seat_changes([show_id], session)  # live streams end on it
    # The bookings domain cancels its bookings after this commits, in batches of their own
    # (`bookings.handlers`): the show reads CANCELLED, and refuses holds, at once.
    await events.publish(session, ShowCancelled(show_id, now, actor))
    return await get_show(session, show_id)


# --- seat map -----------------------------------------------------------------------------------


async def seat_map(
    sessions: async_sessionmaker[AsyncSession],
    maps: SeatMaps,
    show_id: uuid.UUID,
    now: datetime,
) -> RenderedMap:
    """The show's seat map at `now`, from this process's memory when it is known to be current
    (see `boxoffice.catalogue.seatmap`); a session is opened only when it is not."""

    async def read() -> Snapshot:
        async with sessions() as session:
            show = await repository.get_show(session, show_id)
            if show is None:
                raise ShowNotFound()
            if show.archived_at is not None:
                raise ShowArchived()
            rows = await repository.seat_map_rows(session, show_id)
        version = sum(row[-1] for row in rows)
        cancelled = show.status is ShowStatus.CANCELLED
        seats = [row[:-1] for row in rows]
        return snapshot_of(show_id, show.currency, version, seats, cancelled)

    async def version() -> int | None:
        async with sessions() as session:
            return await repository.seat_map_version(session, show_id)

    return await maps.get(show_id, now, read, version)
