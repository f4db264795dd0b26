"""The on-sale queue's visitor routes: visitors join a queue, follow their place (a read or a
live stream) and are admitted; anyone checks the draw. Each route has two doors: a show's
(`/shows/{id}/queue...`, which leads to the on-sale the show sells through: a show's own queue
is an on-sale of that one show) and an on-sale's (`/onsales/{id}/queue...`); either leads to
the same queue, with one place per visitor. (Managers set queues up: `onsale_endpoints`.)

The visitor's place travels as its signed token (`tokens`), in the `X-Queue-Visitor` header or
the cookie the join sets (path-scoped to the queue's routes of the door it came by, HttpOnly): a
reload of the waiting page keeps the place. Every route that may make the draw (the first after
the opening) or record an admission writes in the request's unit of work.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Header, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.config import Settings
from boxoffice.dependencies import Limit, NowDep, Offset, ReadSessionDep, SessionDep, SettingsDep
from boxoffice.network import client_network
from boxoffice.queue import service
from boxoffice.queue.errors import VisitorUnknown
from boxoffice.queue.schemas import DrawnPlace, DrawnPlaces, DrawOut, PlaceOut
from boxoffice.queue.service import ONSALES, SHOWS, Door
from boxoffice.queue.stream import place_stream
from boxoffice.queue.tokens import VISITOR, BadToken, QueueKeys, admission_token, visitor_token
from boxoffice.ratelimit import enforce

router = APIRouter(tags=["queue"])

QUEUE_PATH = "/shows/{show_id}/queue"
ONSALE_QUEUE_PATH = "/onsales/{onsale_id}/queue"
COOKIE = "bx_queue"
VisitorHeader = Annotated[str | None, Header(alias="X-Queue-Visitor", max_length=1000)]
VisitorCookie = Annotated[str | None, Cookie(alias=COOKIE, max_length=1000)]
_JOIN: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such show or on-sale"},
    409: {"description": "Not queued (`show-not-queued`), or cancelled or started"},
    429: {"description": "Too many places taken from this address"},
}
_PLACE: dict[int | str, dict[str, Any]] = {
    403: {"description": "No place of this queue (`queue-place-unknown`)"}
}
_STREAM: dict[int | str, dict[str, Any]] = {
    **_PLACE,
    200: {
        "description": "Server-sent events `place` (a PlaceOut, when it changes), the last "
        "one ADMITTED, EXPIRED or OPEN; a comment line when quiet",
        "content": {"text/event-stream": {}},
    },
    429: {"description": "Too many streams from this address or on this server"},
}
_DRAW: dict[int | str, dict[str, Any]] = {404: {"description": "No draw yet (`draw-not-made`)"}}


def _keys(request: Request) -> QueueKeys:
    keys: QueueKeys = request.app.state.queue_keys
    return keys


@router.post(QUEUE_PATH, status_code=201, response_model=PlaceOut, responses=_JOIN)
async def join_queue(
    show_id: uuid.UUID,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> PlaceOut:
    """A place in the queue of the show's on-sale: before the opening, in the draw (the
    position comes then); after it, the next place. Keep `visitor_token` (also set as a cookie)
    to follow it."""
    return await _join(Door(SHOWS, show_id), request, response, session, settings, now)


@router.post(ONSALE_QUEUE_PATH, status_code=201, response_model=PlaceOut, responses=_JOIN)
async def join_onsale_queue(
    onsale_id: uuid.UUID,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> PlaceOut:
    """A place in the on-sale's queue, as by any of its shows (`POST /shows/{id}/queue`)."""
    return await _join(Door(ONSALES, onsale_id), request, response, session, settings, now)


async def _join(
    door: Door,
    request: Request,
    response: Response,
    session: AsyncSession,
    settings: Settings,
    now: datetime,
) -> PlaceOut:
    await limit_joins(request)
    place = await service.join(session, door, now, settings)
    token = await visitor_token(_keys(request), place.onsale_id, place.visitor_id, now, session)
    keep_place(request, response, token)
    return await place_out(request, session, place, now, door, token)


async def limit_joins(request: Request) -> None:
    """Joins per client address (`RATE_LIMIT_QUEUE_JOINS`), counted once per request whichever
    door (the lane, then the route) answers it."""
    # The request's state as a dict (what `request.state` keeps): asking `request.state` for an
    # attribute it lacks raises inside, a twentieth of a crowd's join.
    state = request.scope.setdefault("state", {})
    if state.get("queue_join_counted", False):
        return
    state["queue_join_counted"] = True
    await enforce(request, "queue.join", "rate_limit_queue_joins", f"ip:{client_network(request)}")


def keep_place(request: Request, response: Response, token: str) -> None:
    """The place as a cookie the queue's routes by this door (and only they) receive: HttpOnly,
    so no script reads it; a reload of the waiting page keeps the place."""
    # The scope's path and scheme, as `request.url` has them (a route's path has nothing to
    # escape), without making the whole URL for them.
    response.set_cookie(
        COOKIE,
        token,
        path=request.scope["path"],
        httponly=True,
        samesite="lax",
        secure=request.scope.get("scheme") == "https",
        max_age=7 * 86_400,
    )


async def _visitor(
    request: Request,
    door: Door,
    header: str | None,
    cookie: str | None,
    session: AsyncSession | None = None,
) -> uuid.UUID:
    token = header or cookie
    if token is None:
        raise VisitorUnknown("Join the queue first: no X-Queue-Visitor and no queue cookie.")
    try:
        now = request.app.state.clock.now()
        claims = await _keys(request).verify(VISITOR, token, now, session)
    except BadToken:
        raise VisitorUnknown("This is not a place of a queue of ours.") from None
    if door.kind == ONSALES and claims.onsale_id != door.id:
        raise VisitorUnknown("This place is in another on-sale's queue.")
    return claims.visitor_id  # by a show: its on-sale's, as `service.place_of` checks


async def place_out(
    request: Request,
    session: AsyncSession | None,
    place: service.Place,
    now: datetime,
    door: Door,
    visitor: str | None = None,
) -> PlaceOut:
    token = None
    if place.state == service.State.ADMITTED:
        assert place.admission_expires_at is not None
        expires, keys = place.admission_expires_at, _keys(request)
        token = await admission_token(
            keys, place.onsale_id, place.visitor_id, expires, now, session
        )
    return PlaceOut(
        **vars(place), show_id=door.show_id, admission_token=token, visitor_token=visitor
    )


async def read_place(
    session: AsyncSession, request: Request, door: Door, visitor_id: uuid.UUID
) -> tuple[service.Place, PlaceOut]:
    now = request.app.state.clock.now()
    place = await service.place_of(session, door, visitor_id, now, request.app.state.settings)
    if place is None:
        raise VisitorUnknown("This place is not in this queue (any more).")
    return place, await place_out(request, session, place, now, door)


@router.get(QUEUE_PATH + "/me", response_model=PlaceOut, responses=_PLACE)
async def my_place(
    show_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    x_queue_visitor: VisitorHeader = None,
    bx_queue: VisitorCookie = None,
) -> PlaceOut:
    """The caller's place now: position, how many are ahead, an estimate; once admitted, the
    admission token for holds of any show of the on-sale (the same admission on every read
    until it runs out)."""
    door = Door(SHOWS, show_id)
    visitor_id = await _visitor(request, door, x_queue_visitor, bx_queue, session)
    return (await read_place(session, request, door, visitor_id))[1]


@router.get(ONSALE_QUEUE_PATH + "/me", response_model=PlaceOut, responses=_PLACE)
async def my_onsale_place(
    onsale_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    x_queue_visitor: VisitorHeader = None,
    bx_queue: VisitorCookie = None,
) -> PlaceOut:
    """The caller's place in the on-sale's queue now (as `GET /shows/{id}/queue/me`)."""
    door = Door(ONSALES, onsale_id)
    visitor_id = await _visitor(request, door, x_queue_visitor, bx_queue, session)
    return (await read_place(session, request, door, visitor_id))[1]


@router.get(QUEUE_PATH + "/stream", response_class=Response, responses=_STREAM)
async def place_events(
    show_id: uuid.UUID,
    request: Request,
    x_queue_visitor: VisitorHeader = None,
    bx_queue: VisitorCookie = None,
) -> Response:
    """The caller's place, live: sent when it changes, until admitted. It holds no database
    connection while it waits (the place moves by the pace, computed here); a stream ends after
    `SEAT_STREAM_MAX_SECONDS` (reconnect: the place is sent again at once)."""
    door = Door(SHOWS, show_id)
    visitor_id = await _visitor(request, door, x_queue_visitor, bx_queue)
    return await place_stream(request, door, visitor_id, read_place)


@router.get(ONSALE_QUEUE_PATH + "/stream", response_class=Response, responses=_STREAM)
async def onsale_place_events(
    onsale_id: uuid.UUID,
    request: Request,
    x_queue_visitor: VisitorHeader = None,
    bx_queue: VisitorCookie = None,
) -> Response:
    """The caller's place in the on-sale's queue, live (as `GET /shows/{id}/queue/stream`)."""
    door = Door(ONSALES, onsale_id)
    visitor_id = await _visitor(request, door, x_queue_visitor, bx_queue)
    return await place_stream(request, door, visitor_id, read_place)


@router.get(QUEUE_PATH + "/draw", response_model=DrawOut, responses=_DRAW)
async def get_draw(show_id: uuid.UUID, session: ReadSessionDep) -> DrawOut:
    """The draw of the show's on-sale, once made: its seed and how positions follow from it, so
    that anyone can check it (with the places, `GET .../queue/draw/places`)."""
    return await _draw(session, Door(SHOWS, show_id))


@router.get(ONSALE_QUEUE_PATH + "/draw", response_model=DrawOut, responses=_DRAW)
async def get_onsale_draw(onsale_id: uuid.UUID, session: ReadSessionDep) -> DrawOut:
    """The on-sale's draw, once made (as `GET /shows/{id}/queue/draw`)."""
    return await _draw(session, Door(ONSALES, onsale_id))


async def _draw(session: AsyncSession, door: Door) -> DrawOut:
    draw = await service.draw_of(session, door)
    return DrawOut(
        onsale_id=draw.onsale_id,
        show_id=door.show_id,
        opens_at=draw.opens_at,
        drawn_at=draw.drawn_at,
        seed=draw.seed,
        algorithm=service.ALGORITHM,
        drawn=draw.drawn,
        admit_per_second=1_000_000 / draw.step_us,
    )


@router.get(QUEUE_PATH + "/draw/places", response_model=DrawnPlaces)
async def drawn_places(
    show_id: uuid.UUID, session: ReadSessionDep, limit: Limit = 50, offset: Offset = 0
) -> DrawnPlaces:
    """The draw's places by position: each visitor id with the position it drew."""
    return await _places(session, Door(SHOWS, show_id), limit, offset)


@router.get(ONSALE_QUEUE_PATH + "/draw/places", response_model=DrawnPlaces)
async def onsale_drawn_places(
    onsale_id: uuid.UUID, session: ReadSessionDep, limit: Limit = 50, offset: Offset = 0
) -> DrawnPlaces:
    """The on-sale's draw's places by position (as `GET /shows/{id}/queue/draw/places`)."""
    return await _places(session, Door(ONSALES, onsale_id), limit, offset)


async def _places(session: AsyncSession, door: Door, limit: int, offset: int) -> DrawnPlaces:
    found = await service.drawn_places(session, door, limit, offset)
    items = [DrawnPlace(position=position, visitor_id=visitor) for position, visitor in found]
    return DrawnPlaces(items=items, limit=limit, offset=offset)
