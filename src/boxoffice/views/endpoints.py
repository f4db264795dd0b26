"""The routes that answer with a booking as a whole (`views.bookings`): reading one, the lists,
and a payment's verification, whose answer is the booking it paid for."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.accounts.dependencies import PrincipalDep
from boxoffice.bookings import reads
from boxoffice.bookings.reads import BookingView
from boxoffice.bookings.schemas import BookingList, BookingOut
from boxoffice.catalogue.access import ShowManagerDep
from boxoffice.db.unit_of_work import end_unit_of_work_early
from boxoffice.dependencies import Limit, NowDep, Offset, SessionDep, SettingsDep
from boxoffice.errors import problem_response
from boxoffice.payments import settlement
from boxoffice.payments.provider import PaymentProvider
from boxoffice.payments.schemas import VerifyRequest
from boxoffice.views import bookings as booking_views
from boxoffice.views.bookings import booking_out, with_payments

router = APIRouter()


class PublicConfig(BaseModel):
    """The settings a client of the API needs, none of them secret."""

    hold_ttl_seconds: int = Field(description="how long a hold lasts before it expires")
    max_seats_per_booking: int
    currency: str
    payments: Literal["razorpay", "sandbox"]
    razorpay_key_id: str = Field(description="for Razorpay Checkout (in sandbox mode, its own)")


@router.get("/config", response_model=PublicConfig, tags=["config"])
async def public_config(request: Request, settings: SettingsDep) -> PublicConfig:
    """What a shop or an app needs to know before it sells (SPEC "Back office")."""
    provider: PaymentProvider = request.app.state.provider
    return PublicConfig(
        hold_ttl_seconds=settings.hold_ttl_seconds,
        max_seats_per_booking=settings.max_seats_per_booking,
        currency=settings.default_currency,
        payments=settings.payments_mode,
        razorpay_key_id=provider.key_id,
    )


@router.get("/bookings/{booking_id}", response_model=BookingOut, tags=["bookings"])
async def get_booking(
    booking_id: uuid.UUID, principal: PrincipalDep, session: SessionDep, now: NowDep
) -> BookingOut:
    """A booking of yours (or any, for an admin); another customer's reads as 404."""
    return booking_out(await booking_views.get_booking(session, principal, booking_id), now)


@router.get("/me/bookings", response_model=BookingList, tags=["bookings", "me"])
async def my_bookings(
    principal: PrincipalDep,
    session: SessionDep,
    now: NowDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> BookingList:
    """Your bookings, newest first (a guest's too, and after linking, the account's)."""
    views = await reads.list_my_bookings(session, principal, limit, offset)
    return await _page(session, views, now, limit, offset)


@router.get(
    "/admin/shows/{show_id}/bookings", response_model=BookingList, tags=["bookings", "admin"]
)
async def show_bookings(
    show_id: uuid.UUID,
    _manager: ShowManagerDep,
    session: SessionDep,
    now: NowDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> BookingList:
    """Every booking of a show with its status (admins, and managers of its theatre)."""
    views = await reads.list_show_bookings(session, show_id, limit, offset)
    return await _page(session, views, now, limit, offset)


async def _page(
    session: AsyncSession, views: list[BookingView], now: datetime, limit: int, offset: int
) -> BookingList:
    items = [booking_out(paid, now) for paid in await with_payments(session, views)]
    return BookingList(items=items, limit=limit, offset=offset)


@router.post(
    "/payments/razorpay/verify",
    response_model=BookingOut,
    tags=["payments"],
    responses={
        400: {"description": "The signature does not verify; nothing changed"},
        404: {"description": "No such order of yours"},
        409: {"description": "`payment-refunded`: the hold ran out and the seats were taken"},
    },
)
async def verify_payment(
    body: VerifyRequest,
    request: Request,
    principal: PrincipalDep,
    session: SessionDep,
    now: NowDep,
) -> BookingOut | JSONResponse:
    """Confirm the payment Razorpay Checkout reported: the booking becomes BOOKED."""
    provider: PaymentProvider = request.app.state.provider
    found = await settlement.payment_to_verify(
        session,
        principal,
        body.razorpay_order_id,
        body.razorpay_payment_id,
        body.razorpay_signature,
        provider,
    )
    # No transaction open while the provider answers: through pgbouncer in transaction mode an
    # open one would hold a server connection all that time.
    await end_unit_of_work_early(session)
    settled = await settlement.verify_payment(
        session, found, body.razorpay_payment_id, now, provider
    )
    refused = settlement.refused_payment(settled)
    if refused is not None:
        return problem_response(refused)
    # The caller's booking (`payment_to_verify` checked), as settling left it or found it.
    return booking_out(await booking_views.view_of(session, settled.booking), now)
