"""Settling a payment: the customer's verify, the capture, and the one operation they all end in.

Every way a payment can reach us — the customer's browser (verify), the provider's webhooks
(`payment.authorized`, `payment.captured`, `order.paid`, in any order, any number of times), or
the worker asking the provider about an order nobody heard back from — first makes sure the money
was taken (`ensure_captured`: an authorized payment is captured for exactly the order's amount,
before any lock is taken), then ends in `settle_payment`, which locks the booking's row and then
the payment's, so it takes effect once however many of them race in however many processes. A
payment that cannot book its seats is refunded (`refunds`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice import events, metrics
from boxoffice.accounts.principal import Principal
from boxoffice.bookings import lifecycle as bookings_lifecycle
from boxoffice.bookings import reads as bookings_reads
from boxoffice.bookings import repository as bookings_repository
from boxoffice.bookings import rules as booking_rules
from boxoffice.bookings.models import Booking, BookingStatus
from boxoffice.catalogue.models import ShowStatus
from boxoffice.logs import get_logger
from boxoffice.payments import repository
from boxoffice.payments.errors import (
    InvalidSignature,
    PaymentNotCaptured,
    PaymentNotFound,
    PaymentRefunded,
)
from boxoffice.payments.events import PaymentCaptured, PaymentRefundedOnArrival
from boxoffice.payments.models import Payment, PaymentStatus, Refund
from boxoffice.payments.provider import PaymentProvider, ProviderPayment, ProviderRejected
from boxoffice.payments.refunds import record_refund, request_refund

log = get_logger("boxoffice.payments")


@dataclass(frozen=True)
class Settlement:
    booking: Booking
    booked: bool
    refund: Refund | None = None


@dataclass(frozen=True)
class ToVerify:
    """The caller's payment of an order Checkout reported paid, and its booking, read after it
    in the same transaction (so at least as new)."""

    payment: Payment
    booking: Booking


async def payment_to_verify(
    session: AsyncSession,
    principal: Principal,
    order_id: str,
    payment_id: str,
    signature: str,
    provider: PaymentProvider,
) -> ToVerify:
    """The caller's payment of an order Checkout reported paid. Bad signature: 400, and not the
    caller's: 404, nothing changes either way."""
    if not provider.verify_payment_signature(order_id, payment_id, signature):
        raise InvalidSignature("The signature does not match this order and payment.")
    payment = await repository.payment_by_order(session, order_id)
    booking = None
    if payment is not None:
        booking = await bookings_repository.get_booking(session, payment.booking_id)
    if (
        payment is None
        or booking is None
        or not (principal.is_admin or bookings_reads.owns(principal, booking))
    ):
        raise PaymentNotFound()
    return ToVerify(payment, booking)


async def verify_payment(
    session: AsyncSession,
    found: ToVerify,
    payment_id: str,
    now: datetime,
    provider: PaymentProvider,
) -> Settlement:
    """Confirms a payment Checkout reported (`payment_to_verify`). The signature only proves
    that Checkout saw this payment for this order: what was paid, and whether it was captured,
    is asked of the provider itself (with no transaction open: the caller ended it).

    Unless this very payment is the one the order was settled with already (a webhook got there
    first, or the customer verifies twice): what it captured was established then, from the
    provider's answer or its signed event, so the answer is the settlement's, with no call."""
    payment = found.payment
    if payment.payment_id == payment_id and payment.status is not PaymentStatus.CREATED:
        return await _settled_already(session, found.booking, payment_id)
    reported = await provider.fetch_payment(payment_id)
    paid = await ensure_captured(provider, payment, reported)
    if paid is None:
        raise PaymentNotCaptured(
            "The provider does not report this payment as paid for this order.",
            payment_status=reported.status,
        )
    settlement = await settle_payment(session, paid, now, "verify")
    assert settlement is not None
    return settlement


async def _settled_already(session: AsyncSession, booking: Booking, payment_id: str) -> Settlement:
    """What `settle_payment` answered for a payment it settled before, read without a lock: a
    BOOKED booking, or the refund of a payment that could not book."""
    if booking.status is BookingStatus.BOOKED:
        return Settlement(booking, booked=True)
    refund = await repository.refund_of_provider_payment(session, payment_id)
    return Settlement(booking, booked=False, refund=refund)


async def ensure_captured(
    provider: PaymentProvider, payment: Payment, reported: ProviderPayment
) -> ProviderPayment | None:
    """The provider payment, captured, if it pays for `payment`'s order; else None.

    An `authorized` payment (an account without automatic capture) is captured here for exactly
    the order's amount and currency, outside any transaction. An authorization for any other
    amount or currency is left alone: it is never captured, so no money is taken, and Razorpay
    releases it by itself. A captured payment is returned as it is; `settle_payment` refunds it
    when its amount or currency is wrong.
    """
    if reported.order_id != payment.order_id:
        return None
    if reported.is_captured:
        return reported
    if reported.status != "authorized":
        return None
    if reported.amount != payment.amount or reported.currency != payment.currency:
        log.error(
            "authorized_amount_mismatch",
            order_id=payment.order_id,
            expected=payment.amount,
            received=reported.amount,
        )
        metrics.PAYMENTS.labels("amount_mismatch").inc()
        return None
    try:
        captured = await provider.capture_payment(reported.id, payment.amount, payment.currency)
    except ProviderRejected:
        # Captured meanwhile by another path (Razorpay refuses a second capture): ask again.
        captured = await provider.fetch_payment(reported.id)
    return captured if captured.is_captured else None


def refused_payment(settlement: Settlement) -> PaymentRefunded | None:
    """The problem to answer with when a verified payment could not book: it is refunded.

    Returned, not raised: the capture and the refund it started must be committed.
    """
    if settlement.booked or settlement.refund is None:
        return None
    return PaymentRefunded(
        f"The payment could not book the seats ({settlement.refund.reason}); "
        "it is being refunded in full.",
        booking_id=str(settlement.booking.id),
        refund_id=str(settlement.refund.id),
        refund_amount=settlement.refund.amount,
    )


async def settle_payment(
    session: AsyncSession, paid: ProviderPayment, now: datetime, source: str
) -> Settlement | None:
    """The one operation behind "payment X was captured for order Y" (SPEC invariant 5).

    None for an order we never created. Idempotent: a repeat finds the payment settled. A
    second payment captured for an order that is already paid is refunded.
    """
    assert paid.order_id is not None and paid.is_captured
    # One lock order for a booking and its payment, whoever changes them: the booking's row
    # first, as a cancel (and its refund), an expiry and an order's creation take it, then the
    # payment's. Taken the other way round, a late webhook racing a cancel deadlocked.
    booking = await repository.locked_booking_of_order(session, paid.order_id)
    if booking is None:
        return None
    payment = await repository.payment_by_order(session, paid.order_id, for_update=True)
    assert payment is not None
    if payment.payment_id is not None:
        if payment.payment_id == paid.id:
            refund = await repository.refund_of_provider_payment(session, paid.id)
            return Settlement(booking, booking.status is BookingStatus.BOOKED, refund)
        returned = await repository.refund_of_provider_payment(session, paid.id)
        if returned is not None:
            return Settlement(booking, booked=False, refund=returned)
        log.warning("second_payment_for_order", order_id=paid.order_id, payment_id=paid.id)
        metrics.PAYMENTS.labels("duplicate").inc()
        await events.publish(session, PaymentCaptured(booking, paid.amount, now))
        refund = await record_refund(
            session,
            booking,
            payment,
            paid.id,
            paid.amount,
            now,
            "a second payment for a paid order",
        )
        await events.publish(session, PaymentRefundedOnArrival(booking, refund, now))
        return Settlement(booking, booked=False, refund=refund)

    reason = await _why_not_bookable(session, booking, payment, paid, now)
    payment.payment_id = paid.id
    # From here the row records what was captured, which is what its refund returns should it
    # not book: the amount captured, not the order's (SPEC, settled 2026-12-07).
    payment.amount, payment.currency = paid.amount, paid.currency
    payment.status = PaymentStatus.CAPTURED
    payment.captured_at = now
    payment.updated_at = now
    metrics.PAYMENTS.labels("captured").inc()
    await events.publish(session, PaymentCaptured(booking, payment.amount, now))

    if reason is None and await bookings_lifecycle.confirm_seats(session, booking, now):
        late = booking_rules.effective_status(booking.status, booking.expires_at, now)
        await bookings_lifecycle.transition(
            session,
            booking,
            BookingStatus.BOOKED,
            now,
            "late payment, seats still free" if late is BookingStatus.EXPIRED else "paid",
            f"razorpay:{source}",
        )
        return Settlement(booking, booked=True)

    reason = reason or "the hold ran out and its seats were taken"
    await bookings_lifecycle.record_expiry(session, booking, now)
    log.warning("payment_refunded_on_arrival", booking_id=str(booking.id), reason=reason)
    refund = await request_refund(session, booking, now, reason)
    assert refund is not None  # the payment was captured just above
    await events.publish(session, PaymentRefundedOnArrival(booking, refund, now))
    return Settlement(booking, booked=False, refund=refund)


async def _why_not_bookable(
    session: AsyncSession, booking: Booking, payment: Payment, paid: ProviderPayment, now: datetime
) -> str | None:
    if paid.amount != payment.amount or paid.currency != payment.currency:
        log.error(
            "payment_amount_mismatch",
            booking_id=str(booking.id),
            expected=payment.amount,
            received=paid.amount,
        )
        return "the amount paid differs from the booking's total"
    status = booking_rules.effective_status(booking.status, booking.expires_at, now)
    if status not in (BookingStatus.PENDING, BookingStatus.EXPIRED):
        return f"the booking was already {status.value}"
    show = await bookings_repository.get_show(session, booking.show_id)
    assert show is not None
    if show.status is not ShowStatus.SCHEDULED:
        return "the show was cancelled"
    if show.starts_at <= now:
        return "the show had already started"
    return None


# Refund attempts: the first at once, then after 1 min, 5 min, 30 min, then every hour, up to
