"""Catalogue routes: theatres, screens, movies, shows and the live seat map.

Reads are public; writes need the admin role, or the manager role at the theatre they touch
(`catalogue.access`); movies are shared: any manager creates and edits them. Routes only
parse, call the service and shape.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import asdict
from datetime import date
from types import SimpleNamespace
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Header, Query, Request, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from boxoffice.accounts.dependencies import AdminDep, OperatorDep, TheatreManagerDep
from boxoffice.catalogue import schedule, service
from boxoffice.catalogue.access import ScreenManagerDep, ShowManagerDep, ensure_manages_screens
from boxoffice.catalogue.models import Movie, Screen, ShowStatus, Theatre
from boxoffice.catalogue.schedule_repository import ShowFilter
from boxoffice.catalogue.schemas import (
    Layout,
    MovieCreate,
    MovieList,
    MovieOut,
    MoviePatch,
    ScreenCreate,
    ScreenList,
    ScreenName,
    ScreenOut,
    ScreenSummary,
    SeatMap,
    SeatOut,
    ShowCreate,
    ShowDetailOut,
    ShowList,
    ShowListItem,
    ShowOut,
    SweetSpotOut,
    TheatreCreate,
    TheatreList,
    TheatreOut,
    TheatrePatch,
)
from boxoffice.catalogue.seatmap import RenderedMap
from boxoffice.config import Settings
from boxoffice.db.unit_of_work import end_unit_of_work_early, run_after_commit
from boxoffice.dependencies import (
    Limit,
    NowDep,
    Offset,
    ReadSessionDep,
    SessionDep,
    SettingsDep,
)
from boxoffice.errors import InvalidInput
from boxoffice.money.terms import effective_policy
from boxoffice.network import client_network
from boxoffice.text import PRINTABLE_PATTERN

router = APIRouter(tags=["catalogue"])

API_PREFIX = "/api/v1"  # where the app mounts this router (`boxoffice.app`)
POSTER_PATH = "/movies/{movie_id}/poster"

Filter = Annotated[str | None, Query(min_length=1, max_length=100, pattern=PRINTABLE_PATTERN)]


def theatre_out(theatre: Theatre, settings: Settings) -> TheatreOut:
    fields = {name: getattr(theatre, name) for name in TheatreOut.model_fields}
    policy = effective_policy(theatre.cancellation_policy, settings.cancellation_cutoff_minutes)
    return TheatreOut.model_validate({**fields, "cancellation_policy": [asdict(t) for t in policy]})


def screen_out(view: service.ScreenView) -> ScreenOut:
    return ScreenOut(
        id=view.screen.id,
        theatre_id=view.screen.theatre_id,
        name=view.screen.name,
        created_at=view.screen.created_at,
        sweet_spot=_sweet_spot(view.screen),
        seat_count=len(view.seats),
        seats=[SeatOut.model_validate(seat, from_attributes=True) for seat in view.seats],
    )


def _sweet_spot(screen: Screen) -> SweetSpotOut | None:
    row, number = screen.sweet_spot_row, screen.sweet_spot_number
    return None if row is None or number is None else SweetSpotOut(row=row, number=number)


def movie_out(movie: Movie) -> MovieOut:
    fields = {name: getattr(movie, name) for name in MovieOut.model_fields if name != "poster_url"}
    return MovieOut(**fields, poster_url=_poster_url(movie))


def _poster_url(movie: Movie) -> str | None:
    """The poster's address with its version: a new poster has a new one, so either is cached
    for good."""
    if movie.poster_etag is None:
        return None
    return f"{API_PREFIX}{POSTER_PATH.format(movie_id=movie.id)}?v={movie.poster_etag}"


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
        format=show.format,
        language=show.language,
        subtitles=show.subtitles,
        day_type=show.day_type,
        status=show.status,
        currency=show.currency,
        prices=dict(sorted(view.prices.items())),
        cancelled_at=show.cancelled_at,
        created_at=show.created_at,
        seat_count=show.seat_count,
        queue_opens_at=show.queue_opens_at and show.queue_opens_at.astimezone(zone),
    )


# --- theatres -----------------------------------------------------------------------------------


@router.post("/theatres", status_code=201, response_model=TheatreOut)
async def create_theatre(
    body: TheatreCreate, session: SessionDep, now: NowDep, settings: SettingsDep, _admin: AdminDep
) -> TheatreOut:
    return theatre_out(await service.create_theatre(session, body, now), settings)


@router.get("/theatres", response_model=TheatreList)
async def list_theatres(
    session: ReadSessionDep,
    settings: SettingsDep,
    city: Filter = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> TheatreList:
    theatres = await service.list_theatres(session, city, limit, offset)
    items = [theatre_out(t, settings) for t in theatres]
    return TheatreList(items=items, limit=limit, offset=offset)


@router.get("/theatres/{theatre_id}", response_model=TheatreOut)
async def get_theatre(
    theatre_id: uuid.UUID, session: ReadSessionDep, settings: SettingsDep
) -> TheatreOut:
    return theatre_out(await service.get_theatre(session, theatre_id), settings)


@router.patch(
    "/theatres/{theatre_id}",
    response_model=TheatreOut,
    responses={
        409: {"description": "The new timezone or holidays would leave a show unpriced"},
        422: {"description": "An incomplete GST registration, or prices no tax slab fits"},
    },
)
async def update_theatre(
    theatre_id: uuid.UUID,
    body: TheatrePatch,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
    _manager: TheatreManagerDep,
) -> TheatreOut:
    """A partial update, the theatre's money terms included (SPEC "Money"): a `gstin` (its
    check character verified) needs `legal_name`, `sac` and the `state_code` it starts with;
    turning prices tax-inclusive, or registering, refuses (422 naming the band) prices that no
    GST slab in force fits."""
    theatre = await service.update_theatre(session, theatre_id, body, now)
    return theatre_out(theatre, settings)


# --- screens ------------------------------------------------------------------------------------


@router.post(
    "/theatres/{theatre_id}/screens",
    status_code=201,
    response_model=ScreenOut,
    responses={409: {"description": "A screen of that name exists in the theatre"}},
)
async def create_screen(
    theatre_id: uuid.UUID,
    body: ScreenCreate,
    session: SessionDep,
    now: NowDep,
    _manager: TheatreManagerDep,
) -> ScreenOut:
    return screen_out(await service.create_screen(session, theatre_id, body, now))


@router.get("/theatres/{theatre_id}/screens", response_model=ScreenList)
async def list_screens(theatre_id: uuid.UUID, session: ReadSessionDep) -> ScreenList:
    """The theatre's screens by name, without their seats (`GET /screens/{id}` has them)."""
    screens = await service.list_screens(session, theatre_id)
    return ScreenList(items=[_screen_summary(screen) for screen in screens])


def _screen_summary(screen: Screen) -> ScreenSummary:
    return ScreenSummary(
        id=screen.id,
        theatre_id=screen.theatre_id,
        name=screen.name,
        created_at=screen.created_at,
        sweet_spot=_sweet_spot(screen),
    )


@router.get("/screens/{screen_id}", response_model=ScreenOut)
async def get_screen(screen_id: uuid.UUID, session: ReadSessionDep) -> ScreenOut:
    return screen_out(await service.get_screen(session, screen_id))


@router.put(
    "/screens/{screen_id}/layout",
    response_model=ScreenOut,
    responses={409: {"description": "The screen has bookings, or a show would be unpriced"}},
)
async def replace_layout(
    screen_id: uuid.UUID, body: Layout, session: SessionDep, now: NowDep, _manager: ScreenManagerDep
) -> ScreenOut:
    """Replaces the seats; refused (409) once any booking names a seat of the screen."""
    return screen_out(await service.replace_layout(session, screen_id, body, now))


# --- movies -------------------------------------------------------------------------------------


@router.post("/movies", status_code=201, response_model=MovieOut)
async def create_movie(
    body: MovieCreate, session: SessionDep, now: NowDep, _operator: OperatorDep
) -> MovieOut:
    return movie_out(await service.create_movie(session, body, now))


@router.get("/movies", response_model=MovieList)
async def list_movies(
    session: ReadSessionDep,
    q: Annotated[str | None, Query(min_length=1, max_length=300, pattern=PRINTABLE_PATTERN)] = None,
    language: Filter = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> MovieList:
    movies = await service.list_movies(session, q, language, limit, offset)
    return MovieList(items=[movie_out(m) for m in movies], limit=limit, offset=offset)


@router.get("/movies/{movie_id}", response_model=MovieOut)
async def get_movie(movie_id: uuid.UUID, session: ReadSessionDep) -> MovieOut:
    return movie_out(await service.get_movie(session, movie_id))


@router.patch(
    "/movies/{movie_id}",
    response_model=MovieOut,
    responses={409: {"description": "The duration cannot change while shows are scheduled"}},
)
async def update_movie(
    movie_id: uuid.UUID, body: MoviePatch, session: SessionDep, now: NowDep, _operator: OperatorDep
) -> MovieOut:
    return movie_out(await service.update_movie(session, movie_id, body, now))


@router.delete(
    "/movies/{movie_id}",
    status_code=204,
    responses={409: {"description": "Shows name the movie (cancelled ones too)"}},
)
async def delete_movie(movie_id: uuid.UUID, session: SessionDep, _admin: AdminDep) -> Response:
    """Removes a movie no show names, with its poster: admins only (movies are shared by every
    theatre's managers, who create and edit them)."""
    await service.delete_movie(session, movie_id)
    return Response(status_code=204)


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
    principal: OperatorDep,
) -> ShowOut:
    await ensure_manages_screens(session, principal, [body.screen_id])
    return show_out(await schedule.create_show(session, settings, body, now))


@router.get("/shows", response_model=ShowList)
async def list_shows(
    session: ReadSessionDep,
    now: NowDep,
    movie_id: uuid.UUID | None = None,
    theatre_id: uuid.UUID | None = None,
    city: Filter = None,
    date: Annotated[
        date | None, Query(description="YYYY-MM-DD, in each theatre's own timezone")
    ] = None,
    status: ShowStatus | None = None,
    upcoming: Annotated[bool, Query(description="only shows that have not started")] = False,
    format: Annotated[
        str | None, Query(min_length=1, max_length=20, pattern=PRINTABLE_PATTERN)
    ] = None,
    language: Annotated[Filter, Query(description="the audio language")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> ShowList:
    """Shows by start; `format` (e.g. `IMAX 3D`) and `language` (the audio's) in any case."""
    if date is not None and not 2000 <= date.year <= 2200:
        raise InvalidInput("date must be between the years 2000 and 2200.", field="date")
    where = ShowFilter(
        movie_id=movie_id,
        theatre_id=theatre_id,
        city=city,
        local_date=date,
        status=status,
        starts_after=now if upcoming else None,
        format=format,
        language=language,
    )
    views = await service.list_shows(session, where, limit, offset)
    sold = await service.sold_seats(session, [view.show.id for view in views])
    items = [
        ShowListItem(**show_out(view).model_dump(), seats_sold=sold.get(view.show.id, 0))
        for view in views
    ]
    return ShowList(items=items, limit=limit, offset=offset)


@router.get("/shows/{show_id}", response_model=ShowDetailOut)
async def get_show(
    show_id: uuid.UUID, session: ReadSessionDep, settings: SettingsDep
) -> ShowDetailOut:
    """The show, with its movie, theatre (its terms too) and screen."""
    details = await service.get_show_details(session, show_id)
    return ShowDetailOut(
        **show_out(details.view).model_dump(),
        movie=movie_out(details.movie),
        theatre=theatre_out(details.theatre, settings),
        screen=ScreenName(id=details.view.show.screen_id, name=details.screen_name),
    )


@router.post(
    "/shows/{show_id}/cancel",
    response_model=ShowOut,
    responses={409: {"description": "Already cancelled, or already over"}},
)
async def cancel_show(
    show_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    now: NowDep,
    manager: ShowManagerDep,
) -> ShowOut:
    """Cancels the show at once (it reads CANCELLED and refuses holds from this moment), then
    cancels and refunds its bookings in batches that commit as they go; answers when all are
    done. If this process dies meanwhile, `boxoffice worker` finishes the job."""
    view = await service.cancel_show(session, show_id, now, manager.actor)
    await end_unit_of_work_early(session)
    await run_after_commit(session, request.app.state)  # the bookings' batches, awaited here
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
    request: Request,
    if_none_match: Annotated[str | None, Header(max_length=1000)] = None,
) -> Response:
    """Every seat with its position, price and status, and the map's `version`; ETag /
    If-None-Match → 304. Served from memory while nothing changed (no session, no query)."""
    state = request.app.state
    rendered = await service.seat_map(
        state.sessionmaker, state.seat_maps, show_id, state.clock.now()
    )
    return _seat_map_response(rendered, if_none_match)


# One event of the stream, as an SSE parser hands it over (OpenAPI 3.1: the per-event schema).
_SEAT_EVENT = {
    "type": "object",
    "required": ["event", "id", "data"],
    "properties": {
        "event": {"type": "string", "enum": ["snapshot", "seats", "show-cancelled"]},
        "id": {"type": "string", "description": "opaque; send back as Last-Event-ID"},
        "data": {"type": "string", "contentMediaType": "application/json"},
    },
}


@router.get(
    "/shows/{show_id}/seats/stream",
    response_class=Response,
    responses={
        429: {
            "description": "Too many streams from this address or on this server (too-many-streams)"
        },
        200: {
            "description": "Server-sent events: `snapshot` (the seat map), then `seats` "
            '(`{"version", "seats": [{"id", "status"}]}`, the seats that changed), '
            "`show-cancelled` (the stream ends); a comment line when quiet",
            "content": {"text/event-stream": {"schema": _SEAT_EVENT}},
        },
    },
)
async def seat_stream(
    show_id: uuid.UUID,
    request: Request,
    last_event_id: Annotated[str | None, Header(max_length=100)] = None,
) -> Response:
    """The seat map, then its changes as they happen. Reconnecting with `Last-Event-ID` gives
    what changed since, or a new snapshot. Holds no database connection while open. A stream
    ends after `SEAT_STREAM_MAX_SECONDS` (the client resumes with `Last-Event-ID`); past a cap
    on streams (per client address, per process) or on shows followed, 429."""
    feeds = request.app.state.seat_feeds
    return await feeds.stream(show_id, last_event_id, client_network(request))


def _seat_map_response(rendered: RenderedMap, if_none_match: str | None) -> Response:
    headers = {"ETag": rendered.etag, "Cache-Control": "no-cache"}
    if _etag_matches(if_none_match, rendered.etag):
        return Response(status_code=304, headers=headers)
    return Response(content=rendered.body, media_type="application/json", headers=headers)


_SEAT_MAP_PATH = re.compile(
    r"^/api/v1/shows/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/seats$", re.I
)
_SEAT_MAP_ROUTE = SimpleNamespace(path="/api/v1/shows/{show_id}/seats")  # for the access log


class SeatMapFromMemory:
    """ASGI, in front of the routes: answers GET /shows/{id}/seats from this process's memory
    when the map there is known to be current.

    An on-sale reads the map far more than anything else, and routing, validation and
    dependency solving cost several times what answering from memory does. Anything else (a
    map not in memory, no notifications arriving) goes on to `seat_map` above, which reads the
    database and fills the memory; both answer through `_seat_map_response`.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = None
        if scope["type"] == "http" and scope["method"] == "GET":
            found = _SEAT_MAP_PATH.match(scope["path"])
        if found is not None:
            state = scope["app"].state
            rendered = state.seat_maps.current(uuid.UUID(found[1]), state.clock.now())
            if rendered is not None:
                scope["route"] = _SEAT_MAP_ROUTE
                tag = dict(scope["headers"]).get(b"if-none-match", b"")[:1000].decode("latin-1")
                await _seat_map_response(rendered, tag or None)(scope, receive, send)
                return
        await self.app(scope, receive, send)
