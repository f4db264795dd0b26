from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from pydantic import TypeAdapter
from starlette.types import ASGIApp, Receive, Scope, Send

from boxoffice.accounts.dependencies import (
    AdminDep,
    Principal,
    PrincipalDep,
    TokenPrincipalDep,
    principal_from_token,
)
from boxoffice.bookings import service
from boxoffice.bookings.schemas import (
    BookingList,
    BookingOut,
    ChosenBookingOut,
    HoldRequest,
    booking_document,
)
from boxoffice.config import Settings
from boxoffice.dependencies import (
    IdempotencyKey,
    Limit,
    NowDep,
    Offset,
    SessionDep,
    SettingsDep,
    unit_of_work,
)
from boxoffice.errors import InvalidInput, Unauthenticated
from boxoffice.idempotency import request_fingerprint, respond_once
from boxoffice.middleware import replaying as _replay
from boxoffice.network import client_network
from boxoffice.ratelimit import enforce, rate_limited

router = APIRouter(tags=["bookings"])


@router.post(
    "/bookings",
    status_code=201,
    response_model=BookingOut,
    dependencies=[rate_limited("bookings.hold", "rate_limit_holds", key="principal")],
    responses={
        201: {
            "description": "Held. With `quantity` (best available), also `adjacent`",
            "model": ChosenBookingOut,
        },
        409: {
            "description": "Seats unavailable (`unavailable_seat_ids`), not enough matching "
            "seats free (`not-enough-seats`, `available`), show not on sale"
        },
        422: {
            "description": "Empty, duplicate, unknown or too many seat ids; quantity above "
            "MAX_SEATS_PER_BOOKING; both or neither of seat_ids and quantity"
        },
        429: {
            "description": "Too many holds or seats held at once, or the server is saturated "
            "(`Retry-After`)"
        },
    },
)
async def hold_seats(
    body: HoldRequest,
    request: Request,
    principal: TokenPrincipalDep,
    settings: SettingsDep,
    now: NowDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Hold seats of a show for a few minutes: all of them, or none (409). Name the seats
    (`seat_ids`), or ask for the best `quantity` seats (`seat_type`, `max_price` optional):
    side by side in one row, stranding no single seat, nearest the screen's sweet spot.

    The on-sale's hottest route (see also `SalePathLane`, which answers it in front of the
    router). On PostgreSQL, without an Idempotency-Key, it takes no session and no transaction
    of ours: the hold is one statement in autocommit, and the answer is encoded once, straight
    from the booking. With a key, the key's record must commit with the hold, so both go through
    one unit of work (on SQLite, always).
    """
    return await _hold(request.app.state, body, principal, client_network(request), idempotency_key)


async def _hold(
    state: Any,
    body: HoldRequest,
    principal: Principal,
    client_ip: str,
    idempotency_key: str | None,
) -> Response:
    settings: Settings = state.settings
    now = state.clock.now()
    _check_size(body, settings)
    wanted = body.wanted
    best = None
    if wanted is not None:
        current = state.seat_maps.current(body.show_id, now)
        best = service.BestSeatsWanted(
            principal, body.show_id, wanted, now, settings, client_ip, current
        )
    if idempotency_key is None and not settings.is_sqlite:
        async with state.sale_admission.slot():
            if best is None:
                assert body.seat_ids is not None
                view = await service.hold_seats_at_once(
                    state.engine, principal, body.show_id, body.seat_ids, now, settings, client_ip
                )
                adjacent = None
            else:
                chosen = await service.hold_best_seats_at_once(
                    state.engine, state.seat_chooser, best
                )
                view, adjacent = chosen.view, chosen.adjacent
        _seats_changed(state, body.show_id)
        return _booking_response(view, now, 201, adjacent)

    async with state.sale_admission.slot(), unit_of_work(state) as session:

        async def hold() -> tuple[int, BookingOut]:
            if best is None:
                assert body.seat_ids is not None
                view = await service.hold_seats(
                    session, principal, body.show_id, body.seat_ids, now, settings, client_ip
                )
                return 201, BookingOut.of(view, now)
            chosen = await service.hold_best_seats(session, state.seat_chooser, best)
            document = booking_document(chosen.view, now)
            return 201, ChosenBookingOut.model_validate({**document, "adjacent": chosen.adjacent})

        response = await respond_once(
            session,
            customer=principal.actor,
            endpoint="POST /bookings",
            key=idempotency_key,
            fingerprint=request_fingerprint(body),
            now=now,
            operation=hold,
        )
    _seats_changed(state, body.show_id)
    return response


def _check_size(body: HoldRequest, settings: Settings) -> None:
    limit = settings.max_seats_per_booking
    if body.seat_ids is not None:
        if len(set(body.seat_ids)) != len(body.seat_ids):
            raise InvalidInput("seat_ids lists a seat more than once.")
        asked = len(body.seat_ids)
    else:
        assert body.quantity is not None
        asked = body.quantity
    if asked > limit:
        raise InvalidInput(
            f"At most {limit} seats can be held in one booking.", max_seats_per_booking=limit
        )


@router.get("/bookings/{booking_id}", response_model=BookingOut)
async def get_booking(
    booking_id: uuid.UUID, principal: PrincipalDep, session: SessionDep, now: NowDep
) -> BookingOut:
    """A booking of yours (or any, for an admin); another customer's reads as 404."""
    return BookingOut.of(await service.get_booking(session, principal, booking_id), now)


@router.post(
    "/bookings/{booking_id}/cancel",
    response_model=BookingOut,
    responses={409: {"description": "Not cancellable in its state, or past the cut-off"}},
)
async def cancel_booking(
    booking_id: uuid.UUID,
    request: Request,
    principal: TokenPrincipalDep,
    settings: SettingsDep,
    now: NowDep,
) -> Response:
    """Cancel: a hold frees its seats; a paid booking is refunded."""
    return await _cancel(request.app.state, booking_id, principal)


async def _cancel(state: Any, booking_id: uuid.UUID, principal: Principal) -> Response:
    now = state.clock.now()
    async with state.sale_admission.slot():
        at_once = not state.settings.is_sqlite and service.cancels_holds_at_once()
        view = (
            await service.cancel_hold_at_once(state.engine, principal, booking_id, now)
            if at_once
            else None
        )
        if view is None:
            async with unit_of_work(state) as session:
                view = await service.cancel_booking(
                    session, principal, booking_id, now, state.settings, live_hold_ruled_out=at_once
                )
    _seats_changed(state, view.booking.show_id)
    return _booking_response(view, now)


def _seats_changed(state: Any, show_id: uuid.UUID) -> None:
    """After a sale-path write committed: this process's seat map reads it at once, the other
    processes' within milliseconds (PostgreSQL). Announced through the seat listener's own
    connection, gathered with the other writes of the moment, rather than by a NOTIFY of the
    request's own: that was a round trip a hold, and inside the hold's transaction it halved
    the database's holds/s (a NOTIFY takes a database-wide lock at commit)."""
    state.seat_maps.changed(show_id)
    if state.seat_listener is not None:
        state.seat_listener.announce(str(show_id))


def _booking_response(
    view: service.BookingView, now: datetime, status: int = 200, adjacent: bool | None = None
) -> Response:
    """The booking encoded once, straight from plain data (orjson: no model layers); with
    `adjacent` when the server chose its seats (best available)."""
    document = booking_document(view, now)
    if adjacent is not None:
        document["adjacent"] = adjacent
    return Response(orjson.dumps(document), status_code=status, media_type="application/json")


_CANCEL_PATH = re.compile(
    r"^/api/v1/bookings/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/cancel$",
    re.I,
)
_HOLD_ROUTE = SimpleNamespace(path="/api/v1/bookings")  # how the access log names them
_CANCEL_ROUTE = SimpleNamespace(path="/api/v1/bookings/{booking_id}/cancel")
_HOLD_BODY = TypeAdapter(HoldRequest)


class SalePathLane:
    """ASGI, in front of the router: a hold and a cancel, on their usual path, without FastAPI's
    routing, dependency solving and exception middleware.

    Measured (`make bench --profile`), those cost more API CPU than the hold itself. The lane
    answers exactly as `hold_seats` and `cancel_booking` do, through the same `_hold` and
    `_cancel`, the same token check, rate limit and exception handlers. Whatever it does not
    take on (an Idempotency-Key, no or a bad token, a body that does not parse) goes on to
    those routes, which produce every refusal the usual way.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        cancel = _CANCEL_PATH.match(scope["path"])
        if scope["path"] != "/api/v1/bookings" and cancel is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        state = request.app.state
        try:
            principal = principal_from_token(
                state.settings, request.headers.get("authorization"), state.clock.now()
            )
        except Unauthenticated:
            principal = None
        if cancel is not None:
            if principal is None:
                await self.app(scope, receive, send)
                return
            scope["route"] = _CANCEL_ROUTE
            await self._answer(request, send, _cancel(state, uuid.UUID(cancel[1]), principal))
            return
        body = await request.body()  # bounded: BodySizeLimitMiddleware is outside
        parsed = None
        if principal is not None and "idempotency-key" not in request.headers:
            try:
                parsed = _HOLD_BODY.validate_json(body)
            except ValueError:
                parsed = None
        if principal is None or parsed is None:
            await self.app(scope, _replay({"type": "http.request", "body": body}, receive), send)
            return
        scope["route"] = _HOLD_ROUTE

        async def hold() -> Response:
            await enforce(request, "bookings.hold", "rate_limit_holds", principal.actor)
            return await _hold(state, parsed, principal, client_network(request), None)

        await self._answer(request, send, hold())

    @staticmethod
    async def _answer(request: Request, send: Send, work: Awaitable[Response]) -> None:
        """Runs `work` and sends its response, or what the app's exception handlers make of
        what it raised (a problem, a 503), exactly as for the route."""
        try:
            response = await work
        except Exception as error:
            handler = _handler_for(request.app, error)
            if handler is None:
                raise
            response = await handler(request, error)
        await response(request.scope, request.receive, send)


def _handler_for(app: Any, error: Exception) -> Any:
    handlers = app.exception_handlers
    return next((handlers[k] for k in type(error).__mro__ if k in handlers), None)


@router.get("/me/bookings", response_model=BookingList, tags=["me"])
async def my_bookings(
    principal: PrincipalDep,
    session: SessionDep,
    now: NowDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> BookingList:
    """Your bookings, newest first (a guest's too, and after linking, the account's)."""
    views = await service.list_my_bookings(session, principal, limit, offset)
    return BookingList(items=[BookingOut.of(v, now) for v in views], limit=limit, offset=offset)


@router.get("/admin/shows/{show_id}/bookings", response_model=BookingList, tags=["admin"])
async def show_bookings(
    show_id: uuid.UUID,
    _admin: AdminDep,
    session: SessionDep,
    now: NowDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> BookingList:
    """Every booking of a show with its status."""
    views = await service.list_show_bookings(session, show_id, limit, offset)
    return BookingList(items=[BookingOut.of(v, now) for v in views], limit=limit, offset=offset)
