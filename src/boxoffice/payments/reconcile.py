"""The worker's share of payments: what no verify or webhook settled, asked of the provider."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker

from boxoffice.clock import Clock
from boxoffice.config import Settings
from boxoffice.payments import repository
from boxoffice.payments.provider import PaymentProvider, PaymentProviderError
from boxoffice.payments.refunds import apply_refund_status, issue_refund
from boxoffice.payments.settlement import ensure_captured, settle_payment

# How long an order may wait for its verify or webhook before the worker asks the provider.
GRACE = timedelta(seconds=30)
RECONCILE_WINDOW = timedelta(days=2)


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
            captured = [await ensure_captured(provider, payment, p) for p in reported]
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
