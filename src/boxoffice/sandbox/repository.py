"""Every query of the sandbox's orders, payments, refunds and events (its knobs and keys are in
`store`). Ids are Razorpay's; an unknown one is Razorpay's "does not exist" error."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.sandbox.entities import not_found
from boxoffice.sandbox.models import SandboxEvent, SandboxOrder, SandboxPayment, SandboxRefund

Entity = TypeVar("Entity", SandboxOrder, SandboxPayment, SandboxRefund)
MAX_EVENTS = 500


async def get(
    session: AsyncSession, model: type[Entity], entity_id: str, *, lock: bool = False
) -> Entity:
    found = await session.get(model, entity_id, with_for_update=lock)
    if found is None:
        raise not_found()
    return found


async def orders(session: AsyncSession, receipt: str | None, count: int) -> list[SandboxOrder]:
    """Newest first; Razorpay's `receipt` filter finds the orders made for a booking."""
    statement = select(SandboxOrder).order_by(SandboxOrder.created_at.desc(), SandboxOrder.id)
    if receipt is not None:
        statement = statement.where(SandboxOrder.receipt == receipt)
    return list(await session.scalars(statement.limit(max(1, min(count, 100)))))


async def payments_of_order(session: AsyncSession, order_id: str) -> list[SandboxPayment]:
    return list(
        await session.scalars(
            select(SandboxPayment)
            .where(SandboxPayment.order_id == order_id)
            .order_by(SandboxPayment.created_at.desc(), SandboxPayment.id)
        )
    )


async def refunds_of_payment(session: AsyncSession, payment_id: str) -> list[SandboxRefund]:
    return list(
        await session.scalars(
            select(SandboxRefund)
            .where(SandboxRefund.payment_id == payment_id)
            .order_by(SandboxRefund.created_at.desc(), SandboxRefund.id)
        )
    )


async def refund_by_idempotency_key(
    session: AsyncSession, payment_id: str, key: str
) -> SandboxRefund | None:
    return (
        await session.execute(
            select(SandboxRefund).where(
                SandboxRefund.payment_id == payment_id,
                SandboxRefund.idempotency_key == key,
            )
        )
    ).scalar_one_or_none()


async def events(
    session: AsyncSession,
    *,
    order_id: str | None,
    payment_id: str | None,
    refund_id: str | None,
    event_type: str | None,
) -> list[SandboxEvent]:
    """Oldest first, those matching every filter given, at most MAX_EVENTS."""
    statement = select(SandboxEvent).order_by(SandboxEvent.created_at, SandboxEvent.id)
    for column, value in (
        (SandboxEvent.order_id, order_id),
        (SandboxEvent.payment_id, payment_id),
        (SandboxEvent.refund_id, refund_id),
        (SandboxEvent.event, event_type),
    ):
        if value is not None:
            statement = statement.where(column == value)
    return list(await session.scalars(statement.limit(MAX_EVENTS)))


async def event(session: AsyncSession, event_id: str) -> SandboxEvent | None:
    return await session.get(SandboxEvent, event_id)


async def record_delivery(session: AsyncSession, event_id: str, status: int | None) -> None:
    await session.execute(
        update(SandboxEvent)
        .where(SandboxEvent.id == event_id)
        .values(deliveries=SandboxEvent.deliveries + 1, last_status=status)
    )


def add(session: AsyncSession, entity: Any) -> None:
    session.add(entity)
