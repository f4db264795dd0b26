"""The sandbox's HTTP surface, mounted at /_sandbox/razorpay.

- `/v1/...`: the part of Razorpay's REST API the SDK calls (basic auth with the key id and
  secret; errors in Razorpay's `{"error": {"code", "description", ...}}` shape).
- `/checkout/{order_id}`: what Razorpay Checkout does in the customer's browser (no auth).
- Test hooks (no auth): the events generated and their redelivery, settling a pending refund,
  and a few knobs (`/config`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, BackgroundTasks, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.config import RazorpayCredentials, Settings
from boxoffice.sandbox.entities import (
    RazorpayAPIError,
    collection,
    new_id,
    not_found,
    order_json,
    payment_json,
    refund_json,
    refund_status_of,
    server_error,
    unix,
)
from boxoffice.sandbox.models import (
    SandboxEvent,
    SandboxOrder,
    SandboxPayment,
    SandboxRefund,
)
from boxoffice.sandbox.store import Config, SandboxStore, get_store, read_config
from boxoffice.sandbox.webhooks import EventLog, deliver, deliver_in_order, sign

CURRENCIES = {"INR", "USD", "EUR", "GBP", "SGD", "AED", "MYR"}
MIN_AMOUNT = 100  # Razorpay: at least one rupee
MAX_AMOUNT = 2**31 - 1
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{10,100}$")
Handler = Callable[[Request], Coroutine[Any, Any, Response]]


# --- Route classes: Razorpay-shaped errors, auth and injected failures --------------------------


class _SandboxRoute(APIRoute):
    """Renders `RazorpayAPIError` and invalid input in Razorpay's error shape (not as problems)."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            try:
                return await self.guarded(request, handler)
            except RazorpayAPIError as error:
                return error.response()
            except RequestValidationError as error:
                first = error.errors()[0] if error.errors() else {}
                field = ".".join(str(part) for part in first.get("loc", ())[1:]) or None
                return RazorpayAPIError(
                    400, f"{field or 'request'}: {first.get('msg', 'invalid')}", field=field
                ).response()

        return route_handler

    async def guarded(self, request: Request, handler: Handler) -> Response:
        return await handler(request)


class _RazorpayApiRoute(_SandboxRoute):
    """The REST API: basic auth first, then any failure a test injected through /config."""

    async def guarded(self, request: Request, handler: Handler) -> Response:
        store = get_store(request)
        _authenticate(request, await store.credentials())
        delay = (await store.config()).delay_seconds
        if delay > 0:
            await asyncio.sleep(delay)  # holds no connection of the sandbox's, nor the app's
        after_applying = await store.take_injected_failure()
        if after_applying is False:
            raise server_error()
        response = await handler(request)
        if after_applying and 200 <= response.status_code < 300:
            lost = server_error().response()
            lost.background = response.background  # webhooks still go out, as they would
            return lost
        return response


def _authenticate(request: Request, credentials: RazorpayCredentials) -> None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise RazorpayAPIError(401, "Please provide your api key for authentication purposes.")
    try:
        key_id, _, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        key_id, secret = "", ""
    valid_id = hmac.compare_digest(key_id.encode(), credentials.key_id.encode())
    valid_secret = hmac.compare_digest(secret.encode(), credentials.key_secret.encode())
    if not (valid_id and valid_secret):
        raise RazorpayAPIError(401, "The api key provided is invalid")


# --- Input ------------------------------------------------------------------------------------


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise RazorpayAPIError(400, "The request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise RazorpayAPIError(400, "The request body must be a JSON object")
    return body


def _only(body: dict[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(body) - allowed)
    if extra:
        raise RazorpayAPIError(
            400, f"{', '.join(extra)} is/are not required and should not be sent", field=extra[0]
        )


def _amount(value: Any, field: str = "amount") -> int:
    if value is None:
        raise RazorpayAPIError(400, f"The {field} field is required.", field=field)
    if isinstance(value, bool) or not isinstance(value, int):
        raise RazorpayAPIError(400, f"The {field} must be an integer.", field=field)
    if value < MIN_AMOUNT:
        raise RazorpayAPIError(400, f"The {field} must be atleast INR 1.00", field=field)
    if value > MAX_AMOUNT:
        raise RazorpayAPIError(400, f"The {field} exceeds the maximum amount allowed.", field=field)
    return value


def _notes(value: Any) -> dict[str, str]:
    if value is None or value == []:
        return {}
    if not isinstance(value, dict):
        raise RazorpayAPIError(400, "The notes must be an object", field="notes")
    if len(value) > 15:
        raise RazorpayAPIError(400, "Number of notes should not exceed 15", field="notes")
    notes: dict[str, str] = {}
    for key, item in value.items():
        if isinstance(item, dict | list) or len(str(key)) > 256 or len(str(item)) > 256:
            raise RazorpayAPIError(400, f"The notes.{key} is not valid", field="notes")
        notes[str(key)] = "" if item is None else str(item)
    return notes


def _receipt(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise RazorpayAPIError(400, "The receipt must be a string.", field="receipt")
    if len(value) > 40:
        raise RazorpayAPIError(
            400, "The receipt may not be greater than 40 characters.", field="receipt"
        )
    return value


def _now() -> datetime:
    # The sandbox stands for an outside service: its clock is the real one, not the app's.
    return datetime.now(UTC)


async def _get(session: AsyncSession, model: Any, entity_id: str, lock: bool = False) -> Any:
    found = await session.get(model, entity_id, with_for_update=lock)
    if found is None:
        raise not_found()
    return found


def _schedule(
    background: BackgroundTasks,
    store: SandboxStore,
    settings: Settings,
    event_ids: list[str],
    deliver_now: bool,
) -> None:
    if event_ids and deliver_now:
        background.add_task(deliver_in_order, store, settings, list(event_ids))


# --- REST API (what the SDK calls) --------------------------------------------------------------

api = APIRouter(route_class=_RazorpayApiRoute)


@api.post("/v1/orders")
async def create_order(request: Request) -> JSONResponse:
    body = await _body(request)
    _only(
        body,
        {"amount", "currency", "receipt", "notes", "partial_payment", "payment_capture"},
    )
    amount = _amount(body.get("amount"))
    currency = body.get("currency")
    if not currency:
        raise RazorpayAPIError(400, "The currency field is required.", field="currency")
    if currency not in CURRENCIES:
        raise RazorpayAPIError(400, "Currency is not supported", field="currency")
    receipt, notes = _receipt(body.get("receipt")), _notes(body.get("notes"))
    async with get_store(request).transaction() as session:
        order = SandboxOrder(
            id=new_id("order"),
            amount=amount,
            amount_paid=0,
            currency=currency,
            receipt=receipt,
            status="created",
            attempts=0,
            notes=notes,
            created_at=_now(),
        )
        session.add(order)
    return JSONResponse(order_json(order))


@api.get("/v1/orders")
async def list_orders(
    request: Request, receipt: str | None = None, count: int = 10
) -> JSONResponse:
    """Orders, newest first; Razorpay's `receipt` filter finds the orders made for a booking."""
    statement = select(SandboxOrder).order_by(SandboxOrder.created_at.desc(), SandboxOrder.id)
    if receipt is not None:
        statement = statement.where(SandboxOrder.receipt == receipt)
    async with get_store(request).transaction() as session:
        orders = await session.scalars(statement.limit(max(1, min(count, 100))))
        return JSONResponse(collection([order_json(order) for order in orders]))


@api.get("/v1/orders/{order_id}")
async def fetch_order(request: Request, order_id: str) -> JSONResponse:
    async with get_store(request).transaction() as session:
        order = await _get(session, SandboxOrder, order_id)
        return JSONResponse(order_json(order))


@api.get("/v1/orders/{order_id}/payments")
async def fetch_order_payments(request: Request, order_id: str) -> JSONResponse:
    async with get_store(request).transaction() as session:
        await _get(session, SandboxOrder, order_id)
        payments = await session.scalars(
            select(SandboxPayment)
            .where(SandboxPayment.order_id == order_id)
            .order_by(SandboxPayment.created_at.desc(), SandboxPayment.id)
        )
        return JSONResponse(collection([payment_json(p) for p in payments]))


@api.get("/v1/payments/{payment_id}")
async def fetch_payment(request: Request, payment_id: str) -> JSONResponse:
    async with get_store(request).transaction() as session:
        payment = await _get(session, SandboxPayment, payment_id)
        return JSONResponse(payment_json(payment))


@api.post("/v1/payments/{payment_id}/capture")
async def capture_payment(
    request: Request, payment_id: str, background: BackgroundTasks
) -> JSONResponse:
    """Captures an authorized payment for exactly its amount and currency: the order is paid and
    `payment.captured` and `order.paid` go out. Capturing a captured payment again with the same
    amount answers it unchanged (Razorpay refuses; being lenient keeps retries simple to test)."""
    body = await _body(request)
    _only(body, {"amount", "currency"})
    amount = _amount(body.get("amount"))
    store, settings = get_store(request), request.app.state.settings
    async with store.transaction() as session:
        payment: SandboxPayment = await _get(session, SandboxPayment, payment_id, lock=True)
        if payment.status not in ("authorized", "captured", "refunded"):
            raise RazorpayAPIError(400, "Only an authorized payment can be captured.")
        if amount != payment.amount:
            raise RazorpayAPIError(
                400, "Capture amount must be equal to the amount authorized", field="amount"
            )
        if body.get("currency", payment.currency) != payment.currency:
            raise RazorpayAPIError(400, "The currency does not match the payment's.")
        if payment.captured:
            return JSONResponse(payment_json(payment))
        order: SandboxOrder = await _get(session, SandboxOrder, payment.order_id, lock=True)
        payment.status, payment.captured = "captured", True
        order.amount_paid, order.status = order.amount, "paid"
        await session.flush()
        config = await read_config(session)
        events = EventLog(session, _now())
        ids = {"order_id": order.id, "payment_id": payment.id}
        events.add("payment.captured", {"payment": payment_json(payment)}, **ids)
        events.add(
            "order.paid", {"payment": payment_json(payment), "order": order_json(order)}, **ids
        )
    _schedule(background, store, settings, events.ids, config.auto_deliver_webhooks)
    return JSONResponse(payment_json(payment))


@api.post("/v1/payments/{payment_id}/refund")
async def refund_payment(
    request: Request, payment_id: str, background: BackgroundTasks
) -> JSONResponse:
    """A refund of a captured payment (default: all that is left). `X-Refund-Idempotency`: the
    same key and body answer the refund made the first time; another body with it is refused."""
    body = await _body(request)
    _only(body, {"amount", "notes", "receipt", "speed"})
    requested = None if body.get("amount") is None else _amount(body.get("amount"))
    notes, receipt = _notes(body.get("notes")), _receipt(body.get("receipt"))
    key = request.headers.get("x-refund-idempotency")
    if key is not None and not _IDEMPOTENCY_KEY.match(key):
        raise RazorpayAPIError(400, "The idempotency key is invalid.")
    fingerprint = hashlib.sha256(
        json.dumps([requested, notes, receipt, body.get("speed")], sort_keys=True).encode()
    ).hexdigest()
    store, settings = get_store(request), request.app.state.settings
    async with store.transaction() as session:
        payment: SandboxPayment = await _get(session, SandboxPayment, payment_id, lock=True)
        if key is not None:
            earlier = (
                await session.execute(
                    select(SandboxRefund).where(
                        SandboxRefund.payment_id == payment_id,
                        SandboxRefund.idempotency_key == key,
                    )
                )
            ).scalar_one_or_none()
            if earlier is not None:
                if earlier.request_hash != fingerprint:
                    raise RazorpayAPIError(
                        400,
                        "Different request with the same idempotency key has already been "
                        "processed.",
                    )
                return JSONResponse(refund_json(earlier))
        if not payment.captured:
            raise RazorpayAPIError(400, "The payment has not been captured, it cannot be refunded")
        left = payment.amount - payment.amount_refunded
        if left <= 0:
            raise RazorpayAPIError(400, "The payment has been fully refunded already")
        amount = left if requested is None else requested
        if amount > left:
            raise RazorpayAPIError(
                400,
                "The refund amount provided is greater than amount captured",
                field="amount",
            )
        config = await read_config(session)
        now = _now()
        refund = SandboxRefund(
            id=new_id("rfnd"),
            payment_id=payment.id,
            amount=amount,
            currency=payment.currency,
            status=config.refund_status,
            receipt=receipt,
            notes=notes,
            idempotency_key=key,
            request_hash=fingerprint,
            created_at=now,
        )
        session.add(refund)
        payment.amount_refunded += amount
        if payment.amount_refunded >= payment.amount:
            payment.status = "refunded"
        await session.flush()
        events = EventLog(session, now)
        entities = {"refund": refund_json(refund), "payment": payment_json(payment)}
        ids = {"order_id": payment.order_id, "payment_id": payment.id, "refund_id": refund.id}
        events.add("refund.created", entities, **ids)
        if refund.status == "processed":
            events.add("refund.processed", entities, **ids)
    _schedule(background, store, settings, events.ids, config.auto_deliver_webhooks)
    return JSONResponse(refund_json(refund))


@api.get("/v1/payments/{payment_id}/refunds")
async def fetch_payment_refunds(request: Request, payment_id: str) -> JSONResponse:
    async with get_store(request).transaction() as session:
        await _get(session, SandboxPayment, payment_id)
        refunds = await session.scalars(
            select(SandboxRefund)
            .where(SandboxRefund.payment_id == payment_id)
            .order_by(SandboxRefund.created_at.desc(), SandboxRefund.id)
        )
        return JSONResponse(collection([refund_json(r) for r in refunds]))


@api.get("/v1/payments/{payment_id}/refunds/{refund_id}")
async def fetch_payment_refund(request: Request, payment_id: str, refund_id: str) -> JSONResponse:
    async with get_store(request).transaction() as session:
        refund = await _get(session, SandboxRefund, refund_id)
        if refund.payment_id != payment_id:
            raise not_found()
        return JSONResponse(refund_json(refund))


@api.get("/v1/refunds/{refund_id}")
async def fetch_refund(request: Request, refund_id: str) -> JSONResponse:
    async with get_store(request).transaction() as session:
        refund = await _get(session, SandboxRefund, refund_id)
        return JSONResponse(refund_json(refund))


# --- Checkout stand-in and test hooks (no auth) -------------------------------------------------

hooks = APIRouter(route_class=_SandboxRoute)


@hooks.post("/checkout/{order_id}")
async def checkout(request: Request, order_id: str, background: BackgroundTasks) -> JSONResponse:
    """What Razorpay Checkout does for the customer: `{"outcome": "success" | "failure",
    "deliver_webhooks": bool (default: the config's auto_deliver_webhooks, true), "email"?,
    "contact"?}`.

    Success: a captured payment, the order paid, and what Checkout hands the front end
    (`razorpay_order_id`, `razorpay_payment_id`, `razorpay_signature`); webhooks
    `payment.captured` then `order.paid`. With the config's `auto_capture` false (an account
    without automatic capture), the payment is only authorized: the order stays `attempted`,
    the webhook is `payment.authorized`, and the merchant must capture it.

    Failure: a failed payment and, with status 200 (the checkout itself worked; the payment
    did not), what Checkout's `payment.failed` handler gets:
    `{"error": {code, description, source, step, reason, metadata: {order_id, payment_id}},
    "razorpay_order_id", "razorpay_payment_id"}`; webhook `payment.failed`. A paid order cannot
    be paid again (400).
    """
    body = await _body(request)
    _only(body, {"outcome", "deliver_webhooks", "email", "contact", "method"})
    outcome = body.get("outcome", "success")
    if outcome not in ("success", "failure"):
        raise RazorpayAPIError(400, 'outcome must be "success" or "failure"', field="outcome")
    deliver_webhooks = body.get("deliver_webhooks")
    if deliver_webhooks is not None and not isinstance(deliver_webhooks, bool):
        raise RazorpayAPIError(400, "deliver_webhooks must be a boolean", field="deliver_webhooks")
    store, settings = get_store(request), request.app.state.settings
    success = outcome == "success"
    async with store.transaction() as session:
        order: SandboxOrder = await _get(session, SandboxOrder, order_id, lock=True)
        if order.status == "paid":
            raise RazorpayAPIError(400, "Order has already been paid")
        config = await read_config(session)
        captured = success and config.auto_capture
        now = _now()
        payment = SandboxPayment(
            id=new_id("pay"),
            order_id=order.id,
            amount=order.amount - order.amount_paid,
            currency=order.currency,
            status=("captured" if captured else "authorized") if success else "failed",
            method=str(body.get("method") or "card")[:20],
            captured=captured,
            amount_refunded=0,
            email=str(body.get("email") or "customer@example.com")[:200],
            contact=str(body.get("contact") or "+919000090000")[:30],
            error_code=None if success else "BAD_REQUEST_ERROR",
            error_description=None if success else "Payment failed",
            created_at=now,
        )
        session.add(payment)
        order.attempts += 1
        if captured:
            order.amount_paid, order.status = order.amount, "paid"
        else:
            order.status = "attempted"
        await session.flush()
        events = EventLog(session, now)
        ids = {"order_id": order.id, "payment_id": payment.id}
        if success and not captured:
            events.add("payment.authorized", {"payment": payment_json(payment)}, **ids)
        elif success:
            events.add("payment.captured", {"payment": payment_json(payment)}, **ids)
            events.add(
                "order.paid",
                {"payment": payment_json(payment), "order": order_json(order)},
                **ids,
            )
        else:
            events.add("payment.failed", {"payment": payment_json(payment)}, **ids)
    deliver_now = config.auto_deliver_webhooks if deliver_webhooks is None else deliver_webhooks
    _schedule(background, store, settings, events.ids, deliver_now)
    if success:
        return JSONResponse(
            {
                "razorpay_order_id": order.id,
                "razorpay_payment_id": payment.id,
                "razorpay_signature": sign(
                    f"{order.id}|{payment.id}", (await store.credentials()).key_secret
                ),
            }
        )
    return JSONResponse(
        {
            "error": {
                "code": "BAD_REQUEST_ERROR",
                "description": "Payment failed",
                "source": "customer",
                "step": "payment_authentication",
                "reason": "payment_failed",
                "metadata": {"order_id": order.id, "payment_id": payment.id},
            },
            "razorpay_order_id": order.id,
            "razorpay_payment_id": payment.id,
        }
    )


@hooks.get("/events")
async def list_events(
    request: Request,
    order_id: str | None = None,
    payment_id: str | None = None,
    refund_id: str | None = None,
    event: str | None = None,
) -> JSONResponse:
    """Every webhook the sandbox generated (oldest first), with the exact `body` it signs and its
    `signature`, so a test can deliver it itself, twice, late or out of order."""
    statement = select(SandboxEvent).order_by(SandboxEvent.created_at, SandboxEvent.id)
    for column, value in (
        (SandboxEvent.order_id, order_id),
        (SandboxEvent.payment_id, payment_id),
        (SandboxEvent.refund_id, refund_id),
        (SandboxEvent.event, event),
    ):
        if value is not None:
            statement = statement.where(column == value)
    store = get_store(request)
    secret = (await store.credentials()).webhook_secret
    async with store.transaction() as session:
        found = list(await session.scalars(statement.limit(500)))
    return JSONResponse(
        collection(
            [
                {
                    "id": e.id,
                    "event": e.event,
                    "order_id": e.order_id,
                    "payment_id": e.payment_id,
                    "refund_id": e.refund_id,
                    "created_at": unix(e.created_at),
                    "body": e.body,
                    "payload": json.loads(e.body),
                    "signature": sign(e.body, secret),
                    "deliveries": e.deliveries,
                    "last_status": e.last_status,
                }
                for e in found
            ]
        )
    )


@hooks.post("/events/{event_id}/deliver")
async def redeliver_event(request: Request, event_id: str) -> JSONResponse:
    """Delivers a stored event once more, now (same body, signature and X-Razorpay-Event-Id), to
    the configured webhook URL, and answers what the receiver answered. The target is never
    taken from the request: the hook must not be a way to make this server post anywhere."""
    _only(await _body(request), set())
    delivery = await deliver(get_store(request), request.app.state.settings, event_id)
    if delivery is None:
        raise RazorpayAPIError(404, "No such event")
    return JSONResponse(
        {
            "event_id": delivery.event_id,
            "event": delivery.event,
            "url": delivery.url,
            "status_code": delivery.status_code,
            "error": delivery.error,
        }
    )


async def _settle_refund(
    request: Request, refund_id: str, background: BackgroundTasks, status: str
) -> JSONResponse:
    body = await _body(request)
    _only(body, {"deliver_webhooks"})
    store, settings = get_store(request), request.app.state.settings
    async with store.transaction() as session:
        refund: SandboxRefund = await _get(session, SandboxRefund, refund_id, lock=True)
        if refund.status == status:
            return JSONResponse(refund_json(refund))
        if refund.status != "pending":
            raise RazorpayAPIError(400, f"The refund is {refund.status} already")
        payment: SandboxPayment = await _get(session, SandboxPayment, refund.payment_id, True)
        refund.status = status
        if status == "failed":  # the money goes back to the merchant's balance
            payment.amount_refunded -= refund.amount
            payment.status = "captured" if refund_status_of(payment) != "full" else "refunded"
        await session.flush()
        config = await read_config(session)
        events = EventLog(session, _now())
        events.add(
            f"refund.{status}",
            {"refund": refund_json(refund), "payment": payment_json(payment)},
            order_id=payment.order_id,
            payment_id=payment.id,
            refund_id=refund.id,
        )
    deliver_webhooks = body.get("deliver_webhooks")
    deliver_now = config.auto_deliver_webhooks if deliver_webhooks is None else deliver_webhooks
    _schedule(background, store, settings, events.ids, bool(deliver_now))
    return JSONResponse(refund_json(refund))


@hooks.post("/refunds/{refund_id}/process")
async def process_refund(
    request: Request, refund_id: str, background: BackgroundTasks
) -> JSONResponse:
    """Settles a pending refund: status processed, webhook `refund.processed`."""
    return await _settle_refund(request, refund_id, background, "processed")


@hooks.post("/refunds/{refund_id}/fail")
async def fail_refund(
    request: Request, refund_id: str, background: BackgroundTasks
) -> JSONResponse:
    """A pending refund the bank bounced: status failed, webhook `refund.failed`."""
    return await _settle_refund(request, refund_id, background, "failed")


@hooks.get("/config")
async def get_config(request: Request) -> JSONResponse:
    return JSONResponse((await get_store(request).config()).as_dict())


@hooks.patch("/config")
async def update_config(request: Request) -> JSONResponse:
    """Changes some knobs: `refund_status` ("processed" | "pending"), `auto_deliver_webhooks`,
    `fail_next_requests` (the next N REST calls answer 500), `fail_after_applying` (those
    failures happen after the work is done, so the answer is lost), `delay_seconds` (every REST
    call answers that many seconds late, 0 to 30: a slow provider)."""
    body = await _body(request)
    defaults = Config().as_dict()
    _only(body, set(defaults))
    for name, value in body.items():
        expected = type(defaults[name])
        if expected is float and type(value) is int:
            body[name] = value = float(value)
        if type(value) is not expected:
            raise RazorpayAPIError(400, f"{name} has the wrong type", field=name)
    if not 0 <= body.get("delay_seconds", 0) <= 30:
        raise RazorpayAPIError(400, "delay_seconds is between 0 and 30")
    if body.get("refund_status", "processed") not in ("processed", "pending"):
        raise RazorpayAPIError(400, 'refund_status is "processed" or "pending"')
    if body.get("fail_next_requests", 0) < 0:
        raise RazorpayAPIError(400, "fail_next_requests must be >= 0")
    return JSONResponse((await get_store(request).update_config(**body)).as_dict())


@hooks.delete("/config")
async def reset_config(request: Request) -> JSONResponse:
    return JSONResponse((await get_store(request).reset_config()).as_dict())


# --- The router the app mounts ------------------------------------------------------------------


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    store: SandboxStore | None = getattr(app.state, "razorpay_sandbox", None)
    if store is not None:
        await store.dispose()


router = APIRouter(tags=["razorpay-sandbox"], lifespan=_lifespan)
router.include_router(api)
router.include_router(hooks)
