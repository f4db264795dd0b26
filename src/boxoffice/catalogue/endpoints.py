"""Catalogue routes: theatres, screens, movies, shows and the live seat map.

Reads are public; writes need the admin role. Routes only parse, call the service and shape.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Header, Query, Request, Response

from boxoffice.accounts.dependencies import AdminDep
from boxoffice.catalogue import service
from boxoffice.catalogue.models import Movie, ShowStatus, Theatre
from boxoffice.catalogue.repository import ShowFilter
from boxoffice.catalogue.schemas import (
    Layout,
    MovieCreate,
    MovieList,
    MovieOut,
    MoviePatch,
    ScreenCreate,
    ScreenOut,
    SeatMap,
    SeatOut,
    ShowCreate,
    ShowList,
    ShowOut,
    TheatreCreate,
    TheatreList,
    TheatreOut,
    TheatrePatch,
)
from boxoffice.dependencies import (
    Limit,
    NowDep,
    Offset,
    SessionDep,
    SettingsDep,
    end_unit_of_work_early,
)
from boxoffice.errors import InvalidInput

router = APIRouter(tags=["catalogue"])

PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
Filter = Annotated[str | None, Query(min_length=1, max_length=100, pattern=PRINTABLE)]


def theatre_out(theatre: Theatre) -> TheatreOut:
    return TheatreOut.model_validate(theatre, from_attributes=True)


def screen_out(view: service.ScreenView) -> ScreenOut:
    return ScreenOut(
        id=view.screen.id,
        theatre_id=view.screen.theatre_id,
        name=view.screen.name,
        created_at=view.screen.created_at,
        seat_count=len(view.seats),
        seats=[SeatOut.model_validate(seat, from_attributes=True) for seat in view.seats],
    )


def movie_out(movie: Movie) -> MovieOut:
    return MovieOut.model_validate(movie, from_attributes=True)


def show_out(view: service.ShowView) -> ShowOut:
    show, zone = view.show, ZoneInfo(view.timezone)
    return ShowOut(
        id=show.id,
        movie_id=show.movie_id,
        screen_id=show.screen_id,
        theatre_id=show.theatre_id,
        starts_at=show.starts_at.astimezone(zone),
        ends_at=show.ends_at.astimezone(zone),
        timezone=view.timezone,
        day_type=show.day_type,
        status=show.status,
        currency=show.currency,
        prices=dict(sorted(view.prices.items())),
        cancelled_at=show.cancelled_at,
        created_at=show.created_at,
    )


# --- theatres -----------------------------------------------------------------------------------


@router.post("/theatres", status_code=201, response_model=TheatreOut)
async def create_theatre(
    body: TheatreCreate, session: SessionDep, now: NowDep, _admin: AdminDep
) -> TheatreOut:
    return theatre_out(await service.create_theatre(session, body, now))


@router.get("/theatres", response_model=TheatreList)
async def list_theatres(
    session: SessionDep, city: Filter = None, limit: Limit = 50, offset: Offset = 0
) -> TheatreList:
    theatres = await service.list_theatres(session, city, limit, offset)
    return TheatreList(items=[theatre_out(t) for t in theatres], limit=limit, offset=offset)


@router.get("/theatres/{theatre_id}", response_model=TheatreOut)
async def get_theatre(theatre_id: uuid.UUID, session: SessionDep) -> TheatreOut:
    return theatre_out(await service.get_theatre(session, theatre_id))


@router.patch(
    "/theatres/{theatre_id}",
    response_model=TheatreOut,
    responses={409: {"description": "The new timezone or holidays would leave a show unpriced"}},
)
async def update_theatre(
    theatre_id: uuid.UUID, body: TheatrePatch, session: SessionDep, now: NowDep, _admin: AdminDep
) -> TheatreOut:
    return theatre_out(await service.update_theatre(session, theatre_id, body, now))


# --- screens ------------------------------------------------------------------------------------


@router.post(
    "/theatres/{theatre_id}/screens",
    status_code=201,
    response_model=ScreenOut,
    responses={409: {"description": "A screen of that name exists in the theatre"}},
)
async def create_screen(
    theatre_id: uuid.UUID, body: ScreenCreate, session: SessionDep, now: NowDep, _admin: AdminDep
) -> ScreenOut:
    return screen_out(await service.create_screen(session, theatre_id, body, now))


@router.get("/screens/{screen_id}", response_model=ScreenOut)
async def get_screen(screen_id: uuid.UUID, session: SessionDep) -> ScreenOut:
    return screen_out(await service.get_screen(session, screen_id))


@router.put(
    "/screens/{screen_id}/layout",
    response_model=ScreenOut,
    responses={409: {"description": "The screen has bookings, or a show would be unpriced"}},
)
async def replace_layout(
    screen_id: uuid.UUID, body: Layout, session: SessionDep, now: NowDep, _admin: AdminDep
) -> ScreenOut:
    """Replaces the seats; refused (409) once any booking names a seat of the screen."""
    return screen_out(await service.replace_layout(session, screen_id, body.rows, now))


# --- movies -------------------------------------------------------------------------------------


@router.post("/movies", status_code=201, response_model=MovieOut)
async def create_movie(
    body: MovieCreate, session: SessionDep, now: NowDep, _admin: AdminDep
) -> MovieOut:
    return movie_out(await service.create_movie(session, body, now))


@router.get("/movies", response_model=MovieList)
async def list_movies(
    session: SessionDep,
    q: Annotated[str | None, Query(min_length=1, max_length=300, pattern=PRINTABLE)] = None,
    language: Filter = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> MovieList:
    movies = await service.list_movies(session, q, language, limit, offset)
    return MovieList(items=[movie_out(m) for m in movies], limit=limit, offset=offset)


@router.get("/movies/{movie_id}", response_model=MovieOut)
async def get_movie(movie_id: uuid.UUID, session: SessionDep) -> MovieOut:
    return movie_out(await service.get_movie(session, movie_id))


@router.patch(
    "/movies/{movie_id}",
    response_model=MovieOut,
    responses={409: {"description": "The duration cannot change while shows are scheduled"}},
)
async def update_movie(
    movie_id: uuid.UUID, body: MoviePatch, session: SessionDep, now: NowDep, _admin: AdminDep
) -> MovieOut:
    return movie_out(await service.update_movie(session, movie_id, body, now))


# --- shows --------------------------------------------------------------------------------------


@router.post(
    "/shows",
    status_code=201,
    response_model=ShowOut,
    responses={
        409: {"description": "Overlaps another show on the screen (cleaning gap included)"},
        422: {"description": "Invalid body, unknown movie or screen, or unpriced seat types"},
    },
)
async def create_show(
    body: ShowCreate,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    _admin: AdminDep,
) -> ShowOut:
    return show_out(await service.create_show(session, settings, body, now))


@router.get("/shows", response_model=ShowList)
async def list_shows(
    session: SessionDep,
    now: NowDep,
    movie_id: uuid.UUID | None = None,
    theatre_id: uuid.UUID | None = None,
    city: Filter = None,
    date: Annotated[
        date | None, Query(description="YYYY-MM-DD, in each theatre's own timezone")
    ] = None,
    status: ShowStatus | None = None,
    upcoming: Annotated[bool, Query(description="only shows that have not started")] = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> ShowList:
    if date is not None and not 2000 <= date.year <= 2200:
        raise InvalidInput("date must be between the years 2000 and 2200.", field="date")
    where = ShowFilter(
        movie_id=movie_id,
        theatre_id=theatre_id,
        city=city,
        local_date=date,
        status=status,
        starts_after=now if upcoming else None,
    )
    views = await service.list_shows(session, where, limit, offset)
    return ShowList(items=[show_out(v) for v in views], limit=limit, offset=offset)


@router.get("/shows/{show_id}", response_model=ShowOut)
async def get_show(show_id: uuid.UUID, session: SessionDep) -> ShowOut:
    return show_out(await service.get_show(session, show_id))


@router.post(
    "/shows/{show_id}/cancel",
    response_model=ShowOut,
    responses={409: {"description": "Already cancelled, or already over"}},
)
async def cancel_show(
    show_id: uuid.UUID, request: Request, session: SessionDep, now: NowDep, admin: AdminDep
) -> ShowOut:
    """Cancels the show at once (it reads CANCELLED and refuses holds from this moment), then
    cancels and refunds its bookings in batches that commit as they go; answers when all are
    done. If this process dies meanwhile, `boxoffice worker` finishes the job."""
    view = await service.cancel_show(session, show_id, now, admin.actor)
    await end_unit_of_work_early(session)
    await service.cancel_show_bookings(request.app.state, show_id, admin.actor)
    return show_out(view)


def _etag_matches(if_none_match: str | None, etag: str) -> bool:
    if if_none_match is None:
        return False
    candidates = [tag.strip() for tag in if_none_match.split(",")]
    return "*" in candidates or any(tag.removeprefix("W/") == etag for tag in candidates)


@router.get(
    "/shows/{show_id}/seats",
    response_model=SeatMap,
    responses={304: {"description": "Not modified (If-None-Match matched the ETag)"}},
)
async def seat_map(
    show_id: uuid.UUID,
    session: SessionDep,
    now: NowDep,
    if_none_match: Annotated[str | None, Header(max_length=1000)] = None,
) -> Response:
    """Every seat with its position, price and status; ETag / If-None-Match → 304."""
    view = await service.seat_map(session, show_id, now)
    body = json.dumps(
        {"show_id": str(view.show.id), "currency": view.show.currency, "seats": view.seats},
        separators=(",", ":"),
    )
    etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if _etag_matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(content=body, media_type="application/json", headers=headers)
