"""All SQL of the catalogue: theatres, screens and seats, movies, shows and their inventory rows.
Row locks (`FOR UPDATE`) are taken on PostgreSQL; on SQLite, where every transaction is
`BEGIN IMMEDIATE` (db/engine.py), SQLAlchemy renders none and writers are serialised anyway."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Table,
    Uuid,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    null,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.catalogue.models import (
    DayType,
    Movie,
    MoviePoster,
    Screen,
    Seat,
    SeatType,
    Show,
    ShowSeat,
    ShowStatus,
    Theatre,
)
from boxoffice.catalogue.seatmap import announce_seat_changes
from boxoffice.db.engine import dialect_insert

# --- seat types ---------------------------------------------------------------------------------


async def existing_seat_types(session: AsyncSession, codes: Iterable[str]) -> set[str]:
    wanted = sorted(set(codes))
    if not wanted:
        return set()
    result = await session.scalars(select(SeatType.code).where(SeatType.code.in_(wanted)))
    return set(result)


# --- theatres -----------------------------------------------------------------------------------


async def add(session: AsyncSession, entity: Any) -> None:
    session.add(entity)
    await session.flush()


async def get_theatre(
    session: AsyncSession, theatre_id: uuid.UUID, *, lock: bool = False
) -> Theatre | None:
    query = select(Theatre).where(Theatre.id == theatre_id)
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query)).one_or_none()


async def bump_terms_version(session: AsyncSession, state_code: str) -> None:
    """The terms of every theatre of a state changed (a film's waiver there): the sale path's
    charge tables built before are stale (`Theatre.terms_version`)."""
    await session.execute(
        update(Theatre)
        .where(Theatre.state_code == state_code)
        .values(terms_version=Theatre.terms_version + 1)
        .execution_options(synchronize_session=False)
    )


async def list_theatres(
    session: AsyncSession, city: str | None, limit: int, offset: int
) -> list[Theatre]:
    query = select(Theatre)
    if city is not None:
        query = query.where(func.lower(Theatre.city) == city.lower())
    query = query.order_by(Theatre.city, Theatre.name, Theatre.id).limit(limit).offset(offset)
    return list(await session.scalars(query))


# --- screens and seats --------------------------------------------------------------------------


async def get_screen(
    session: AsyncSession, screen_id: uuid.UUID, *, lock: bool = False
) -> Screen | None:
    query = select(Screen).where(Screen.id == screen_id)
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query)).one_or_none()


async def screens_of_theatre(session: AsyncSession, theatre_id: uuid.UUID) -> list[Screen]:
    query = select(Screen).where(Screen.theatre_id == theatre_id).order_by(Screen.name)
    return list(await session.scalars(query))


async def lock_screens_of_theatre(session: AsyncSession, theatre_id: uuid.UUID) -> list[uuid.UUID]:
    """Locks every screen of the theatre, in id order (so two lockers queue, never deadlock)."""
    query = (
        select(Screen.id)
        .where(Screen.theatre_id == theatre_id)
        .order_by(Screen.id)
        .with_for_update()
    )
    return list(await session.scalars(query))


async def insert_screen(session: AsyncSession, screen: Screen) -> Screen | None:
    """Inserts the screen unless the theatre has one of that name in any letter case (a unique
    index decides: two racing creates cannot both win); None when the name is taken."""
    statement = (
        dialect_insert(session)(Screen)
        .values(
            id=screen.id,
            theatre_id=screen.theatre_id,
            name=screen.name,
            created_at=screen.created_at,
            sweet_spot_row=screen.sweet_spot_row,
            sweet_spot_number=screen.sweet_spot_number,
        )
        .on_conflict_do_nothing()
        .returning(Screen.id)
    )
    if (await session.execute(statement)).scalar_one_or_none() is None:
        return None
    return await session.get(Screen, screen.id)


async def insert_seats(session: AsyncSession, seats: Sequence[Mapping[str, Any]]) -> None:
    """One bulk INSERT of the seats of a screen (each mapping carries its own id)."""
    if seats:
        await session.execute(insert(Seat), list(seats))


async def seats_of_screen(session: AsyncSession, screen_id: uuid.UUID) -> list[Seat]:
    query = select(Seat).where(Seat.screen_id == screen_id).order_by(Seat.y, Seat.x)
    return list(await session.scalars(query))


async def seat_types_of_screens(
    session: AsyncSession, screen_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, set[str]]:
    ids = sorted(set(screen_ids))
    found: dict[uuid.UUID, set[str]] = defaultdict(set)
    if not ids:
        return found
    query = select(Seat.screen_id, Seat.seat_type).where(Seat.screen_id.in_(ids)).distinct()
    for screen_id, seat_type in await session.execute(query):
        found[screen_id].add(seat_type)
    return found


async def delete_layout(session: AsyncSession, screen_id: uuid.UUID) -> None:
    """Removes the seats of a screen and the inventory rows that point at them."""
    seat_ids = select(Seat.id).where(Seat.screen_id == screen_id).scalar_subquery()
    await session.execute(
        delete(ShowSeat)
        .where(ShowSeat.seat_id.in_(seat_ids))
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        delete(Seat).where(Seat.screen_id == screen_id).execution_options(synchronize_session=False)
    )


# --- movies -------------------------------------------------------------------------------------


async def get_movie(session: AsyncSession, movie_id: uuid.UUID) -> Movie | None:
    return await session.get(Movie, movie_id)


async def list_movies(
    session: AsyncSession, q: str | None, language: str | None, limit: int, offset: int
) -> list[Movie]:
    query = select(Movie)
    if q:
        query = query.where(func.lower(Movie.title).contains(q.lower(), autoescape=True))
    if language:
        query = query.where(func.lower(Movie.language) == language.lower())
    query = query.order_by(Movie.title, Movie.id).limit(limit).offset(offset)
    return list(await session.scalars(query))


async def put_poster(session: AsyncSession, poster: MoviePoster) -> None:
    """Keeps the movie's poster, replacing the one it had (without reading it)."""
    values = {c.key: getattr(poster, c.key) for c in MoviePoster.__table__.columns}
    insert_poster = dialect_insert(session)(MoviePoster).values(**values)
    await session.execute(
        insert_poster.on_conflict_do_update(index_elements=["movie_id"], set_=values)
    )


async def delete_poster(session: AsyncSession, movie_id: uuid.UUID) -> None:
    await session.execute(delete(MoviePoster).where(MoviePoster.movie_id == movie_id))


async def poster_etag(session: AsyncSession, movie_id: uuid.UUID) -> tuple[str | None] | None:
    """The movie's poster ETag (null: no poster); None: no such movie."""
    row = (await session.execute(select(Movie.poster_etag).where(Movie.id == movie_id))).first()
    return None if row is None else (row[0],)


async def get_poster(session: AsyncSession, movie_id: uuid.UUID) -> MoviePoster | None:
    return await session.get(MoviePoster, movie_id)


async def movie_has_shows(session: AsyncSession, movie_id: uuid.UUID) -> bool:
    return bool(await session.scalar(select(exists().where(Show.movie_id == movie_id))))


async def movie_has_running_shows(
    session: AsyncSession, movie_id: uuid.UUID, now: datetime
) -> bool:
    query = select(
        exists().where(
            Show.movie_id == movie_id,
            Show.status == ShowStatus.SCHEDULED,
            Show.ends_at > now,
        )
    )
    return bool(await session.scalar(query))


# --- shows --------------------------------------------------------------------------------------


async def overlapping_shows(
    session: AsyncSession,
    screen_id: uuid.UUID,
    starts_at: datetime,
    ends_at: datetime,
    gap: timedelta,
) -> list[Show]:
    """Live shows on the screen that the interval collides with, counting the cleaning gap.

    Two shows collide when each starts before the other one's end plus the gap.
    """
    query = (
        select(Show)
        .where(
            Show.screen_id == screen_id,
            Show.status != ShowStatus.CANCELLED,
            Show.starts_at < ends_at + gap,
            Show.ends_at > starts_at - gap,
        )
        .order_by(Show.starts_at)
        .limit(10)
    )
    return list(await session.scalars(query))


async def seat_count(session: AsyncSession, screen_id: uuid.UUID) -> int:
    return int(await session.scalar(select(func.count()).where(Seat.screen_id == screen_id)) or 0)


async def insert_show_seats(
    session: AsyncSession, show_id: uuid.UUID, screen_id: uuid.UUID, prices: Mapping[str, int]
) -> None:
    """The show's inventory, one row per seat of its screen, in one INSERT ... SELECT."""
    price = case(dict(prices), value=Seat.seat_type)
    source = select(
        literal(show_id, Uuid()),
        Seat.id,
        Seat.seat_type,
        Seat.label,
        price,
        null(),
        null(),
    ).where(Seat.screen_id == screen_id)
    await session.execute(
        insert(ShowSeat).from_select(
            ["show_id", "seat_id", "seat_type", "label", "price", "booking_id", "held_until"],
            source,
        )
    )


async def continue_version(session: AsyncSession, show_id: uuid.UUID, version: int) -> None:
    """Sets a new inventory's seat-map version (its rows were just inserted at 0) to `version`,
    by one row's counter: the seat map's version never goes back."""
    first = (
        select(ShowSeat.seat_id)
        .where(ShowSeat.show_id == show_id)
        .order_by(ShowSeat.seat_id)
        .limit(1)
    )
    await session.execute(
        update(ShowSeat)
        .where(ShowSeat.show_id == show_id, ShowSeat.seat_id == first.scalar_subquery())
        .values(version=version)
        .execution_options(synchronize_session=False)
    )


async def get_show(session: AsyncSession, show_id: uuid.UUID, *, lock: bool = False) -> Show | None:
    query = select(Show).where(Show.id == show_id)
    if lock:
        # Locked, it is read as it is now, even when this session has the show loaded already
        # (`bookings.repository.get_show` keeps it for the transaction).
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.scalars(query)).one_or_none()


async def get_show_with_timezone(
    session: AsyncSession, show_id: uuid.UUID
) -> tuple[Show, str] | None:
    query = (
        select(Show, Theatre.timezone)
        .join(Theatre, Theatre.id == Show.theatre_id)
        .where(Show.id == show_id)
    )
    row = (await session.execute(query)).one_or_none()
    return None if row is None else (row[0], row[1])


async def get_show_details(
    session: AsyncSession, show_id: uuid.UUID
) -> tuple[Show, Movie, Theatre, str] | None:
    """The show with its movie, theatre and screen's name, in one statement."""
    query = (
        select(Show, Movie, Theatre, Screen.name)
        .join(Movie, Movie.id == Show.movie_id)
        .join(Theatre, Theatre.id == Show.theatre_id)
        .join(Screen, Screen.id == Show.screen_id)
        .where(Show.id == show_id)
    )
    row = (await session.execute(query)).one_or_none()
    return None if row is None else (row[0], row[1], row[2], row[3])


async def prices_of_shows(
    session: AsyncSession, show_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, dict[str, int]]:
    """The current price of each seat type in each show, for a page of shows in one query."""
    ids = sorted(set(show_ids))
    prices: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    if not ids:
        return prices
    query = (
        select(ShowSeat.show_id, ShowSeat.seat_type, func.min(ShowSeat.price))
        .where(ShowSeat.show_id.in_(ids))
        .group_by(ShowSeat.show_id, ShowSeat.seat_type)
    )
    for show_id, seat_type, price in await session.execute(query):
        prices[show_id][seat_type] = price
    return prices


async def upcoming_shows(
    session: AsyncSession,
    now: datetime,
    *,
    theatre_id: uuid.UUID | None = None,
    screen_ids: Sequence[uuid.UUID] | None = None,
) -> list[Show]:
    """SCHEDULED shows that have not started, of a theatre or of some screens."""
    query = select(Show).where(Show.status == ShowStatus.SCHEDULED, Show.starts_at > now)
    if theatre_id is not None:
        query = query.where(Show.theatre_id == theatre_id)
    if screen_ids is not None:
        query = query.where(Show.screen_id.in_(sorted(set(screen_ids))))
    return list(await session.scalars(query.order_by(Show.starts_at, Show.id)))


async def shows_of_screen(session: AsyncSession, screen_id: uuid.UUID) -> list[Show]:
    query = select(Show).where(Show.screen_id == screen_id).order_by(Show.starts_at)
    return list(await session.scalars(query))


_SHOW_SEATS: Table = ShowSeat.__table__  # type: ignore[assignment]


async def set_show_seat_prices(
    session: AsyncSession, prices: Sequence[tuple[uuid.UUID, str, int]]
) -> None:
    """Sets the current price of (show, seat type) rows; one executemany for all of them."""
    if not prices:
        return
    statement = (
        update(_SHOW_SEATS)
        .where(
            _SHOW_SEATS.c.show_id == bindparam("b_show_id"),
            _SHOW_SEATS.c.seat_type == bindparam("b_seat_type"),
        )
        # A price shows on the seat map: it is a write the map's version counts.
        .values(price=bindparam("b_price"), version=_SHOW_SEATS.c.version + 1)
    )
    await session.execute(
        statement,
        [{"b_show_id": s, "b_seat_type": t, "b_price": p} for s, t, p in prices],
    )
    await announce_seat_changes({show_id for show_id, _, _ in prices}, session)


async def set_show_day_types(
    session: AsyncSession, day_types: Sequence[tuple[uuid.UUID, DayType]]
) -> None:
    for show_id, day_type in day_types:
        await session.execute(
            update(Show)
            .where(Show.id == show_id)
            .values(day_type=day_type)
            .execution_options(synchronize_session="fetch")
        )


async def seat_map_rows(session: AsyncSession, show_id: uuid.UUID) -> list[Any]:
    query = (
        select(
            ShowSeat.seat_id,
            ShowSeat.label,
            Seat.row,
            Seat.number,
            ShowSeat.seat_type,
            Seat.x,
            Seat.y,
            ShowSeat.price,
            ShowSeat.booking_id,
            ShowSeat.held_until,
            ShowSeat.blocked,
            Seat.accessibility,
            ShowSeat.version,
        )
        .join(Seat, Seat.id == ShowSeat.seat_id)
        .where(ShowSeat.show_id == show_id)
        .order_by(Seat.y, Seat.x)
    )
    return list((await session.execute(query)).all())


async def seat_map_version(session: AsyncSession, show_id: uuid.UUID) -> int | None:
    """The show's seat-map version (see `boxoffice.catalogue.seatmap`); None: no such show."""
    total = await session.scalar(
        select(func.sum(ShowSeat.version)).where(ShowSeat.show_id == show_id)
    )
    return None if total is None else int(total)


async def seat_map_versions(
    session: AsyncSession, show_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """The seat-map version of each of these shows (those with seats)."""
    if not show_ids:
        return {}
    query = (
        select(ShowSeat.show_id, func.sum(ShowSeat.version))
        .where(ShowSeat.show_id.in_(sorted(set(show_ids))))
        .group_by(ShowSeat.show_id)
    )
    return {show_id: int(total) for show_id, total in await session.execute(query)}


async def find_theatre_by_name(session: AsyncSession, name: str, city: str) -> Theatre | None:
    query = select(Theatre).where(Theatre.name == name, Theatre.city == city).limit(1)
    return (await session.scalars(query)).first()
