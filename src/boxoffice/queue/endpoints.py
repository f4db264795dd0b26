"""The on-sale queue's routes: a manager sets a show's queue; visitors join it, follow their
place (a read or a live stream) and are admitted; anyone checks the draw.

The visitor's place travels as its signed token (`tokens`), in the `X-Queue-Visitor` header or
the cookie the join sets (path-scoped to the show's queue, HttpOnly): a reload of the waiting
page keeps the place. Every route that may make the draw (the first after the opening) or record
an admission writes in the request's unit of work.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Header, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.catalogue.access import ShowManagerDep
from boxoffice.catalogue.endpoints import show_out
from boxoffice.catalogue.schemas import ShowOut
from boxoffice.dependencies import Limit, NowDep, Offset, ReadSessionDep, SessionDep, SettingsDep
from boxoffice.network import client_network
from boxoffice.queue import service
from boxoffice.queue.errors import VisitorUnknown
from boxoffice.queue.schemas import DrawnPlace, DrawnPlaces, DrawOut, PlaceOut, QueueSettingIn
from boxoffice.queue.stream import place_stream
from boxoffice.queue.tokens import VISITOR, BadToken, QueueKeys, admission_token, visitor_token
from boxoffice.ratelimit import enforce

router = APIRouter(tags=["queue"])

QUEUE_PATH = "/shows/{show_id}/queue"
COOKIE = "bx_queue"
VisitorHeader = Annotated[str | None, Header(alias="X-Queue-Visitor", max_length=1000)]
VisitorCookie = Annotated[str | None, Cookie(alias=COOKIE, max_length=1000)]
_MANAGE: dict[int | str, dict[str, Any]] = {
    409: {"description": "The queue has opened (its opening stands), or the show is over"},
    422: {"description": "opens_at not in the future, or not before the show starts"},
}
_PLACE: dict[int | str, dict[str, Any]] = {
    403: {"description": "No place of this show's queue (`queue-place-unknown`)"}
}


def _keys(request: Request) -> QueueKeys:
    keys: QueueKeys = request.app.state.queue_keys
    return keys


@router.put(QUEUE_PATH, response_model=ShowOut, responses=_MANAGE)
async def set_queue(
    show_id: uuid.UUID,
    body: QueueSettingIn,
    session: SessionDep,
    now: NowDep,
    _manager: ShowManagerDep,
) -> ShowOut:
    """Sells the show through a fair queue opening at `opens_at` (manager of its theatre, or
    admin): visitors who join before are drawn in a random order then, later ones queue after
    them; holds need the admission the queue gives (`X-Admission-Token`)."""
    return show_out(await service.set_opening(session, show_id, body.opens_at, now))


@router.delete(QUEUE_PATH, response_model=ShowOut, responses=_MANAGE)
async def lift_queue(
    show_id: uuid.UUID, session: SessionDep, now: NowDep, _manager: ShowManagerDep
) -> ShowOut:
    """Puts the show on sale to all, without a queue (within a minute in every process)."""
    return show_out(await service.set_opening(session, show_id, None, now))


@router.post(
    QUEUE_PATH,
    status_code=201,
    response_model=PlaceOut,
    responses={
        404: {"description": "No such show"},
        409: {"description": "Not queued (`show-not-queued`), or cancelled or started"},
        429: {"description": "Too many places taken from this address"},
    },
)
async def join_queue(
    show_id: uuid.UUID,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> PlaceOut:
    """A place in the show's queue: before the opening, in the draw (the position comes then);
    after it, the next place. Keep `visitor_token` (also set as a cookie) to follow it."""
    await limit_joins(request)
    place = await service.join(session, show_id, now, settings)
    token = await visitor_token(_keys(request), show_id, place.visitor_id, now, session)
    keep_place(request, response, token)
    return await place_out(request, session, place, now, token)


async def limit_joins(request: Request) -> None:
    """Joins per client address (`RATE_LIMIT_QUEUE_JOINS`), counted once per request whichever
    door (the lane, then the route) answers it."""
    if getattr(request.state, "queue_join_counted", False):
        return
    request.state.queue_join_counted = True
    await enforce(request, "queue.join", "rate_limit_queue_joins", f"ip:{client_network(request)}")


def keep_place(request: Request, response: Response, token: str) -> None:
    """The place as a cookie the show's queue routes (and only they) receive: HttpOnly, so no
    script reads it; a reload of the waiting page keeps the place."""
    response.set_cookie(
        COOKIE,
        token,
        path=request.url.path,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        max_age=7 * 86_400,
    )


async def _visitor(
    request: Request,
    show_id: uuid.UUID,
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
    if claims.show_id != show_id:
        raise VisitorUnknown("This place is in another show's queue.")
    return claims.visitor_id


async def place_out(
    request: Request,
    session: AsyncSession | None,
    place: service.Place,
    now: Any,
    visitor: str | None = None,
) -> PlaceOut:
    token = None
    if place.state == service.State.ADMITTED:
        assert place.admission_expires_at is not None
        expires = place.admission_expires_at
        keys = _keys(request)
        token = await admission_token(keys, place.show_id, place.visitor_id, expires, now, session)
    return PlaceOut(**vars(place), admission_token=token, visitor_token=visitor)


async def read_place(
    session: AsyncSession, request: Request, show_id: uuid.UUID, visitor_id: uuid.UUID
) -> tuple[service.Place, PlaceOut]:
    now = request.app.state.clock.now()
    place = await service.place_of(session, show_id, visitor_id, now, request.app.state.settings)
    if place is None:
        raise VisitorUnknown("This place is not in this show's queue (any more).")
    return place, await place_out(request, session, place, now)


@router.get(QUEUE_PATH + "/me", response_model=PlaceOut, responses=_PLACE)
async def my_place(
    show_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    x_queue_visitor: VisitorHeader = None,
    bx_queue: VisitorCookie = None,
) -> PlaceOut:
    """The caller's place now: position, how many are ahead, an estimate; once admitted, the
    admission token for holds (the same admission on every read until it runs out)."""
    visitor_id = await _visitor(request, show_id, x_queue_visitor, bx_queue, session)
    return (await read_place(session, request, show_id, visitor_id))[1]


@router.get(
    QUEUE_PATH + "/stream",
    response_class=Response,
    responses={
        **_PLACE,
        200: {
            "description": "Server-sent events `place` (a PlaceOut, when it changes), the last "
            "one ADMITTED, EXPIRED or OPEN; a comment line when quiet",
            "content": {"text/event-stream": {}},
        },
        429: {"description": "Too many streams from this address or on this server"},
    },
)
async def place_events(
    show_id: uuid.UUID,
    request: Request,
    x_queue_visitor: VisitorHeader = None,
    bx_queue: VisitorCookie = None,
) -> Response:
    """The caller's place, live: sent when it changes, until admitted. It holds no database
    connection while it waits (the place moves by the pace, computed here); a stream ends after
    `SEAT_STREAM_MAX_SECONDS` (reconnect: the place is sent again at once)."""
    visitor_id = await _visitor(request, show_id, x_queue_visitor, bx_queue)
    return await place_stream(request, show_id, visitor_id, read_place)


@router.get(
    QUEUE_PATH + "/draw",
    response_model=DrawOut,
    responses={404: {"description": "No draw yet (`draw-not-made`)"}},
)
async def get_draw(show_id: uuid.UUID, session: ReadSessionDep) -> DrawOut:
    """The draw, once made: its seed and how positions follow from it, so that anyone can
    check it (with the places, `GET .../queue/draw/places`)."""
    draw = await service.draw_of(session, show_id)
    return DrawOut(
        show_id=show_id,
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
    found = await service.drawn_places(session, show_id, limit, offset)
    items = [DrawnPlace(position=position, visitor_id=visitor) for position, visitor in found]
    return DrawnPlaces(items=items, limit=limit, offset=offset)
