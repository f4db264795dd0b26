"""The crowd's request, a join before the opening, answered in front of the router (PostgreSQL:
the app factory adds the lane there, where a crowd of many processes joins).

`POST /shows/{id}/queue` is what thousands of visitors send in the seconds before an on-sale
opens: routing, dependency solving and the ORM cost several times the join itself (`make bench`,
the `onsale_queue` phase). The lane checks the show and inserts the place in one statement on
an autocommit connection, signs the visitor's token with the keys this process keeps, and
answers as the route does (the same `PlaceOut`, the same cookie). Anything else (the queue has
opened, no such show, not queued, a refusal) goes on to the route, which answers it the usual
way.
"""

from __future__ import annotations

import re
import uuid
from types import SimpleNamespace

from fastapi import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from boxoffice.db.engine import autocommit_connection
from boxoffice.middleware import answer
from boxoffice.network import client_network
from boxoffice.queue import repository, service
from boxoffice.queue.endpoints import QUEUE_PATH, keep_place
from boxoffice.queue.schemas import PlaceOut
from boxoffice.queue.tokens import visitor_token
from boxoffice.ratelimit import enforce

_UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


class QueueJoinLane:
    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        pattern = re.escape(prefix) + QUEUE_PATH.replace("{show_id}", f"({_UUID})") + "$"
        self.path = re.compile(pattern, re.I)
        self.route = SimpleNamespace(path=prefix + QUEUE_PATH)  # as the access log names it

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = None
        if scope["type"] == "http" and scope["method"] == "POST":
            found = self.path.match(scope["path"])
        if found is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await _join(request, uuid.UUID(found[1]))
        except Exception as error:  # answered by the app's handlers, as a route's would be
            await answer(request, send, _raising(error))
            return
        if response is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = self.route
        await response(scope, receive, send)


async def _join(request: Request, show_id: uuid.UUID) -> Response | None:
    state = request.app.state
    await enforce(request, "queue.join", "rate_limit_queue_joins", f"ip:{client_network(request)}")
    now, visitor_id = state.clock.now(), uuid.uuid4()
    async with autocommit_connection(state.engine) as connection:
        opens_at = await repository.join_before_opening(connection, show_id, visitor_id, now)
    if opens_at is None:
        return None
    token = await visitor_token(state.queue_keys, show_id, visitor_id, now)
    place = service.in_draw(show_id, visitor_id, opens_at, now)
    body = PlaceOut(**vars(place), visitor_token=token).model_dump_json()
    response = Response(body, status_code=201, media_type="application/json")
    keep_place(request, response, token)
    return response


async def _raising(error: Exception) -> Response:
    raise error
