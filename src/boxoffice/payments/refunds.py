"""Refunds: recorded once, issued to the provider after the commit, retried until they settle.

Money never moves inside a database transaction: a refund is first recorded (PENDING, unique
per provider payment, so it can never be asked for twice) and issued to the provider after the
commit; the worker issues any that a crash left behind, and retries the failed ones with
backoff. Admins list the FAILED ones and retry them at once.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from boxoffice import metrics
from boxoffice.bookings.models import Booking
from boxoffice.clock import Clock
from boxoffice.db.unit_of_work import after_commit
from boxoffice.logs import get_logger
from boxoffice.payments import repository
from boxoffice.payments.errors import RefundNotFound, RefundNotRetryable
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
    ProviderRefund,
    ProviderRejected,
)

log = get_logger("boxoffice.payments")

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
    return await record_refund(
        session, booking, payment, payment.payment_id, payment.amount, now, reason
    )


async def refund_seats(
    session: AsyncSession, booking: Booking, amount: int, now: datetime, reason: str
) -> Refund | None:
    """Records the refund of seats the booking gave back (a part of its payment, or all of it)
    and issues it after the commit; None when nothing was paid or nothing is given back. Each
    cancellation gives its seats back once (under the booking's row lock), so it is recorded
    once; a refund never asks for more than the payment has left."""
    payment = await repository.payment_of_booking(session, booking.id, for_update=True)
    if payment is None or payment.payment_id is None or amount <= 0:
        return None
    return await record_refund(
        session, booking, payment, payment.payment_id, amount, now, reason, for_seats=True
    )


async def record_refund(
    session: AsyncSession,
    booking: Booking,
    payment: Payment,
    provider_payment_id: str,
    amount: int,
    now: datetime,
    reason: str,
    *,
    for_seats: bool = False,
) -> Refund:
    """Records the refund of one provider payment and issues it after the commit: whole, once
    (the key is unique), or `for_seats` given back. The caller holds the lock on `payment`'s
    row."""
    if not for_seats:
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
        for_seats=for_seats,
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
    Two processes racing here cannot return the money twice: an attempt adopts an earlier one
    the provider knows (step 2), and the provider refuses to refund more than was captured.
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
    await session.flush()  # this refund's new status counts in the sum
    refunded = await repository.processed_refunds_total(session, payment)
    payment.status = (
        PaymentStatus.REFUNDED if refunded >= payment.amount else PaymentStatus.PARTIALLY_REFUNDED
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
