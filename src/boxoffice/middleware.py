"""ASGI middleware: request id + access log + metrics, and the request body size limit."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Awaitable, Mapping
from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from boxoffice import metrics
from boxoffice.errors import PROBLEM_CONTENT_TYPE, PayloadTooLarge
from boxoffice.logs import get_logger

log = get_logger("boxoffice.http")


class RequestContextMiddleware:
    """Binds a request id to every log line of the request and records one access line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else None
        request_id = request_id or uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            route_path = getattr(route, "path", "unmatched")
            metrics.observe_request(scope["method"], route_path, status, elapsed)
            log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                route=route_path,
                status=status,
                duration_ms=round(elapsed * 1000, 2),
            )


class BodySizeLimitMiddleware:
    """Refuses bodies larger than the limit with 413: by the declared Content-Length, or, for a
    chunked body, by reading it here first (it is at most the limit, so buffering is cheap).

    Counting inside the app's own `receive` would not do: FastAPI turns any error raised while
    it reads the body into a 400.
    """

    def __init__(
        self, app: ASGIApp, max_bytes: int, larger: Mapping[re.Pattern[str], int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = dict(larger or {})  # paths whose bodies may be larger (a poster's image)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = next(
            (size for path, size in self.larger.items() if path.match(scope["path"])),
            self.max_bytes,
        )
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            # The server refuses a body longer than its Content-Length, so this is the size.
            if declared.isdigit() and int(declared) > limit:
                await _send_problem(send, PayloadTooLarge(_detail(limit)))
                return
            await self.app(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, replaying(message, receive), send)
                return
            body += message.get("body", b"")
            if len(body) > limit:
                await _send_problem(send, PayloadTooLarge(_detail(limit)))
                return
            if not message.get("more_body", False):
                break
        request = {"type": "http.request", "body": bytes(body), "more_body": False}
        await self.app(scope, replaying(request, receive), send)


def _detail(limit: int) -> str:
    return f"The request body is larger than {limit} bytes."


async def answer(request: Request, send: Send, work: Awaitable[Response]) -> None:
    """Runs `work` and sends its response, or what the app's exception handlers make of what
    it raised (a problem, a 503), exactly as for a route: for the lanes in front of the router
    (`bookings.endpoints.SalePathLane`, `payments.lane.WebhookLane`)."""
    try:
        response = await work
    except Exception as error:
        handlers = request.app.exception_handlers
        handler = next((handlers[k] for k in type(error).__mro__ if k in handlers), None)
        if handler is None:
            raise
        response = await handler(request, error)
    await response(request.scope, request.receive, send)


def replaying(first: Message, receive: Receive) -> Receive:
    """A `receive` that gives `first` once, then whatever the server sends next."""
    pending = [first]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay


async def _send_problem(send: Send, error: Any) -> None:
    body = json.dumps(error.to_problem()).encode()
    await send(
        {
            "type": "http.response.start",
            "status": error.status,
            "headers": [
                (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
