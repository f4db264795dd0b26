"""A booking as its answers show it: what bookings know (the booking, its seats, its history)
with what payments know (its payment and refunds), composed here, above both domains, so that
neither reads the other's tables for the other's sake."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.accounts.principal import Principal
from boxoffice.bookings import reads
from boxoffice.bookings.models import Booking
from boxoffice.bookings.reads import BookingView
from boxoffice.bookings.schemas import BookingOut, booking_document, iso
from boxoffice.payments import repository as payments_repository
from boxoffice.payments.models import Payment, Refund


@dataclass
class PaidBookingView:
    """A booking with its payment (if one was made) and that payment's refunds."""

    view: BookingView
    payment: Payment | None = None
    refunds: list[Refund] = field(default_factory=list)


async def with_payments(
    session: AsyncSession, views: Sequence[BookingView]
) -> list[PaidBookingView]:
    """The payments and refunds of a page of bookings: two queries, whatever the page."""
    if not views:
        return []
    payments = await payments_repository.payments_of(session, [v.booking.id for v in views])
    return [PaidBookingView(view, *payments.get(view.booking.id, (None, []))) for view in views]


def document(paid: PaidBookingView, now: datetime) -> dict[str, Any]:
    """The booking's API shape (`BookingOut`) as plain JSON-ready data: bookings' part of it
    (`bookings.schemas.booking_document`) with the payment and refunds."""
    payment = paid.payment
    return {
        **booking_document(paid.view, now),
        "payment": {
            "provider": payment.provider,
            "order_id": payment.order_id,
            "payment_id": payment.payment_id,
            "amount": payment.amount,
            "currency": payment.currency,
            "status": payment.status.value,
        }
        if payment and payment.payment_id
        else None,
        "refunds": [
            {
                "id": str(r.id),
                "amount": r.amount,
                "status": r.status.value,
                "created_at": iso(r.created_at),
                "attempts": r.attempts,
                "last_error": r.last_error,
            }
            for r in paid.refunds
        ],
    }


def booking_out(paid: PaidBookingView, now: datetime) -> BookingOut:
    return BookingOut.model_validate(document(paid, now))


async def answer(session: AsyncSession, view: BookingView, now: datetime) -> dict[str, Any]:
    """One booking's answer, read in the caller's session: the sale path's cancel of a paid
    booking (`bookings.sale.Sale.answer`)."""
    (paid,) = await with_payments(session, [view])
    return document(paid, now)


async def get_booking(
    session: AsyncSession, principal: Principal, booking_id: uuid.UUID
) -> PaidBookingView:
    return await view_of(session, await reads.owned_booking(session, principal, booking_id))


async def view_of(session: AsyncSession, booking: Booking) -> PaidBookingView:
    """The answer of a booking already read in this session (and its owner checked)."""
    (paid,) = await with_payments(session, await reads.load_views(session, [booking]))
    return paid
