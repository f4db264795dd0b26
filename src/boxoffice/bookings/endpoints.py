"""The sale path's routes (a hold, a cancel), and its lane in front of the router. (The routes
that read bookings answer with their payments too: `boxoffice.views.endpoints`.)

A hold and a cancel are answered by `bookings.sale`, whichever door they came in by: the routes
here, or `SalePathLane`, which takes the hottest of them before FastAPI's routing.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable
from types import SimpleNamespace
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Request, Response
from pydantic import TypeAdapter
from starlette.types import ASGIApp, Receive, Scope, Send

from boxoffice.accounts.dependencies import (
    TokenPrincipalDep,
    principal_from_token,
    token_actor,
)
from boxoffice.accounts.principal import Principal
from boxoffice.bookings import sale
from boxoffice.bookings.schemas import BookingOut, CancelRequest, ChosenBookingOut, HoldRequest
from boxoffice.dependencies import (
    IdempotencyKey,
)
from boxoffice.errors import Unauthenticated
from boxoffice.middleware import answer
from boxoffice.middleware import replaying as _replay
from boxoffice.network import client_network
from boxoffice.ratelimit import LimitSetting, enforce, rate_limited

router = APIRouter(tags=["bookings"])

HOLDS_PATH = "/bookings"
CANCEL_PATH = "/bookings/{booking_id}/cancel"
HOLD_LIMIT: tuple[str, LimitSetting] = ("bookings.hold", "rate_limit_holds")  # scope, setting
# A queued show's holds carry the admission its on-sale queue gave (`boxoffice.queue`).
AdmissionToken = Annotated[
    str | None, Header(alias="X-Admission-Token", min_length=1, max_length=1000)
]


async def limit_cancels(request: Request, principal: Principal) -> None:
    """Cancels are limited like holds, per customer and per client address, before anything
    is looked up: a burst of cancels of made-up ids is refused, not answered 404 each."""
    await enforce(request, "bookings.cancel", "rate_limit_cancels", principal.actor)
    address = f"ip:{client_network(request)}"
    await enforce(request, "bookings.cancel_per_address", "rate_limit_cancels_per_address", address)


@router.post(
    HOLDS_PATH,
    status_code=201,
    response_model=BookingOut,
    dependencies=[rate_limited(*HOLD_LIMIT, key=token_actor)],
    responses={
        201: {
            "description": "Held. With `quantity` or `accessible` (best available), also "
            "`adjacent`",
            "model": ChosenBookingOut,
        },
        403: {
            "description": "A show sold through its on-sale queue, without a valid "
            "`X-Admission-Token` for it (`admission-required`, `admission-invalid`)"
        },
        409: {
            "description": "Seats unavailable (`unavailable_seat_ids`), not enough matching "
            "seats free (`not-enough-seats`, `available`), show not on sale"
        },
        422: {
            "description": "Empty, duplicate, unknown or too many seat ids; quantity (or twice "
            "accessible) above MAX_SEATS_PER_BOOKING; not exactly one of seat_ids, quantity "
            "and accessible"
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
    idempotency_key: IdempotencyKey = None,
    admission_token: AdmissionToken = None,
) -> Response:
    """Hold seats of a show for a few minutes: all of them, or none (409). Name the seats
    (`seat_ids`), or ask for the best `quantity` seats (`seat_type`, `max_price` optional):
    side by side in one row, stranding no single seat, nearest the screen's sweet spot, never a
    wheelchair space or companion seat. Or ask for `accessible` wheelchair places: each comes
    with a companion seat next to it when one is free; when its companions are taken the place
    is still held, alone (`adjacent` false). A blocked seat is never held.

    The on-sale's hottest route (see `bookings.sale`; `SalePathLane` answers it in front of the
    router when it can). Without an Idempotency-Key the hold takes no transaction of ours (on
    PostgreSQL one statement in autocommit); with one, the key's record commits with the hold.
    """
    the_sale = request.app.state.sale
    network = client_network(request)
    return await sale.hold(the_sale, body, principal, network, idempotency_key, admission_token)


@router.post(
    CANCEL_PATH,
    response_model=BookingOut,
    responses={
        409: {
            "description": "Not cancellable in its state, past the policy's last tier "
            "(`not-cancellable`, `cancellable_until`), seats given back already, or checked in"
        },
        422: {"description": "Seat ids that are not the booking's (`unknown_seat_ids`)"},
        429: {"description": "Too many cancels, or too many requests in flight (`Retry-After`)"},
    },
)
async def cancel_booking(
    booking_id: uuid.UUID,
    request: Request,
    principal: TokenPrincipalDep,
    body: CancelRequest | None = None,
) -> Response:
    """Cancel: a hold frees its seats; a paid booking gives back its seats (all, or the
    `seat_ids` given) and is refunded as its cancellation policy says now (the fees kept), or
    everything when an admin cancels it for the theatre."""
    await limit_cancels(request, principal)
    seat_ids = None if body is None else body.seat_ids
    return await sale.cancel(
        request.app.state.sale, booking_id, principal, client_network(request), seat_ids
    )


_UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_HOLD_BODY = TypeAdapter(HoldRequest)
_CANCEL_BODY = TypeAdapter(CancelRequest)


class SalePathLane:
    """ASGI, in front of the router: a hold and a cancel on their usual paths (under `prefix`),
    sent to `bookings.sale` without FastAPI's routing, dependency solving and exception
    middleware, which cost more API CPU than the hold itself (`make bench --profile`).

    It does what those routes' dependencies do (the token, the body, the rate limit) and
    answers errors through the app's own exception handlers, so its answers are the routes'.
    Whatever it does not take on (an Idempotency-Key, no or a bad token, a body that does not
    parse) goes on to the routes, which produce every refusal the usual way.
    """

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.holds_path = prefix + HOLDS_PATH
        self.cancel_path = re.compile(
            re.escape(prefix) + CANCEL_PATH.replace("{booking_id}", f"({_UUID})") + "$", re.I
        )
        # How the access log names them, as it names routes.
        self.hold_route = SimpleNamespace(path=prefix + HOLDS_PATH)
        self.cancel_route = SimpleNamespace(path=prefix + CANCEL_PATH)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        cancel = None if path == self.holds_path else self.cancel_path.match(path)
        if path != self.holds_path and cancel is None:
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
        body = await request.body()  # bounded: BodySizeLimitMiddleware is outside
        if cancel is not None:
            seat_ids = _cancel_seats(body)
            if principal is None or seat_ids is False:
                replayed = _replay({"type": "http.request", "body": body}, receive)
                await self.app(scope, replayed, send)
                return
            scope["route"] = self.cancel_route
            booking_id = uuid.UUID(cancel[1])

            async def cancel_it(principal: Principal = principal) -> Response:
                await limit_cancels(request, principal)
                network = client_network(request)
                seats = seat_ids or None
                return await sale.cancel(state.sale, booking_id, principal, network, seats)

            await self._answer(request, send, cancel_it())
            return
        parsed = None
        if principal is not None and "idempotency-key" not in request.headers:
            try:
                parsed = _HOLD_BODY.validate_json(body)
            except ValueError:
                parsed = None
        if principal is None or parsed is None:
            await self.app(scope, _replay({"type": "http.request", "body": body}, receive), send)
            return
        scope["route"] = self.hold_route

        async def hold() -> Response:
            await enforce(request, *HOLD_LIMIT, principal.actor)
            network, token = client_network(request), request.headers.get("x-admission-token")
            return await sale.hold(state.sale, parsed, principal, network, None, token)

        await self._answer(request, send, hold())

    @staticmethod
    async def _answer(request: Request, send: Send, work: Awaitable[Response]) -> None:
        await answer(request, send, work)


def _cancel_seats(body: bytes) -> list[uuid.UUID] | Literal[False] | None:
    """The seats a cancel's body names; None without a body (the whole booking); False for a
    body that does not parse (the route refuses it)."""
    if not body.strip():
        return None
    try:
        return _CANCEL_BODY.validate_json(body).seat_ids
    except ValueError:
        return False
