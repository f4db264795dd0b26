"""The crowd's requests answered in front of the router (PostgreSQL: the app factory adds the
lane there, where a crowd comes to many processes): a join before the opening, and a placed
visitor's read of its place.

`POST /shows/{id}/queue` (or `/onsales/{id}/queue`) is what thousands of visitors send in the
seconds before an on-sale opens, and `GET .../queue/me` what they all ask just after: routing,
dependency solving and the ORM cost several times the work itself (`make bench`, the
`onsale_queue` phase). The lane does each in one statement on an autocommit connection (a first
admission: one more, once), the joins before the opening many in one (`batches`), signs with
the keys this process keeps, and answers as the routes do (the same `PlaceOut`, the same
cookie). Anything else (the queue has opened, no place yet,
no draw yet, a token that is not this queue's, a refusal) goes on to the routes, which answer
it the usual way.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from fastapi import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from boxoffice.config import Settings
from boxoffice.db.engine import autocommit_connection
from boxoffice.middleware import answer
from boxoffice.queue import repository, service
from boxoffice.queue.endpoints import (
    COOKIE,
    ONSALE_QUEUE_PATH,
    QUEUE_PATH,
    keep_place,
    limit_joins,
    place_out,
)
from boxoffice.queue.models import QueueDraw, QueueVisitor
from boxoffice.queue.service import ONSALES, SHOWS, Door
from boxoffice.queue.tokens import VISITOR, BadToken, visitor_token

_UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


class QueueLane:
    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        pattern = re.escape(prefix) + f"/({SHOWS}|{ONSALES})/({_UUID})/queue(/me)?$"
        self.path = re.compile(pattern, re.I)
        # As the access log names them.
        self.routes = {
            (door, method): SimpleNamespace(path=prefix + path + tail)
            for door, path in ((SHOWS, QUEUE_PATH), (ONSALES, ONSALE_QUEUE_PATH))
            for method, tail in (("POST", ""), ("GET", "/me"))
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = None
        if scope["type"] == "http" and scope["method"] in ("POST", "GET"):
            found = self.path.match(scope["path"])
        me = found is not None and found[3] is not None
        if found is None or me != (scope["method"] == "GET"):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        door = Door(found[1].lower(), uuid.UUID(found[2]))
        try:
            response = await (_my_place(request, door) if me else _join(request, door))
        except Exception as error:  # answered by the app's handlers, as a route's would be
            await answer(request, send, _raising(error))
            return
        if response is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = self.routes[(door.kind, scope["method"])]
        await response(scope, receive, send)


async def _join(request: Request, door: Door) -> Response | None:
    state = request.app.state
    await limit_joins(request)
    now, visitor_id = state.clock.now(), uuid.uuid4()
    early = await state.queue_joins.join(door, visitor_id, now)
    if early is not None:
        onsale_id, opens_at = early
        place = service.in_draw(onsale_id, visitor_id, opens_at, now)
    else:
        async with _connection(state) as connection:
            late = await repository.join_after_draw(connection, door.kind, door.id, visitor_id, now)
            if late is None:
                return None
            place = await _admitted_if_due(connection, *late, now, state.settings)
    token = await visitor_token(state.queue_keys, place.onsale_id, visitor_id, now)
    body = (await place_out(request, None, place, now, door, token)).model_dump_json()
    response = Response(body, status_code=201, media_type="application/json")
    keep_place(request, response, token)
    return response


async def _my_place(request: Request, door: Door) -> Response | None:
    state = request.app.state
    token = request.headers.get("x-queue-visitor") or request.cookies.get(COOKIE)
    if token is None:
        return None
    now = state.clock.now()
    try:
        claims = await state.queue_keys.verify(VISITOR, token, now)
    except BadToken:
        return None
    if door.kind == ONSALES and claims.onsale_id != door.id:
        return None
    async with _connection(state) as connection:
        found = await repository.placed_visitor(connection, door.kind, door.id, claims.visitor_id)
        if found is None:
            return None
        place = await _admitted_if_due(connection, *found, now, state.settings)
    body = (await place_out(request, None, place, now, door)).model_dump_json()
    return Response(body, media_type="application/json")


@asynccontextmanager
async def _connection(state: Any) -> AsyncIterator[Any]:
    """A pooled connection, once one of the lane's slots is free (`queue_lane_slots`: a crowd's
    reads just after the opening wait their turn here, in order, rather than in the pool, where
    SQLAlchemy closes a connection given back to a full pool: under such a crowd, every
    connection was soon a new one, a PostgreSQL fork and a handshake per few reads)."""
    async with state.queue_lane_slots, autocommit_connection(state.engine) as connection:
        yield connection


async def _admitted_if_due(
    connection: Any, visitor: QueueVisitor, draw: QueueDraw, now: datetime, settings: Settings
) -> service.Place:
    """The place; once its time has come, with its admission, recorded the first time."""
    place = service.place_in_queue(visitor, draw, now)
    if place.state != service.State.ADMITTED:
        return place
    admitted_at = visitor.admitted_at or await repository.mark_admitted_on(
        connection, visitor.id, now
    )
    return service.with_admission(place, admitted_at, now, settings)


async def _raising(error: Exception) -> Response:
    raise error
