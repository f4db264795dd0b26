"""Razorpay's webhooks: verified, recorded once per event id, and applied.

Deliveries are at least once and may come out of order or race the verify call: a payment event
settles the payment as verify would (`settlement`), a refund event moves the refund along
(`refunds`), whichever arrives first.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from boxoffice import metrics
from boxoffice.logs import get_logger
from boxoffice.payments import repository
from boxoffice.payments.errors import InvalidSignature, InvalidWebhook
from boxoffice.payments.provider import PaymentProvider, ProviderPayment
from boxoffice.payments.refunds import apply_refund_status
from boxoffice.payments.settlement import ensure_captured, settle_payment

log = get_logger("boxoffice.payments")


def _verified(raw_body: bytes, signature: str | None, provider: PaymentProvider) -> dict[str, Any]:
    """The event of a delivery whose signature verifies (checked first, on the bytes as they
    came); 400 otherwise, or when the signed body is not a Razorpay event."""
    if not signature or not provider.verify_webhook_signature(raw_body, signature):
        raise InvalidSignature("X-Razorpay-Signature does not match the body.")
    try:
        event = json.loads(raw_body)
        str(event["event"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidWebhook("The body is signed but is not a Razorpay event.") from exc
    return dict(event)


def _event_id(raw_body: bytes, event_id: str | None) -> str:
    return (event_id or f"sha256:{hashlib.sha256(raw_body).hexdigest()}")[:100]


async def already_done(
    engine: AsyncEngine,
    raw_body: bytes,
    signature: str | None,
    event_id: str | None,
    now: datetime,
    provider: PaymentProvider,
) -> str | None:
    """The answer to a payment delivery that needs no work, in one round trip: "duplicate" (a
    redelivery) or "applied" (its payment is the one its booking is already BOOKED with: verify
    or the other event got there first; the event is recorded). None for everything else, the
    deliveries `handle_webhook` answers: a bad signature or body, any other event, work to do.
    The signature is checked first, before the database is asked anything. On SQLite (no such
    statement) always None, before any work."""
    if engine.dialect.name != "postgresql":
        return None
    try:
        event = _verified(raw_body, signature, provider)
    except (InvalidSignature, InvalidWebhook):
        return None
    event_type, payload = str(event["event"]), event.get("payload")
    entity = _entity(payload, "payment") if isinstance(payload, dict) else None
    reported = _reported_payment(entity) if entity else None
    if event_type not in PAYMENT_EVENTS or reported is None:
        return None
    return await repository.webhook_already_done(
        engine,
        _event_id(raw_body, event_id),
        event_type[:50],
        str(reported.order_id),
        reported.id,
        raw_body.decode(),
        now,
    )


async def handle_webhook(
    session: AsyncSession,
    raw_body: bytes,
    signature: str | None,
    event_id: str | None,
    now: datetime,
    provider: PaymentProvider,
) -> str:
    """Verifies and applies one webhook delivery; a repeated event id changes nothing."""
    event = _verified(raw_body, signature, provider)
    event_type = str(event["event"])
    payload = event.get("payload") or {}
    if not isinstance(payload, dict):
        return "ignored"
    event_id = _event_id(raw_body, event_id)
    if not await repository.record_event(session, event_id, event_type[:50], event, now):
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
        paid = await ensure_captured(provider, payment, reported)
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
