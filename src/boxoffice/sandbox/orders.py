"""Orders and their payments, as Razorpay keeps them.

An order is made `created`. Checkout pays it: a payment `captured` and the order `paid`; on an
account without automatic capture (the config's `auto_capture` false) a payment only
`authorized` and the order `attempted`, until the merchant captures it for exactly its amount;
or a `failed` payment. Every step records the webhooks Razorpay would send.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.sandbox import repository
from boxoffice.sandbox.entities import RazorpayAPIError, new_id, order_json, payment_json
from boxoffice.sandbox.models import SandboxOrder, SandboxPayment
from boxoffice.sandbox.store import Config
from boxoffice.sandbox.webhooks import EventLog


class _Unset(enum.Enum):
    UNSET = enum.auto()


UNSET = _Unset.UNSET  # a field the request did not send


def create_order(
    session: AsyncSession,
    now: datetime,
    *,
    amount: int,
    currency: str,
    receipt: str | None,
    notes: dict[str, str],
) -> SandboxOrder:
    order = SandboxOrder(
        id=new_id("order"),
        amount=amount,
        amount_paid=0,
        currency=currency,
        receipt=receipt,
        status="created",
        attempts=0,
        notes=notes,
        created_at=now,
    )
    repository.add(session, order)
    return order


async def pay_at_checkout(
    session: AsyncSession,
    events: EventLog,
    config: Config,
    order_id: str,
    *,
    success: bool,
    method: str,
    email: str,
    contact: str,
    amount: int | None = None,
    currency: str | None = None,
) -> SandboxPayment:
    """What Checkout does with the customer's payment of the order (see `api.checkout`): for
    what the order still asks, unless `amount` or `currency` say otherwise. A paid order cannot
    be paid again."""
    order = await repository.get(session, SandboxOrder, order_id, lock=True)
    if order.status == "paid":
        raise RazorpayAPIError(400, "Order has already been paid")
    captured = success and config.auto_capture
    payment = SandboxPayment(
        id=new_id("pay"),
        order_id=order.id,
        amount=order.amount - order.amount_paid if amount is None else amount,
        currency=currency or order.currency,
        status=("captured" if captured else "authorized") if success else "failed",
        method=method,
        captured=captured,
        amount_refunded=0,
        email=email,
        contact=contact,
        error_code=None if success else "BAD_REQUEST_ERROR",
        error_description=None if success else "Payment failed",
        created_at=events.now,
    )
    repository.add(session, payment)
    order.attempts += 1
    if captured:
        order.amount_paid, order.status = order.amount, "paid"
    else:
        order.status = "attempted"
    await session.flush()
    ids = {"order_id": order.id, "payment_id": payment.id}
    if success and not captured:
        events.add("payment.authorized", {"payment": payment_json(payment)}, **ids)
    elif success:
        _paid(events, order, payment)
    else:
        events.add("payment.failed", {"payment": payment_json(payment)}, **ids)
    return payment


async def capture(
    session: AsyncSession, events: EventLog, payment_id: str, amount: int, currency: Any = UNSET
) -> SandboxPayment:
    """Captures an authorized payment for exactly its amount and currency (`currency` UNSET:
    the payment's): the order is paid. Capturing a captured payment again with the same amount
    answers it unchanged (Razorpay refuses; being lenient keeps retries simple to test)."""
    payment = await repository.get(session, SandboxPayment, payment_id, lock=True)
    if payment.status not in ("authorized", "captured", "refunded"):
        raise RazorpayAPIError(400, "Only an authorized payment can be captured.")
    if amount != payment.amount:
        raise RazorpayAPIError(
            400, "Capture amount must be equal to the amount authorized", field="amount"
        )
    if (payment.currency if currency is UNSET else currency) != payment.currency:
        raise RazorpayAPIError(400, "The currency does not match the payment's.")
    if payment.captured:
        return payment
    order = await repository.get(session, SandboxOrder, payment.order_id, lock=True)
    payment.status, payment.captured = "captured", True
    order.amount_paid, order.status = order.amount, "paid"
    await session.flush()
    _paid(events, order, payment)
    return payment


def _paid(events: EventLog, order: SandboxOrder, payment: SandboxPayment) -> None:
    ids = {"order_id": order.id, "payment_id": payment.id}
    events.add("payment.captured", {"payment": payment_json(payment)}, **ids)
    events.add("order.paid", {"payment": payment_json(payment), "order": order_json(order)}, **ids)
