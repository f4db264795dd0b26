"""Refunds, as Razorpay runs them: the sandbox's state machine.

A refund is made against a captured payment, for all that is left of it or a part (never more),
and starts `processed` or `pending`, as the config's `refund_status` says. A pending one is
then settled by a test hook: `processed`, or `failed`, which gives the money back to the
payment. With `X-Refund-Idempotency`, the same key and body answer the refund made the first
time, and another body with that key is refused. Every step records its webhooks.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.sandbox import repository
from boxoffice.sandbox.entities import (
    RazorpayAPIError,
    new_id,
    payment_json,
    refund_json,
    refund_status_of,
)
from boxoffice.sandbox.models import SandboxPayment, SandboxRefund
from boxoffice.sandbox.store import Config
from boxoffice.sandbox.webhooks import EventLog


@dataclass(frozen=True)
class RefundRequest:
    amount: int | None  # None: all that is left
    notes: dict[str, str]
    receipt: str | None
    speed: Any
    idempotency_key: str | None

    @property
    def fingerprint(self) -> str:
        """What a repeat with the same idempotency key must match."""
        asked = [self.amount, self.notes, self.receipt, self.speed]
        return hashlib.sha256(json.dumps(asked, sort_keys=True).encode()).hexdigest()


async def refund(
    session: AsyncSession,
    events: EventLog,
    config: Config,
    payment_id: str,
    request: RefundRequest,
) -> SandboxRefund:
    payment = await repository.get(session, SandboxPayment, payment_id, lock=True)
    if request.idempotency_key is not None:
        earlier = await repository.refund_by_idempotency_key(
            session, payment_id, request.idempotency_key
        )
        if earlier is not None:
            if earlier.request_hash != request.fingerprint:
                raise RazorpayAPIError(
                    400,
                    "Different request with the same idempotency key has already been processed.",
                )
            return earlier
    if not payment.captured:
        raise RazorpayAPIError(400, "The payment has not been captured, it cannot be refunded")
    left = payment.amount - payment.amount_refunded
    if left <= 0:
        raise RazorpayAPIError(400, "The payment has been fully refunded already")
    amount = left if request.amount is None else request.amount
    if amount > left:
        raise RazorpayAPIError(
            400, "The refund amount provided is greater than amount captured", field="amount"
        )
    made = SandboxRefund(
        id=new_id("rfnd"),
        payment_id=payment.id,
        amount=amount,
        currency=payment.currency,
        status=config.refund_status,
        receipt=request.receipt,
        notes=request.notes,
        idempotency_key=request.idempotency_key,
        request_hash=request.fingerprint,
        created_at=events.now,
    )
    repository.add(session, made)
    payment.amount_refunded += amount
    if payment.amount_refunded >= payment.amount:
        payment.status = "refunded"
    await session.flush()
    entities = {"refund": refund_json(made), "payment": payment_json(payment)}
    ids = {"order_id": payment.order_id, "payment_id": payment.id, "refund_id": made.id}
    events.add("refund.created", entities, **ids)
    if made.status == "processed":
        events.add("refund.processed", entities, **ids)
    return made


async def settle(
    session: AsyncSession,
    events: EventLog,
    refund_id: str,
    status: Literal["processed", "failed"],
) -> SandboxRefund:
    """A pending refund, settled (again the same way: unchanged); a failed one's money goes back
    to the merchant's balance."""
    pending = await repository.get(session, SandboxRefund, refund_id, lock=True)
    if pending.status == status:
        return pending
    if pending.status != "pending":
        raise RazorpayAPIError(400, f"The refund is {pending.status} already")
    payment = await repository.get(session, SandboxPayment, pending.payment_id, lock=True)
    pending.status = status
    if status == "failed":
        payment.amount_refunded -= pending.amount
        payment.status = "captured" if refund_status_of(payment) != "full" else "refunded"
    await session.flush()
    events.add(
        f"refund.{status}",
        {"refund": refund_json(pending), "payment": payment_json(payment)},
        order_id=payment.order_id,
        payment_id=payment.id,
        refund_id=pending.id,
    )
    return pending
