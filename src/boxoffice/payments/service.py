"""Booking payments through the provider: orders, confirmation exactly once, refunds.

Every way a payment can reach us — the customer's browser (verify), the provider's webhooks
(`payment.authorized`, `payment.captured`, `order.paid`, in any order, any number of times), or
the worker asking the provider about an order nobody heard back from — first makes sure the money
was taken (`_captured`: an authorized payment is captured for exactly the order's amount, before
any lock is taken), then ends in `settle_payment`, which locks the payment row, so it takes
effect once however many of them race in however many processes.

Money never moves inside a database transaction: a refund is first recorded (PENDING, unique
per payment, so it can never be asked for twice) and issued to the provider after the commit;
the worker issues any that a crash left behind.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from boxoffice import events, metrics
from boxoffice.accounts import repository as accounts_repository
from boxoffice.accounts.dependencies import Principal
from boxoffice.bookings import repository as bookings_repository
from boxoffice.bookings import rules as booking_rules
from boxoffice.bookings import service as bookings_service
from boxoffice.bookings.errors import BookingNotFound
from boxoffice.bookings.models import Booking, BookingStatus
from boxoffice.catalogue.models import ShowStatus
from boxoffice.clock import Clock
from boxoffice.config import Settings
from boxoffice.dependencies import after_commit
from boxoffice.logs import get_logger
from boxoffice.payments import repository
from boxoffice.payments.errors import (
    ContactRequired,
    InvalidSignature,
    InvalidWebhook,
    NotPayable,
    OrderInProgress,
    PaymentNotCaptured,
    PaymentNotFound,
    PaymentRefunded,
    RefundNotFound,
    RefundNotRetryable,
)
from boxoffice.payments.events import PaymentCaptured, PaymentRefundedOnArrival
from boxoffice.payments.models import (
    Payment,
    PaymentStatus,
    Refund,
    RefundAttempt,
    RefundAttemptStatus,
    RefundStatus,
)
from boxoffice.payments.provider import (
    PaymentProvider,
    PaymentProviderError,
    ProviderOrder,
    ProviderPayment,
    ProviderRefund,
    ProviderRejected,
)

log = get_logger("boxoffice.payments")

PROVIDER = "razorpay"
# How long an order may wait for its verify or webhook before the worker asks the provider.
GRACE = timedelta(seconds=30)
RECONCILE_WINDOW = timedelta(days=2)


@dataclass(frozen=True)
class PaymentOrder:
    created: bool
    order_id: str
    amount: int
    currency: str
    key_id: str


@dataclass(frozen=True)
class Settlement:
    booking: Booking
    booked: bool
    refund: Refund | None = None


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
    if booking is None or not bookings_service.owns(principal, booking):
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


async def payment_to_verify(
    session: AsyncSession,
    principal: Principal,
    order_id: str,
    payment_id: str,
    signature: str,
    provider: PaymentProvider,
) -> Payment:
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
        or not (principal.is_admin or bookings_service.owns(principal, booking))
    ):
        raise PaymentNotFound()
    return payment


async def verify_payment(
    session: AsyncSession,
    payment: Payment,
    payment_id: str,
    now: datetime,
    provider: PaymentProvider,
) -> Settlement:
    """Confirms a payment Checkout reported (`payment_to_verify`). The signature only proves
    that Checkout saw this payment for this order: what was paid, and whether it was captured,
    is asked of the provider itself (with no transaction open: the caller ended it)."""
    reported = await provider.fetch_payment(payment_id)
    paid = await _captured(provider, payment, reported)
    if paid is None:
        raise PaymentNotCaptured(
            "The provider does not report this payment as paid for this order.",
            payment_status=reported.status,
        )
    settlement = await settle_payment(session, paid, now, "verify")
    assert settlement is not None
    return settlement


async def _captured(
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
    payment = await repository.payment_by_order(session, paid.order_id, for_update=True)
    if payment is None:
        return None
    booking = await bookings_repository.get_booking(session, payment.booking_id, for_update=True)
    assert booking is not None
    if payment.payment_id is not None:
        if payment.payment_id == paid.id:
            refund = await repository.refund_of_provider_payment(session, paid.id)
            return Settlement(booking, booking.status is BookingStatus.BOOKED, refund)
        known = await repository.refund_of_provider_payment(session, paid.id)
        if known is not None:
            return Settlement(booking, booked=False, refund=known)
        log.warning("second_payment_for_order", order_id=paid.order_id, payment_id=paid.id)
        metrics.PAYMENTS.labels("duplicate").inc()
        await events.publish(session, PaymentCaptured(booking, paid.amount, now))
        refund = await _refund(
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

    if reason is None and await bookings_service.confirm_seats(session, booking, now):
        late = booking_rules.effective_status(booking.status, booking.expires_at, now)
        await bookings_service.transition(
            session,
            booking,
            BookingStatus.BOOKED,
            now,
            "late payment, seats still free" if late is BookingStatus.EXPIRED else "paid",
            f"razorpay:{source}",
        )
        return Settlement(booking, booked=True)

    reason = reason or "the hold ran out and its seats were taken"
    await bookings_service.record_expiry(session, booking, now)
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
# `settings.refund_max_attempts` attempts in all (README "Refunds that fail").
RETRY_SCHEDULE = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30))
RETRY_EVERY = timedelta(hours=1)
# An attempt whose issuer died (crash between claim and record) is taken up again after this.
ATTEMPT_LEASE = timedelta(minutes=2)


def retry_delay(attempts: int) -> timedelta:
    """How long after the failure of attempt number `attempts` the next one starts."""
    return RETRY_SCHEDULE[attempts - 1] if 1 <= attempts <= len(RETRY_SCHEDULE) else RETRY_EVERY


async def request_refund(
    session: AsyncSession, booking: Booking, now: datetime, reason: str
) -> Refund | None:
    """Records a full refund of the booking's payment, once; issues it after the commit."""
    payment = await repository.payment_of_booking(session, booking.id, for_update=True)
    if payment is None or payment.payment_id is None:
        return None  # nothing was paid
    return await _refund(session, booking, payment, payment.payment_id, payment.amount, now, reason)


async def _refund(
    session: AsyncSession,
    booking: Booking,
    payment: Payment,
    provider_payment_id: str,
    amount: int,
    now: datetime,
    reason: str,
) -> Refund:
    """Records the refund of one provider payment (once: the key is unique) and issues it after
    the commit. The caller holds the lock on `payment`'s row."""
    existing = await repository.refund_of_provider_payment(session, provider_payment_id)
    if existing is not None:
        return existing
    refund = Refund(
        id=uuid.uuid4(),
        payment_id=payment.id,
        show_id=booking.show_id,
        provider_payment_id=provider_payment_id,
        provider_refund_id=None,
        amount=amount,
        status=RefundStatus.PENDING,
        reason=reason[:200],
        created_at=now,
        updated_at=now,
        attempts=0,
        next_attempt_at=now,  # due at once: the worker issues it if the hook below never runs
        last_error=None,
    )
    repository.add(session, refund)
    await session.flush()
    metrics.REFUNDS.labels("requested").inc()
    refund_id = refund.id

    async def issue(state: Any) -> None:
        await issue_refund(
            state.sessionmaker,
            state.provider,
            refund_id,
            state.clock,
            max_attempts=state.settings.refund_max_attempts,
        )

    after_commit(session, issue)
    return refund


async def issue_refund(
    sessionmaker: async_sessionmaker[Any],
    provider: PaymentProvider,
    refund_id: uuid.UUID,
    clock: Clock,
    *,
    max_attempts: int,
    force: bool = False,
) -> Refund | None:
    """Makes one attempt at the provider for a refund that is due (or FAILED, with `force`).

    Three steps, no transaction open while the provider is asked:
    1. claim the attempt in a short transaction (attempt N+1, a lease, a history row); a refund
       that is not due, or that another process just claimed, is left alone (None);
    2. from the second attempt on, first look at the provider's refunds of the payment: one of
       ours that did not fail (an earlier attempt whose answer was lost) is adopted, never
       repeated; otherwise ask for the refund with this attempt's own idempotency key;
    3. record the outcome in a short transaction.
    A full refund can succeed only once at the provider (it refuses to refund more than was
    captured), so even two processes racing here cannot return the money twice.
    """
    async with sessionmaker() as session, session.begin():
        claim = await repository.claim_refund_attempt(
            session, refund_id, clock.now(), ATTEMPT_LEASE, max_attempts, force=force
        )
        if claim is None:
            return None
        refund, attempt = claim
        payment = await repository.get_payment(session, refund.payment_id)
    assert payment is not None
    notes = {
        "refund_id": str(refund.id),
        "booking_id": str(payment.booking_id),
        "attempt": str(attempt.number),
    }
    issued: ProviderRefund | None = None
    error: str | None = None
    unknown = False
    try:
        if attempt.number > 1:
            issued = _ours(
                await provider.fetch_payment_refunds(refund.provider_payment_id), refund.id
            )
        if issued is None:
            issued = await provider.refund_payment(
                refund.provider_payment_id,
                refund.amount,
                notes=notes,
                receipt=str(refund.id),
                idempotency_key=attempt.idempotency_key,
            )
    except ProviderRejected as rejected:
        error = f"refused by the provider: {rejected.provider_message}"[:300]
    except PaymentProviderError:
        issued = await _find_issued(provider, refund.provider_payment_id, refund.id)
        if issued is None:
            error, unknown = "the provider did not answer; the outcome is unknown", True
    async with sessionmaker() as session, session.begin():
        now = clock.now()
        if issued is not None:
            await repository.record_attempt_issued(session, refund.id, attempt.number, issued.id)
            await apply_refund_status(session, issued.id, issued.status, now)
        else:
            assert error is not None
            log.warning(
                "refund_attempt_failed",
                refund_id=str(refund.id),
                attempt=attempt.number,
                error=error,
            )
            await fail_attempt(session, refund.id, attempt.number, error, now, unknown=unknown)
        return await repository.get_refund(session, refund.id)


def _ours(refunds: list[ProviderRefund], refund_id: uuid.UUID) -> ProviderRefund | None:
    """Our refund among the provider's, if one of its attempts did not fail."""
    return next(
        (
            r
            for r in refunds
            if r.notes.get("refund_id") == str(refund_id) and r.status in ("pending", "processed")
        ),
        None,
    )


async def _find_issued(
    provider: PaymentProvider, payment_id: str, refund_id: uuid.UUID
) -> ProviderRefund | None:
    try:
        refunds = await provider.fetch_payment_refunds(payment_id)
    except PaymentProviderError:
        return None
    return _ours(refunds, refund_id)


async def fail_attempt(
    session: AsyncSession,
    refund_id: uuid.UUID,
    number: int,
    error: str,
    now: datetime,
    *,
    unknown: bool = False,
) -> None:
    """Attempt `number` failed: retry later with backoff, or FAILED for good after the last.

    An attempt whose outcome is unknown leaves the refund PENDING (it may have worked: the next
    attempt looks for it first) unless it was the last.
    """
    refund = await repository.get_refund(session, refund_id, for_update=True)
    if refund is None:
        return
    await repository.finish_attempt(
        session,
        refund_id,
        number,
        RefundAttemptStatus.UNKNOWN if unknown else RefundAttemptStatus.FAILED,
        now,
        error,
        # A webhook may have told us of this attempt while its answer was being lost.
        only_if=RefundAttemptStatus.STARTED if unknown else None,
    )
    if (
        refund.attempts != number
        or refund.status is RefundStatus.PROCESSED
        or (unknown and refund.provider_refund_id is not None)
    ):
        return  # news of an attempt that is no longer the current one, or already known better
    refund.last_error = error[:300]
    refund.updated_at = now
    final = refund.attempts >= refund.attempts_allowed
    if unknown and not final:
        refund.next_attempt_at = now + retry_delay(refund.attempts)
        return
    refund.status = RefundStatus.FAILED
    refund.next_attempt_at = None if final else now + retry_delay(refund.attempts)
    metrics.REFUNDS.labels("failed" if final else "retry_scheduled").inc()
    if final:
        payment = await repository.get_payment(session, refund.payment_id)
        log.error(
            "refund_failed_for_good",
            refund_id=str(refund.id),
            booking_id=str(payment.booking_id) if payment else None,
            attempts=refund.attempts,
        )


async def apply_refund_status(
    session: AsyncSession, provider_refund_id: str, provider_status: str, now: datetime
) -> None:
    """Moves our refund (and its payment) along with what the provider says of one attempt."""
    attempt = await repository.attempt_by_provider_id(session, provider_refund_id)
    refund = await repository.refund_by_provider_id(session, provider_refund_id)
    if refund is None and attempt is not None:
        refund = await repository.get_refund(session, attempt.refund_id)
    if refund is None:
        return
    number = attempt.number if attempt is not None else refund.attempts
    if provider_status == "failed":
        await fail_attempt(session, refund.id, number, "the provider failed the refund", now)
        return
    if provider_status != "processed" or refund.status is RefundStatus.PROCESSED:
        return
    await repository.finish_attempt(session, refund.id, number, RefundAttemptStatus.PROCESSED, now)
    refund.status = RefundStatus.PROCESSED
    refund.provider_refund_id = provider_refund_id
    refund.next_attempt_at = None
    refund.updated_at = now
    metrics.REFUNDS.labels("processed").inc()
    payment = await repository.get_payment(session, refund.payment_id)
    assert payment is not None
    if refund.provider_payment_id != payment.payment_id:
        return  # a second payment's refund: the booking's own payment is unchanged
    payment.status = (
        PaymentStatus.REFUNDED
        if refund.amount >= payment.amount
        else PaymentStatus.PARTIALLY_REFUNDED
    )
    payment.updated_at = now


async def retry_failed_refund(
    sessionmaker: async_sessionmaker[Any],
    provider: PaymentProvider,
    refund_id: uuid.UUID,
    clock: Clock,
    max_attempts: int,
) -> Refund:
    """An admin's retry of a FAILED refund, at once (one more attempt, even past the limit)."""
    async with sessionmaker() as session:
        refund = await repository.get_refund(session, refund_id)
    if refund is None:
        raise RefundNotFound()
    if refund.status is not RefundStatus.FAILED:
        raise RefundNotRetryable(
            f"Only a FAILED refund can be retried; this one is {refund.status.value}.",
            refund_status=refund.status.value,
        )
    retried = await issue_refund(
        sessionmaker, provider, refund_id, clock, max_attempts=max_attempts, force=True
    )
    if retried is None:  # another request or the worker claimed it first
        raise RefundNotRetryable("The refund is being retried already.", refund_status="PENDING")
    return retried


RefundView = tuple[Refund, uuid.UUID, list[RefundAttempt]]


async def list_refunds(
    sessionmaker: async_sessionmaker[Any], status: RefundStatus | None, limit: int, offset: int
) -> list[RefundView]:
    """A page of refunds with their booking ids and attempts, in one short read."""
    async with sessionmaker() as session:
        rows = await repository.list_refunds(session, status, limit, offset)
        attempts = await repository.attempts_of(session, [refund.id for refund, _ in rows])
    return [(refund, booking_id, attempts[refund.id]) for refund, booking_id in rows]


async def refund_views(
    sessionmaker: async_sessionmaker[Any], refund_ids: list[uuid.UUID]
) -> list[RefundView]:
    async with sessionmaker() as session:
        views = []
        attempts = await repository.attempts_of(session, refund_ids)
        for refund_id in refund_ids:
            refund = await repository.get_refund(session, refund_id)
            booking_id = await repository.booking_of_refund(session, refund_id)
            if refund is None or booking_id is None:
                raise RefundNotFound()
            views.append((refund, booking_id, attempts[refund_id]))
    return views


async def handle_webhook(
    session: AsyncSession,
    raw_body: bytes,
    signature: str | None,
    event_id: str | None,
    now: datetime,
    provider: PaymentProvider,
) -> str:
    """Verifies and applies one webhook delivery; a repeated event id changes nothing."""
    if not signature or not provider.verify_webhook_signature(raw_body, signature):
        raise InvalidSignature("X-Razorpay-Signature does not match the body.")
    try:
        event = json.loads(raw_body)
        event_type = str(event["event"])
        payload = event.get("payload") or {}
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidWebhook("The body is signed but is not a Razorpay event.") from exc
    if not isinstance(payload, dict):
        return "ignored"
    event_id = event_id or f"sha256:{hashlib.sha256(raw_body).hexdigest()}"
    if not await repository.record_event(session, event_id[:100], event_type[:50], event, now):
        return "duplicate"

    payment_entity = _entity(payload, "payment")
    if event_type in PAYMENT_EVENTS and payment_entity:
        reported = _reported_payment(payment_entity)
        if reported is None:
            # Not enough to act on safely; the worker asks the provider about the order.
            log.warning("webhook_payment_incomplete", event_type=event_type)
            return "ignored"
        payment = await repository.payment_by_order(session, reported.order_id or "")
        if payment is None:
            return "unknown order"
        paid = await _captured(provider, payment, reported)
        if paid is None:
            return "ignored"
        await settle_payment(session, paid, now, f"webhook {event_type}")
        return "applied"
    elif event_type == "payment.failed" and payment_entity:
        metrics.PAYMENTS.labels("failed").inc()
        log.info("payment_failed", order_id=payment_entity.get("order_id"))
        return "noted"
    elif event_type.startswith("refund.") and (refund_entity := _entity(payload, "refund")):
        refund_id, status = refund_entity.get("id"), refund_entity.get("status")
        if isinstance(refund_id, str) and isinstance(status, str):
            await _adopt_refund_id(session, refund_entity, now)
            await apply_refund_status(session, refund_id, status, now)
            return "applied"
    return "ignored"


PAYMENT_EVENTS = ("payment.authorized", "payment.captured", "order.paid")


def _reported_payment(entity: dict[str, Any]) -> ProviderPayment | None:
    """The payment a webhook reports, when it says everything settling needs: ids, an integer
    amount and the currency (a signed body without them never books)."""
    fields = (entity.get("id"), entity.get("order_id"), entity.get("currency"))
    amount, status = entity.get("amount"), entity.get("status")
    if not all(isinstance(value, str) and value for value in fields):
        return None
    if isinstance(amount, bool) or not isinstance(amount, int) or not isinstance(status, str):
        return None
    return ProviderPayment.from_entity(entity)


def _entity(payload: dict[str, Any], name: str) -> dict[str, Any] | None:
    wrapper = payload.get(name)
    entity = wrapper.get("entity") if isinstance(wrapper, dict) else None
    return entity if isinstance(entity, dict) else None


async def _adopt_refund_id(session: AsyncSession, entity: dict[str, Any], now: datetime) -> None:
    """A refund webhook can beat the provider's answer to our own request: link them by notes."""
    notes = entity.get("notes")
    our_id = notes.get("refund_id") if isinstance(notes, dict) else None
    try:
        refund_id = uuid.UUID(str(our_id))
        attempt = int(notes.get("attempt", 1)) if isinstance(notes, dict) else 1
    except ValueError:
        return
    await repository.record_attempt_issued(session, refund_id, attempt, str(entity["id"]))


async def reconcile(
    sessionmaker: async_sessionmaker[Any],
    settings: Settings,
    provider: PaymentProvider,
    clock: Clock,
) -> int:
    """The worker's share: settle orders paid without word, issue and poll stuck refunds."""
    now = clock.now()
    settled = 0
    async with sessionmaker() as session:
        orders = await repository.unsettled_orders(session, now - RECONCILE_WINDOW, now - GRACE)
        polling = [r.provider_refund_id for r in await repository.pending_provider_refunds(session)]
    for order_id in orders:
        async with sessionmaker() as session:
            payment = await repository.payment_by_order(session, order_id)
        if payment is None:
            continue
        try:
            reported = await provider.fetch_order_payments(order_id)
            captured = [await _captured(provider, payment, p) for p in reported]
        except PaymentProviderError:
            continue
        for paid in filter(None, captured):
            async with sessionmaker() as session, session.begin():
                outcome = await settle_payment(session, paid, clock.now(), "reconciliation")
            settled += 1 if outcome else 0
    # Includes refunds the settling above just asked for. Racing a request's own after-commit
    # issue, or another worker, is safe: each attempt is claimed once (see issue_refund).
    async with sessionmaker() as session:
        due = await repository.due_refund_ids(session, clock.now())
    for refund_id in due:
        await issue_refund(
            sessionmaker, provider, refund_id, clock, max_attempts=settings.refund_max_attempts
        )
    for provider_refund_id in polling:
        try:
            current = await provider.fetch_refund(provider_refund_id or "")
        except PaymentProviderError:
            continue
        async with sessionmaker() as session, session.begin():
            await apply_refund_status(session, current.id, current.status, clock.now())
    return settled
