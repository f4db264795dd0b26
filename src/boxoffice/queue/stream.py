"""A visitor's place as server-sent events (`GET /shows/{id}/queue/stream`, or the on-sale's).

The place is read from the database when the stream opens and when only the database can say
what it is now (the draw or the admission is due); in between it moves by the pace, computed
here (`service.moved`), and the stream holds no connection of the pool. Each event is the whole
place (a `PlaceOut`), sent when it changed; the last is `ADMITTED` (with the admission token),
`EXPIRED` or `OPEN`, and the stream ends. A reconnecting client gets the place again at once
(`Last-Event-ID` is not needed). Streams count against the same caps as the seat streams
(`catalogue.streamquota`, a quota of their own per process); a stream lives
`SEAT_STREAM_MAX_SECONDS` at most. When many wait for the same moment (the opening), each wakes
within a tick of it at random, so that the reads spread.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response, StreamingResponse

from boxoffice.catalogue.streamquota import StreamQuota
from boxoffice.db.unit_of_work import unit_of_work
from boxoffice.network import client_network
from boxoffice.queue import service
from boxoffice.queue.schemas import PlaceOut

ReadPlace = Callable[
    [AsyncSession, Request, service.Door, uuid.UUID], Awaitable[tuple[service.Place, PlaceOut]]
]
FINAL = {service.State.ADMITTED, service.State.EXPIRED, service.State.OPEN}
KEEP_ALIVE = b": keep-alive\n\n"


def place_quota(request: Request) -> StreamQuota:
    """This process's quota of place streams, made on first use."""
    state = request.app.state
    quota: StreamQuota | None = getattr(state, "queue_streams", None)
    if quota is None:
        quota = state.queue_streams = StreamQuota.from_settings(state.settings)
    return quota


async def place_stream(
    request: Request, door: service.Door, visitor_id: uuid.UUID, read: ReadPlace
) -> Response:
    state = request.app.state
    async with unit_of_work(state) as session:
        place, out = await read(session, request, door, visitor_id)
    quota, client = place_quota(request), client_network(request)
    quota.admit(client)
    return StreamingResponse(
        _events(request, door, visitor_id, read, place, out, quota, client),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _events(
    request: Request,
    door: service.Door,
    visitor_id: uuid.UUID,
    read: ReadPlace,
    place: service.Place,
    out: PlaceOut,
    quota: StreamQuota,
    client: str,
) -> AsyncIterator[bytes]:
    state = request.app.state
    settings, clock = state.settings, state.clock
    tick = settings.queue_stream_tick_seconds
    ends = time.monotonic() + settings.seat_stream_max_seconds
    sent, number = "", 0
    try:
        while True:
            data = out.model_dump_json()
            if data != sent:
                number += 1
                sent = data
                yield b"event: place\nid: %d\ndata: %s\n\n" % (number, data.encode())
            else:
                yield KEEP_ALIVE
            if place.state in FINAL or time.monotonic() >= ends:
                return
            await asyncio.sleep(_pause(place, clock.now(), tick))
            if await request.is_disconnected():
                return
            now = clock.now()
            later = service.moved(place, now)
            if later is not None:
                place, out = later, PlaceOut(**vars(later), show_id=door.show_id)
                continue
            async with unit_of_work(state) as session:
                place, out = await read(session, request, door, visitor_id)
    finally:
        quota.release(client)


def _pause(place: service.Place, now: datetime, tick: float) -> float:
    """Until the next tick, or just after the moment the place changes (the opening, the
    admission) when that comes first, spread over a tick so that a crowd's reads spread."""
    due = place.opens_at if place.state == service.State.IN_DRAW else place.admit_at
    if due is None:
        return tick
    until = (due - now).total_seconds()
    if until > tick:
        return tick
    return max(0.0, until) + random.uniform(0, tick)
