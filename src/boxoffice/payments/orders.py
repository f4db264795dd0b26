"""Provider orders for bookings: one per booking, made once however many requests ask for it.

No transaction is open while the provider is asked (SPEC "no provider call under a lock"): a
booking's order is first reserved (one reservation per booking), then created at the provider,
then recorded; a request that finds another's reservation waits for the order it records.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from boxoffice.accounts import repository as accounts_repository
from boxoffice.accounts.principal import Principal
from boxoffice.bookings import reads as bookings_reads
from boxoffice.bookings import repository as bookings_repository
from boxoffice.bookings import rules as booking_rules
from boxoffice.bookings.errors import BookingNotFound
from boxoffice.bookings.models import BookingStatus
from boxoffice.clock import Clock
from boxoffice.config import Settings
from boxoffice.logs import get_logger
from boxoffice.payments import repository
from boxoffice.payments.errors import ContactRequired, NotPayable, OrderInProgress
from boxoffice.payments.models import Payment, PaymentStatus
from boxoffice.payments.provider import PaymentProvider, PaymentProviderError, ProviderOrder

log = get_logger("boxoffice.payments")

PROVIDER = "razorpay"


@dataclass(frozen=True)
class PaymentOrder:
    created: bool
    order_id: str
    amount: int
    currency: str
    key_id: str


# A request waits this long between looks at a booking's order that another request is creating.
RESERVATION_POLL_SECONDS = 0.1


def reservation_lease(settings: Settings) -> timedelta:
    """How long an order reservation is its request's: longer than any order create can take
    (two provider timeouts), so a live request is never taken over."""
    return timedelta(seconds=2 * settings.razorpay_timeout_seconds + 5)


async def start_payment(
    sessionmaker: async_sessionmaker[Any],
    provider: PaymentProvider,
    principal: Principal,
    booking_id: uuid.UUID,
    clock: Clock,
    settings: Settings,
) -> PaymentOrder:
    """The provider order for a pending booking: created once, the same one when asked again.

    No transaction is open while the provider is asked (SPEC "no provider call under a lock"):
    1. a short transaction checks the booking and reserves its order (one reservation per
       booking); a concurrent request finds the reservation and waits for the order it records;
    2. the order is created at the provider (a request taking over a dead reservation first
       looks for the order that one may have made: receipt = booking id);
    3. a short transaction records it.
    """
    lease = reservation_lease(settings)
    gives_up = clock.now() + lease + timedelta(seconds=5)
    while True:
        async with sessionmaker() as session, session.begin():
            step = await _reserve_order(session, principal, booking_id, clock.now(), lease)
        if isinstance(step, Payment):
            return _order_of(step, provider, created=False)
        if step is not None:
            break
        if clock.now() > gives_up:
            raise OrderInProgress("The payment order is still being created; retry shortly.")
        await asyncio.sleep(RESERVATION_POLL_SECONDS)

    order: ProviderOrder | None = None
    if step.took_over:
        found = await provider.orders_with_receipt(str(booking_id))
        order = next((o for o in found if o.amount == step.amount), None)
    if order is None:
        try:
            order = await provider.create_order(
                amount=step.amount,
                currency=step.currency,
                receipt=str(booking_id),
                notes={"booking_id": str(booking_id)},
            )
        except PaymentProviderError:
            # The order may exist: let the next request take over at once, and look for it.
            async with sessionmaker() as session, session.begin():
                await repository.expire_reservation(session, booking_id, step.token, clock.now())
            raise
    async with sessionmaker() as session, session.begin():
        payment, created = await repository.record_order(
            session,
            Payment(
                id=uuid.uuid4(),
                booking_id=booking_id,
                provider=PROVIDER,
                order_id=order.id,
                payment_id=None,
                amount=step.amount,
                currency=step.currency,
                status=PaymentStatus.CREATED,
                created_at=clock.now(),
                updated_at=clock.now(),
            ),
            step.token,
        )
    if not created:
        log.warning("order_recorded_by_another_request", booking_id=str(booking_id))
    return _order_of(payment, provider, created=created)


@dataclass(frozen=True)
class _Reserved:
    token: uuid.UUID
    took_over: bool
    amount: int
    currency: str


async def _reserve_order(
    session: AsyncSession,
    principal: Principal,
    booking_id: uuid.UUID,
    now: datetime,
    lease: timedelta,
) -> Payment | _Reserved | None:
    """The booking's order if it has one; else a reservation to create it; None: wait."""
    booking = await bookings_repository.get_booking(session, booking_id, for_update=True)
    if booking is None or not bookings_reads.owns(principal, booking):
        raise BookingNotFound()
    status = booking_rules.effective_status(booking.status, booking.expires_at, now)
    if status is not BookingStatus.PENDING:
        raise NotPayable(f"A {status.value} booking cannot be paid.", booking_status=status.value)
    existing = await repository.payment_of_booking(session, booking.id)
    if existing is not None:
        return existing
    if principal.is_guest:
        guest = await accounts_repository.get_guest(session, principal.id)
        if guest is None or not (guest.email or guest.phone):
            raise ContactRequired("Add an email or phone with PATCH /api/v1/me, then pay.")
    token = uuid.uuid4()
    took_over = await repository.reserve_order(session, booking.id, token, now, now + lease)
    if took_over is None:
        return None
    return _Reserved(token, took_over, booking.amount_total, booking.currency)


def _order_of(payment: Payment, provider: PaymentProvider, *, created: bool) -> PaymentOrder:
    return PaymentOrder(
        created=created,
        order_id=payment.order_id,
        amount=payment.amount,
        currency=payment.currency,
        key_id=provider.key_id,
    )
