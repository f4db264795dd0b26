"""The counter's routes: shifts, sales and refunds at a theatre's box office, and the shift
report. Thin: parse, call `shifts` or `sales`, shape the answer."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from boxoffice.accounts.dependencies import PrincipalDep
from boxoffice.bookings.schemas import booking_document
from boxoffice.counter import owed, sales, shifts
from boxoffice.counter.sales import CounterSale
from boxoffice.counter.schemas import (
    CounterSaleOut,
    OwedList,
    OwedOut,
    RefundRequest,
    SaleRequest,
    ShiftList,
    ShiftOpen,
    ShiftOut,
    movement_document,
)
from boxoffice.dependencies import (
    IdempotencyKey,
    Limit,
    NowDep,
    Offset,
    SessionDep,
    SettingsDep,
)
from boxoffice.idempotency import request_fingerprint, respond_once

router = APIRouter(tags=["counter"])
SALE_ENDPOINT = "POST /counter/sales"  # what an Idempotency-Key's record names

_SHIFT_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not allowed to sell at this theatre's counter, or not your shift"},
    409: {"description": "No open shift, the shift is closed, or at another theatre"},
}


@router.post(
    "/counter/shifts",
    status_code=201,
    response_model=ShiftOut,
    response_model_by_alias=True,
    responses={
        403: {"description": "Not allowed to sell at this theatre's counter"},
        404: {"description": "No such theatre"},
        409: {"description": "You have an open shift already (`shift_id`)"},
    },
)
async def open_shift(
    body: ShiftOpen,
    principal: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> ShiftOut:
    """Open your shift at a theatre's counter, with the cash in the drawer (`float`)."""
    view = await shifts.open_shift(
        session, principal, body.theatre_id, body.opening_float, now, settings
    )
    return ShiftOut.model_validate(view.document())


@router.get(
    "/counter/shifts/current",
    response_model=ShiftOut,
    response_model_by_alias=True,
    responses={409: {"description": "You have no open shift"}},
)
async def current_shift(principal: PrincipalDep, session: SessionDep) -> ShiftOut:
    """Your open shift, with its totals so far."""
    return ShiftOut.model_validate((await shifts.current_shift(session, principal)).document())


@router.get(
    "/counter/shifts/{shift_id}",
    response_model=ShiftOut,
    response_model_by_alias=True,
    responses={404: {"description": "No such shift of yours (or of a theatre you manage)"}},
)
async def get_shift(shift_id: uuid.UUID, principal: PrincipalDep, session: SessionDep) -> ShiftOut:
    return ShiftOut.model_validate(
        (await shifts.get_shift(session, principal, shift_id)).document()
    )


@router.post(
    "/counter/shifts/{shift_id}/close",
    response_model=ShiftOut,
    response_model_by_alias=True,
    responses={
        404: {"description": "No such shift of yours (or of a theatre you manage)"},
        409: {"description": "Closed already: a closed shift is never reopened"},
    },
)
async def close_shift(
    shift_id: uuid.UUID, principal: PrincipalDep, session: SessionDep, now: NowDep
) -> ShiftOut:
    """Close the shift: its totals per method (sales minus refunds) and the cash the drawer
    should hold (`expected_cash`: the float and the cash net)."""
    view = await shifts.close_shift(session, principal, shift_id, now)
    return ShiftOut.model_validate(view.document())


@router.get(
    "/admin/shifts",
    response_model=ShiftList,
    response_model_by_alias=True,
    tags=["admin"],
    responses={
        403: {"description": "Not a manager of the theatre, nor an admin"},
        404: {"description": "No such theatre"},
    },
)
async def shifts_of_day(
    principal: PrincipalDep,
    session: SessionDep,
    theatre_id: uuid.UUID,
    day: date = Query(alias="date"),
) -> ShiftList:
    """The theatre's shifts opened on a date (its own timezone's), with their totals."""
    views = await shifts.shifts_of_day(session, principal, theatre_id, day)
    return ShiftList(items=[ShiftOut.model_validate(view.document()) for view in views])


@router.post(
    "/counter/sales",
    status_code=201,
    response_model=CounterSaleOut,
    responses={
        **_SHIFT_ERRORS,
        422: {
            "description": "Too little cash, no reference, bad seats, or an Idempotency-Key "
            "used with another body"
        },
    },
)
async def sell(
    body: SaleRequest,
    request: Request,
    principal: PrincipalDep,
    session: SessionDep,
    now: NowDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Sell seats at the counter, paid at once (`CASH` with the cash tendered, `CARD` or `UPI`
    with a reference): the booking, BOOKED, with `channel: "counter"`, no convenience fee, its
    tickets and invoice, and the `change` to hand back. The seats are claimed as any online hold
    claims them: all or none (409 naming those taken). With an `Idempotency-Key`, the same key
    and body answer the first sale again (a double click, a retry whose answer was lost) instead
    of selling twice; the same key with another body is refused (422)."""

    async def sell_once() -> tuple[int, CounterSaleOut]:
        sold = await sales.sell(session, request.app.state.sale, principal, body, now)
        return 201, CounterSaleOut.model_validate(_answer(sold, now))

    # The key is claimed in the sale's own transaction: the sale and its record commit together.
    return await respond_once(
        session,
        customer=principal.actor,
        endpoint=SALE_ENDPOINT,
        key=idempotency_key,
        fingerprint=request_fingerprint(body),
        now=now,
        operation=sell_once,
    )


@router.get(
    "/counter/sales/{booking_id}",
    response_model=CounterSaleOut,
    responses={404: {"description": "No such counter sale"}, 403: _SHIFT_ERRORS[403]},
)
async def read_sale(
    booking_id: uuid.UUID, principal: PrincipalDep, session: SessionDep, now: NowDep
) -> dict[str, Any]:
    """A counter sale, to print again or to refund."""
    return _answer(await sales.read_sale(session, principal, booking_id), now)


@router.post(
    "/counter/sales/{booking_id}/refund",
    response_model=CounterSaleOut,
    responses={
        **_SHIFT_ERRORS,
        409: {
            "description": "No open shift (or closed, or at another theatre), past the policy's "
            "last tier, nothing left to refund, or nothing owed (`nothing-owed`: paid back)"
        },
        404: {"description": "No such booking"},
        422: {"description": "Seat ids that are not the booking's"},
    },
)
async def refund(
    booking_id: uuid.UUID,
    request: Request,
    principal: PrincipalDep,
    session: SessionDep,
    now: NowDep,
    body: RefundRequest | None = None,
) -> dict[str, Any]:
    """Refund a counter sale's seats (all it still holds, without `seat_ids`) by its
    cancellation policy, from your open shift, in the way it was paid; a credit note is issued.
    A sale whose show was cancelled is paid back whole what it is owed (`GET /counter/owed`);
    once paid back, 409 `nothing-owed`."""
    body = body or RefundRequest()
    sold = await sales.refund(
        session, principal, booking_id, body.seat_ids, body.shift_id, now, request.app.state.sale
    )
    return _answer(sold, now)


@router.get(
    "/counter/owed",
    response_model=OwedList,
    responses={
        403: {"description": "Not allowed to sell at this theatre's counter"},
        404: {"description": "No such theatre"},
    },
)
async def owed_at(
    theatre_id: uuid.UUID,
    principal: PrincipalDep,
    session: SessionDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> OwedList:
    """The theatre's counter sales of cancelled shows not yet paid back, the shows soonest
    first: each is paid back through its refund (`POST /counter/sales/{id}/refund`)."""
    items = await owed.owed_at(session, principal, theatre_id, limit, offset)
    return OwedList(items=[OwedOut.model_validate(item.document()) for item in items])


def _answer(sold: CounterSale, now: datetime) -> dict[str, Any]:
    sale = next((m for m in sold.movements if m.kind.value == "SALE"), None)
    return {
        **booking_document(sold.view, now),
        "movements": [movement_document(m) for m in sold.movements],
        "change": sale.change if sale else None,
        "adjacent": sold.adjacent,
        "owed": sold.owed,
    }
