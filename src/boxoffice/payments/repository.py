"""All SQL of the payments domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.bookings.models import Booking, BookingStatus
from boxoffice.db.engine import dialect_insert
from boxoffice.payments.models import (
    Payment,
    PaymentStatus,
    ProviderEvent,
    Refund,
    RefundStatus,
)


async def payments_of(
    session: AsyncSession, booking_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[Payment, list[Refund]]]:
    """Each booking's payment with its refunds, for a page of bookings in two queries."""
    payments = list(
        await session.scalars(select(Payment).where(Payment.booking_id.in_(booking_ids)))
    )
    if not payments:
        return {}
    refunds: dict[uuid.UUID, list[Refund]] = {payment.id: [] for payment in payments}
    for refund in await session.scalars(
        select(Refund).where(Refund.payment_id.in_(refunds)).order_by(Refund.created_at)
    ):
        refunds[refund.payment_id].append(refund)
    return {payment.booking_id: (payment, refunds[payment.id]) for payment in payments}


async def payment_of_booking(
    session: AsyncSession, booking_id: uuid.UUID, *, for_update: bool = False
) -> Payment | None:
    statement = select(Payment).where(Payment.booking_id == booking_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def payment_by_order(
    session: AsyncSession, order_id: str, *, for_update: bool = False
) -> Payment | None:
    statement = select(Payment).where(Payment.order_id == order_id)
    if for_update:
        statement = statement.with_for_update()
    result = await session.execute(statement.execution_options(populate_existing=True))
    return result.scalar_one_or_none()


async def get_payment(session: AsyncSession, payment_id: uuid.UUID) -> Payment | None:
    return await session.get(Payment, payment_id, populate_existing=True)


def add(session: AsyncSession, entity: Payment | Refund) -> None:
    session.add(entity)


async def record_event(
    session: AsyncSession, event_id: str, event_type: str, payload: Any, now: datetime
) -> bool:
    """Stores a webhook delivery once; False when this event id was seen before."""
    statement = (
        dialect_insert(session)(ProviderEvent)
        .values(
            event_id=event_id,
            provider="razorpay",
            event_type=event_type,
            payload=payload,
            received_at=now,
        )
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(ProviderEvent.event_id)
    )
    return (await session.execute(statement)).scalar_one_or_none() is not None


async def refund_of_provider_payment(
    session: AsyncSession, provider_payment_id: str
) -> Refund | None:
    result = await session.execute(
        select(Refund).where(Refund.provider_payment_id == provider_payment_id)
    )
    return result.scalar_one_or_none()


async def get_refund(session: AsyncSession, refund_id: uuid.UUID) -> Refund | None:
    return await session.get(Refund, refund_id, populate_existing=True)


async def refund_by_provider_id(session: AsyncSession, provider_refund_id: str) -> Refund | None:
    result = await session.execute(
        select(Refund).where(Refund.provider_refund_id == provider_refund_id)
    )
    return result.scalar_one_or_none()


async def record_provider_refund(
    session: AsyncSession, refund_id: uuid.UUID, provider_refund_id: str, now: datetime
) -> bool:
    """Stores the provider's id for our refund, once; False if another process already did."""
    result = await session.execute(
        update(Refund)
        .where(Refund.id == refund_id, Refund.provider_refund_id.is_(None))
        .values(provider_refund_id=provider_refund_id, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def unissued_refund_ids(session: AsyncSession, created_before: datetime) -> list[uuid.UUID]:
    result = await session.scalars(
        select(Refund.id).where(
            Refund.provider_refund_id.is_(None),
            Refund.status == RefundStatus.PENDING,
            Refund.created_at < created_before,
        )
    )
    return list(result)


async def pending_provider_refunds(session: AsyncSession) -> list[Refund]:
    result = await session.scalars(
        select(Refund).where(
            Refund.provider_refund_id.is_not(None), Refund.status == RefundStatus.PENDING
        )
    )
    return list(result)


async def unsettled_orders(
    session: AsyncSession, created_after: datetime, created_before: datetime
) -> list[str]:
    """Recent orders with no captured payment whose booking could still be waiting for one."""
    result = await session.scalars(
        select(Payment.order_id)
        .join(Booking, Booking.id == Payment.booking_id)
        .where(
            Payment.status.in_([PaymentStatus.CREATED, PaymentStatus.FAILED]),
            Payment.created_at > created_after,
            Payment.created_at < created_before,
            Booking.status.in_([BookingStatus.PENDING, BookingStatus.EXPIRED]),
        )
        .limit(200)
    )
    return list(result)
