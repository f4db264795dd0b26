"""All SQL of the payments domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from boxoffice.bookings.models import Booking, BookingStatus
from boxoffice.db.engine import autocommit_connection, dialect_insert
from boxoffice.payments.models import (
    OrderReservation,
    Payment,
    PaymentStatus,
    ProviderEvent,
    Refund,
    RefundAttempt,
    RefundAttemptStatus,
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


async def locked_booking_of_order(session: AsyncSession, order_id: str) -> Booking | None:
    """The booking an order of ours pays for, its row locked (the payment's is not): one
    statement for the first lock of `settlement.settle_payment`'s order."""
    statement = (
        select(Booking)
        .join(Payment, Payment.booking_id == Booking.id)
        .where(Payment.order_id == order_id)
        .with_for_update(of=Booking)
    )
    result = await session.execute(statement.execution_options(populate_existing=True))
    return result.scalar_one_or_none()


async def get_payment(session: AsyncSession, payment_id: uuid.UUID) -> Payment | None:
    return await session.get(Payment, payment_id, populate_existing=True)


async def reserve_order(
    session: AsyncSession,
    booking_id: uuid.UUID,
    token: uuid.UUID,
    now: datetime,
    until: datetime,
) -> bool | None:
    """Reserves the creation of the booking's order for `token` (the caller holds the booking's
    row lock), in one statement. False: a new reservation; True: one whose request died was
    taken over; None: a live reservation is another request's."""
    statement = (
        dialect_insert(session)(OrderReservation)
        .values(booking_id=booking_id, token=token, reserved_until=until, created_at=now)
        .on_conflict_do_update(
            index_elements=["booking_id"],
            set_={"token": token, "reserved_until": until},
            where=OrderReservation.reserved_until <= now,
        )
        .returning(OrderReservation.created_at)
    )
    created_at = (await session.execute(statement)).scalar_one_or_none()
    if created_at is None:
        return None
    # A reservation taken over keeps the time it was first made, which is before now (its
    # lease ran out). Were a new one's time ever read back unequal, the caller would only look
    # for an order at the provider first: never a second order.
    return bool(created_at != now)


async def expire_reservation(
    session: AsyncSession, booking_id: uuid.UUID, token: uuid.UUID, now: datetime
) -> None:
    await session.execute(
        update(OrderReservation)
        .where(OrderReservation.booking_id == booking_id, OrderReservation.token == token)
        .values(reserved_until=now)
        .execution_options(synchronize_session=False)
    )


async def record_order(
    session: AsyncSession, payment: Payment, token: uuid.UUID
) -> tuple[Payment, bool]:
    """Stores the booking's order once (the unique booking id decides) and ends its
    reservation; the payment row that won, and whether it is this one."""
    values = {c.key: getattr(payment, c.key) for c in Payment.__table__.columns}
    inserted = (
        await session.execute(
            dialect_insert(session)(Payment)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["booking_id"])
            .returning(Payment.id)
        )
    ).scalar_one_or_none()
    await session.execute(
        delete(OrderReservation).where(OrderReservation.booking_id == payment.booking_id)
    )
    if inserted is not None:
        return payment, True
    stored = await payment_of_booking(session, payment.booking_id)
    assert stored is not None
    return stored, False


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


# A payment webhook that needs no work, in one statement (PostgreSQL, autocommit: one round
# trip): its event id was recorded before (a redelivery), or the payment it reports is the one
# its order's booking is already BOOKED with (verify, or another event, got there first); such
# an event is recorded as received here. Neither: the caller takes the full path.
_WEBHOOK_ALREADY_DONE = """
WITH seen AS (SELECT 1 FROM provider_events WHERE event_id = $1),
done AS (
    SELECT 1 FROM payments p JOIN bookings b ON b.id = p.booking_id
    WHERE p.order_id = $3 AND p.payment_id = $4 AND p.status = 'CAPTURED'
      AND b.status = 'BOOKED'
),
recorded AS (
    INSERT INTO provider_events (event_id, provider, event_type, payload, received_at)
    SELECT $1, 'razorpay', $2, $5::json, $6
    WHERE EXISTS (SELECT 1 FROM done) AND NOT EXISTS (SELECT 1 FROM seen)
    ON CONFLICT (event_id) DO NOTHING
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM seen) AS seen, EXISTS (SELECT 1 FROM recorded) AS recorded
"""


async def webhook_already_done(
    engine: AsyncEngine,
    event_id: str,
    event_type: str,
    order_id: str,
    payment_id: str,
    raw_body: str,
    now: datetime,
) -> str | None:
    """ "duplicate" (the event id was recorded before), "applied" (the order's booking is BOOKED
    with this payment; the event is now recorded), or None: not known to be done (and on
    SQLite, never asked: it has no such statement, and no on-sale to serve)."""
    if engine.dialect.name != "postgresql":
        return None
    async with autocommit_connection(engine) as connection:
        row = await connection.fetchrow(
            _WEBHOOK_ALREADY_DONE, event_id, event_type, order_id, payment_id, raw_body, now
        )
    if row["seen"]:
        return "duplicate"
    return "applied" if row["recorded"] else None


async def refund_of_provider_payment(
    session: AsyncSession, provider_payment_id: str
) -> Refund | None:
    """The refund that returns a provider payment whole (it booked nothing), if any."""
    result = await session.execute(
        select(Refund).where(
            Refund.provider_payment_id == provider_payment_id, Refund.for_seats.is_(False)
        )
    )
    return result.scalar_one_or_none()


async def refund_of_seats_given_back(
    session: AsyncSession, payment_id: uuid.UUID, at: datetime
) -> Refund | None:
    """The refund of the seats a cancellation of the payment's booking gave back at `at` (none
    when they gave back nothing)."""
    result = await session.scalars(
        select(Refund)
        .where(Refund.payment_id == payment_id, Refund.for_seats, Refund.created_at == at)
        .limit(1)
    )
    return result.first()


async def processed_refunds_total(session: AsyncSession, payment: Payment) -> int:
    """What the payment's own refunds gave back so far (PROCESSED at the provider)."""
    total = await session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0)).where(
            Refund.payment_id == payment.id,
            Refund.provider_payment_id == payment.payment_id,
            Refund.status == RefundStatus.PROCESSED,
        )
    )
    return int(total or 0)


async def get_refund(
    session: AsyncSession, refund_id: uuid.UUID, *, for_update: bool = False
) -> Refund | None:
    await session.flush()  # populate_existing must not throw away changes not yet flushed
    return await session.get(Refund, refund_id, populate_existing=True, with_for_update=for_update)


async def refund_by_provider_id(session: AsyncSession, provider_refund_id: str) -> Refund | None:
    result = await session.execute(
        select(Refund).where(Refund.provider_refund_id == provider_refund_id)
    )
    return result.scalar_one_or_none()


async def attempt_by_provider_id(
    session: AsyncSession, provider_refund_id: str
) -> RefundAttempt | None:
    result = await session.execute(
        select(RefundAttempt).where(RefundAttempt.provider_refund_id == provider_refund_id)
    )
    return result.scalars().first()


def attempt_key(refund_id: uuid.UUID, number: int) -> str:
    """The provider's idempotency key of one attempt: a new one per attempt, the same on repeat."""
    return f"{refund_id.hex}-{number}"


async def claim_refund_attempt(
    session: AsyncSession,
    refund_id: uuid.UUID,
    now: datetime,
    lease: timedelta,
    max_attempts: int,
    *,
    force: bool = False,
) -> tuple[Refund, RefundAttempt] | None:
    """Starts the refund's next attempt if it is due, under its row lock (held for no call).

    Due: PENDING and not issued, with no live lease (new, or its issuer died); or FAILED and its
    retry time has come (any time, with `force`). None otherwise, or if another process won.
    """
    refund = await get_refund(session, refund_id, for_update=True)
    if refund is None:
        return None
    due = refund.next_attempt_at is None or refund.next_attempt_at <= now
    if refund.status is RefundStatus.PENDING:
        eligible = refund.provider_refund_id is None and due
    elif refund.status is RefundStatus.FAILED:
        eligible = force or (refund.next_attempt_at is not None and due)
    else:
        eligible = False
    if not eligible:
        return None
    if refund.attempts:
        # The previous attempt, if its issuer never came back, ends with an unknown outcome.
        await finish_attempt(
            session,
            refund.id,
            refund.attempts,
            RefundAttemptStatus.UNKNOWN,
            now,
            "abandoned",
            only_if=RefundAttemptStatus.STARTED,
        )
    refund.attempts += 1
    refund.attempts_allowed = max_attempts
    refund.status = RefundStatus.PENDING
    refund.provider_refund_id = None
    refund.next_attempt_at = now + lease
    refund.updated_at = now
    attempt = RefundAttempt(
        id=uuid.uuid4(),
        refund_id=refund.id,
        number=refund.attempts,
        idempotency_key=attempt_key(refund.id, refund.attempts),
        provider_refund_id=None,
        status=RefundAttemptStatus.STARTED,
        error=None,
        started_at=now,
        finished_at=None,
    )
    session.add(attempt)
    await session.flush()
    return refund, attempt


async def record_attempt_issued(
    session: AsyncSession, refund_id: uuid.UUID, number: int, provider_refund_id: str
) -> None:
    """The provider accepted attempt `number` as `provider_refund_id` (its answer, or a webhook
    that beat it). The refund takes the id only while that attempt is its current one."""
    await session.execute(
        update(RefundAttempt)
        .where(
            RefundAttempt.refund_id == refund_id,
            RefundAttempt.number == number,
            RefundAttempt.provider_refund_id.is_(None),
        )
        .values(provider_refund_id=provider_refund_id, status=RefundAttemptStatus.PENDING)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Refund)
        .where(
            Refund.id == refund_id,
            Refund.attempts == number,
            Refund.status == RefundStatus.PENDING,
            Refund.provider_refund_id.is_(None),
        )
        .values(provider_refund_id=provider_refund_id, next_attempt_at=None)
        .execution_options(synchronize_session=False)
    )


async def finish_attempt(
    session: AsyncSession,
    refund_id: uuid.UUID,
    number: int,
    status: RefundAttemptStatus,
    now: datetime,
    error: str | None = None,
    *,
    only_if: RefundAttemptStatus | None = None,
) -> None:
    statement = update(RefundAttempt).where(
        RefundAttempt.refund_id == refund_id, RefundAttempt.number == number
    )
    if only_if is not None:
        statement = statement.where(RefundAttempt.status == only_if)
    values: dict[str, Any] = {"status": status, "finished_at": now}
    if error is not None:
        values["error"] = error[:300]
    await session.execute(statement.values(**values).execution_options(synchronize_session=False))


async def attempts_of(
    session: AsyncSession, refund_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[RefundAttempt]]:
    found: dict[uuid.UUID, list[RefundAttempt]] = {refund_id: [] for refund_id in refund_ids}
    if refund_ids:
        for attempt in await session.scalars(
            select(RefundAttempt)
            .where(RefundAttempt.refund_id.in_(refund_ids))
            .order_by(RefundAttempt.refund_id, RefundAttempt.number)
        ):
            found[attempt.refund_id].append(attempt)
    return found


async def due_refund_ids(session: AsyncSession, now: datetime) -> list[uuid.UUID]:
    """Refunds the worker should attempt now: never issued (or their issuer died), or FAILED
    with their retry time come."""
    result = await session.scalars(
        select(Refund.id)
        .where(
            or_(
                and_(
                    Refund.status == RefundStatus.PENDING,
                    Refund.provider_refund_id.is_(None),
                    or_(Refund.next_attempt_at.is_(None), Refund.next_attempt_at <= now),
                ),
                and_(Refund.status == RefundStatus.FAILED, Refund.next_attempt_at <= now),
            )
        )
        .order_by(Refund.created_at)
        .limit(200)
    )
    return list(result)


async def pending_provider_refunds(session: AsyncSession) -> list[Refund]:
    result = await session.scalars(
        select(Refund).where(
            Refund.provider_refund_id.is_not(None), Refund.status == RefundStatus.PENDING
        )
    )
    return list(result)


async def list_refunds(
    session: AsyncSession, status: RefundStatus | None, limit: int, offset: int
) -> list[tuple[Refund, uuid.UUID]]:
    """Refunds with their booking's id, newest first."""
    statement = select(Refund, Payment.booking_id).join(Payment, Payment.id == Refund.payment_id)
    if status is not None:
        statement = statement.where(Refund.status == status)
    statement = statement.order_by(Refund.created_at.desc(), Refund.id).limit(limit).offset(offset)
    return [(refund, booking_id) for refund, booking_id in (await session.execute(statement))]


async def booking_of_refund(session: AsyncSession, refund_id: uuid.UUID) -> uuid.UUID | None:
    return await session.scalar(
        select(Payment.booking_id)
        .join(Refund, Refund.payment_id == Payment.id)
        .where(Refund.id == refund_id)
    )


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
