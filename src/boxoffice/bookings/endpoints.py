from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response
from fastapi.responses import ORJSONResponse

from boxoffice.accounts.dependencies import AdminDep, PrincipalDep, TokenPrincipalDep
from boxoffice.bookings import service
from boxoffice.bookings.schemas import BookingList, BookingOut, HoldRequest, booking_document
from boxoffice.dependencies import (
    IdempotencyKey,
    Limit,
    NowDep,
    Offset,
    SessionDep,
    SettingsDep,
    unit_of_work,
)
from boxoffice.errors import InvalidInput
from boxoffice.idempotency import request_fingerprint, respond_once
from boxoffice.network import client_address
from boxoffice.ratelimit import rate_limited

router = APIRouter(tags=["bookings"])


@router.post(
    "/bookings",
    status_code=201,
    response_model=BookingOut,
    dependencies=[rate_limited("bookings.hold", "rate_limit_holds", key="principal")],
    responses={
        409: {"description": "Seats unavailable (`unavailable_seat_ids`), show not on sale"},
        422: {"description": "Empty, duplicate, unknown or too many seat ids"},
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
    """Hold seats of a show for a few minutes: all of them, or none (409).

    The on-sale's hottest route. On PostgreSQL, without an Idempotency-Key, it takes no session
    and no transaction of ours: the hold is one statement in autocommit (one round trip), and
    the answer is encoded once, straight from the booking. With a key, the key's record must
    commit with the hold, so both go through one unit of work (on SQLite, always).
    """
    if len(set(body.seat_ids)) != len(body.seat_ids):
        raise InvalidInput("seat_ids lists a seat more than once.")
    if len(body.seat_ids) > settings.max_seats_per_booking:
        raise InvalidInput(
            f"At most {settings.max_seats_per_booking} seats can be held in one booking.",
            max_seats_per_booking=settings.max_seats_per_booking,
        )
    state = request.app.state
    client_ip = client_address(request)
    if idempotency_key is None and not settings.is_sqlite:
        async with state.sale_admission.slot():
            view = await service.hold_seats_at_once(
                state.engine, principal, body.show_id, body.seat_ids, now, settings, client_ip
            )
        state.seat_maps.changed(body.show_id)  # this process reads its own write at once
        return ORJSONResponse(booking_document(view, now), status_code=201)

    async with state.sale_admission.slot(), unit_of_work(state) as session:

        async def hold() -> tuple[int, BookingOut]:
            view = await service.hold_seats(
                session, principal, body.show_id, body.seat_ids, now, settings, client_ip
            )
            return 201, BookingOut.of(view, now)

        response = await respond_once(
            session,
            customer=principal.actor,
            endpoint="POST /bookings",
            key=idempotency_key,
            fingerprint=request_fingerprint(body),
            now=now,
            operation=hold,
        )
    state.seat_maps.changed(body.show_id)
    return response


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
    state = request.app.state
    async with state.sale_admission.slot(), unit_of_work(state) as session:
        view = await service.cancel_booking(session, principal, booking_id, now, settings)
    state.seat_maps.changed(view.booking.show_id)  # read your own write, before any notice
    return ORJSONResponse(booking_document(view, now))


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
