"""All SQL of the payments domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.payments.models import Payment, Refund


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
