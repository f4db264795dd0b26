"""The sandbox's HTTP surface, mounted at /_sandbox/razorpay.

- `/v1/...`: the part of Razorpay's REST API the SDK calls (basic auth with the key id and
  secret; errors in Razorpay's `{"error": {"code", "description", ...}}` shape).
- `/checkout/{order_id}`: what Razorpay Checkout does in the customer's browser (no auth).
- Test hooks (the same basic auth as the REST API: they can break every payment or show every
  webhook's signature): the events generated and their redelivery, settling a pending refund,
  and a few knobs (`/config`).

Routes read the request and render the answer; what changes is in `orders` and `refunds`, every
query in `repository`, the state's home and knobs in `store`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter, BackgroundTasks, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.sandbox import inputs, orders, refunds, repository
from boxoffice.sandbox.entities import (
    RazorpayAPIError,
    collection,
    not_found,
    order_json,
    payment_json,
    refund_json,
)
from boxoffice.sandbox.models import SandboxOrder, SandboxPayment, SandboxRefund
from boxoffice.sandbox.routing import RazorpayApiRoute, SandboxHookRoute, SandboxRoute
from boxoffice.sandbox.store import Config, Gate, SandboxStore, get_store, read_config
from boxoffice.sandbox.webhooks import EventLog, deliver, deliver_in_order, event_json, sign


def _now() -> datetime:
    # The sandbox stands for an outside service: its clock is the real one, not the app's.
    return datetime.now(UTC)


@asynccontextmanager
async def _change(request: Request) -> AsyncIterator[tuple[AsyncSession, EventLog, Config]]:
    """One transaction that may generate webhooks: its session, the log of the events it
    generates, and the test knobs."""
    async with get_store(request).transaction() as session:
        yield session, EventLog(session, _now()), await read_config(session)


def _deliver(
    background: BackgroundTasks, request: Request, events: EventLog, deliver_now: bool
) -> None:
    """Sends the events after the answer (when the config or the request says so)."""
    if events.generated and deliver_now:
        store, settings = get_store(request), request.app.state.settings
        background.add_task(deliver_in_order, store, settings, list(events.generated))


# --- REST API (what the SDK calls) --------------------------------------------------------------

api = APIRouter(route_class=RazorpayApiRoute)


@api.post("/v1/orders")
async def create_order(request: Request) -> JSONResponse:
    body = await inputs.body_of(
        request, {"amount", "currency", "receipt", "notes", "partial_payment", "payment_capture"}
    )
    amount = inputs.amount(body.get("amount"))
    currency = inputs.currency(body.get("currency"))
    receipt, notes = inputs.receipt(body.get("receipt")), inputs.notes(body.get("notes"))
    async with get_store(request).transaction() as session:
        order = orders.create_order(
            session, _now(), amount=amount, currency=currency, receipt=receipt, notes=notes
        )
    return JSONResponse(order_json(order))


@api.get("/v1/orders")
async def list_orders(
    request: Request, receipt: str | None = None, count: int = 10
) -> JSONResponse:
    """Orders, newest first; Razorpay's `receipt` filter finds the orders made for a booking."""
    async with get_store(request).transaction() as session:
        found = await repository.orders(session, receipt, count)
        return JSONResponse(collection([order_json(order) for order in found]))


@api.get("/v1/orders/{order_id}")
async def fetch_order(request: Request, order_id: str) -> JSONResponse:
    async with get_store(request).transaction() as session:
        order = await repository.get(session, SandboxOrder, order_id)
        return JSONResponse(order_json(order))


@api.get("/v1/orders/{order_id}/payments")
async def fetch_order_payments(request: Request, order_id: str) -> JSONResponse:
    async with get_store(request).transaction() as session:
        await repository.get(session, SandboxOrder, order_id)
        payments = await repository.payments_of_order(session, order_id)
        return JSONResponse(collection([payment_json(p) for p in payments]))


@api.get("/v1/payments/{payment_id}")
async def fetch_payment(request: Request, payment_id: str) -> JSONResponse:
    async with get_store(request).transaction() as session:
        payment = await repository.get(session, SandboxPayment, payment_id)
        return JSONResponse(payment_json(payment))


@api.post("/v1/payments/{payment_id}/capture")
async def capture_payment(
    request: Request, payment_id: str, background: BackgroundTasks
) -> JSONResponse:
    """Captures an authorized payment for exactly its amount and currency: the order is paid and
    `payment.captured` and `order.paid` go out (see `orders.capture`)."""
    body = await inputs.body_of(request, {"amount", "currency"})
    amount = inputs.amount(body.get("amount"))
    async with _change(request) as (session, events, config):
        payment = await orders.capture(
            session, events, payment_id, amount, body.get("currency", orders.UNSET)
        )
    _deliver(background, request, events, config.auto_deliver_webhooks)
    return JSONResponse(payment_json(payment))


@api.post("/v1/payments/{payment_id}/refund")
async def refund_payment(
    request: Request, payment_id: str, background: BackgroundTasks
) -> JSONResponse:
    """A refund of a captured payment (default: all that is left). `X-Refund-Idempotency`: the
    same key and body answer the refund made the first time; another body with it is refused."""
    body = await inputs.body_of(request, {"amount", "notes", "receipt", "speed"})
    asked = refunds.RefundRequest(
        amount=None if body.get("amount") is None else inputs.amount(body.get("amount")),
        notes=inputs.notes(body.get("notes")),
        receipt=inputs.receipt(body.get("receipt")),
        speed=body.get("speed"),
        idempotency_key=inputs.idempotency_key(request),
    )
    async with _change(request) as (session, events, config):
        refund = await refunds.refund(session, events, config, payment_id, asked)
    _deliver(background, request, events, config.auto_deliver_webhooks)
    return JSONResponse(refund_json(refund))


@api.get("/v1/payments/{payment_id}/refunds")
async def fetch_payment_refunds(request: Request, payment_id: str) -> JSONResponse:
    async with get_store(request).transaction() as session:
        await repository.get(session, SandboxPayment, payment_id)
        found = await repository.refunds_of_payment(session, payment_id)
        return JSONResponse(collection([refund_json(r) for r in found]))


@api.get("/v1/payments/{payment_id}/refunds/{refund_id}")
async def fetch_payment_refund(request: Request, payment_id: str, refund_id: str) -> JSONResponse:
    async with get_store(request).transaction() as session:
        refund = await repository.get(session, SandboxRefund, refund_id)
        if refund.payment_id != payment_id:
            raise not_found()
        return JSONResponse(refund_json(refund))


@api.get("/v1/refunds/{refund_id}")
async def fetch_refund(request: Request, refund_id: str) -> JSONResponse:
    async with get_store(request).transaction() as session:
        refund = await repository.get(session, SandboxRefund, refund_id)
        return JSONResponse(refund_json(refund))


# --- Checkout's stand-in (no auth: the customer's browser calls it) ---------------------------

checkout_stand_in = APIRouter(route_class=SandboxRoute)


@checkout_stand_in.post("/checkout/{order_id}")
async def checkout(request: Request, order_id: str, background: BackgroundTasks) -> JSONResponse:
    """What Razorpay Checkout does for the customer: `{"outcome": "success" | "failure",
    "deliver_webhooks": bool (default: the config's auto_deliver_webhooks, true), "email"?,
    "contact"?, "amount"?, "currency"?}` (the last two: a payment for another amount or
    currency than the order's, as a provider that took another one would report it).

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
    body = await inputs.body_of(
        request, {"outcome", "deliver_webhooks", "email", "contact", "method", "amount", "currency"}
    )
    outcome = body.get("outcome", "success")
    if outcome not in ("success", "failure"):
        raise RazorpayAPIError(400, 'outcome must be "success" or "failure"', field="outcome")
    deliver_webhooks = inputs.optional_flag(body, "deliver_webhooks")
    success = outcome == "success"
    async with _change(request) as (session, events, config):
        payment = await orders.pay_at_checkout(
            session,
            events,
            config,
            order_id,
            success=success,
            method=str(body.get("method") or "card")[:20],
            email=str(body.get("email") or "customer@example.com")[:200],
            contact=str(body.get("contact") or "+919000090000")[:30],
            amount=None if body.get("amount") is None else inputs.amount(body.get("amount")),
            currency=None if body.get("currency") is None else inputs.currency(body["currency"]),
        )
    deliver_now = config.auto_deliver_webhooks if deliver_webhooks is None else deliver_webhooks
    _deliver(background, request, events, deliver_now)
    ids = {"razorpay_order_id": payment.order_id, "razorpay_payment_id": payment.id}
    if success:
        key_secret = (await get_store(request).credentials()).key_secret
        return JSONResponse(
            {**ids, "razorpay_signature": sign(f"{payment.order_id}|{payment.id}", key_secret)}
        )
    return JSONResponse(
        {
            "error": {
                "code": "BAD_REQUEST_ERROR",
                "description": "Payment failed",
                "source": "customer",
                "step": "payment_authentication",
                "reason": "payment_failed",
                "metadata": {"order_id": payment.order_id, "payment_id": payment.id},
            },
            **ids,
        }
    )


# --- Test hooks (the sandbox's key id and secret, as its REST API) ------------------------------

hooks = APIRouter(route_class=SandboxHookRoute)


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
    store = get_store(request)
    secret = (await store.credentials()).webhook_secret
    async with store.transaction() as session:
        found = await repository.events(
            session,
            order_id=order_id,
            payment_id=payment_id,
            refund_id=refund_id,
            event_type=event,
        )
    return JSONResponse(collection([event_json(e, secret) for e in found]))


@hooks.post("/events/{event_id}/deliver")
async def redeliver_event(request: Request, event_id: str) -> JSONResponse:
    """Delivers a stored event once more, now (same body, signature and X-Razorpay-Event-Id), to
    the configured webhook URL, and answers what the receiver answered. The target is never
    taken from the request: the hook must not be a way to make this server post anywhere."""
    await inputs.body_of(request, set())
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
    request: Request,
    refund_id: str,
    background: BackgroundTasks,
    status: Literal["processed", "failed"],
) -> JSONResponse:
    body = await inputs.body_of(request, {"deliver_webhooks"})
    async with _change(request) as (session, events, config):
        refund = await refunds.settle(session, events, refund_id, status)
    deliver_webhooks = body.get("deliver_webhooks")
    deliver_now = config.auto_deliver_webhooks if deliver_webhooks is None else deliver_webhooks
    _deliver(background, request, events, bool(deliver_now))
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


@hooks.post("/gates", status_code=201)
async def close_gate(request: Request) -> JSONResponse:
    """`{"matching": "..."}`: from now on this process's sandbox holds every REST call whose
    path, query or body contain it, until the gate is opened (`waiting` counts the calls held).
    DELETE /config opens every gate."""
    matching = inputs.matching(await inputs.body_of(request, {"matching"}))
    return JSONResponse(get_store(request).close_gate(matching).as_dict(), status_code=201)


@hooks.get("/gates/{gate_id}")
async def read_gate(request: Request, gate_id: str) -> JSONResponse:
    return JSONResponse(_gate(request, gate_id).as_dict())


@hooks.post("/gates/{gate_id}/open")
async def open_gate(request: Request, gate_id: str) -> JSONResponse:
    """Lets the calls it holds, and any later ones, through."""
    await inputs.body_of(request, set())
    gate = _gate(request, gate_id)
    gate.opened.set()
    return JSONResponse(gate.as_dict())


def _gate(request: Request, gate_id: str) -> Gate:
    gate = get_store(request).gates.get(gate_id)
    if gate is None:
        raise RazorpayAPIError(404, "No such gate")
    return gate


@hooks.get("/config")
async def get_config(request: Request) -> JSONResponse:
    return JSONResponse((await get_store(request).config()).as_dict())


@hooks.patch("/config")
async def update_config(request: Request) -> JSONResponse:
    """Changes some knobs: `refund_status` ("processed" | "pending"), `auto_deliver_webhooks`,
    `fail_next_requests` (the next N REST calls answer 500), `fail_after_applying` (those
    failures happen after the work is done, so the answer is lost), `fail_matching` (only calls
    whose path, query or body contain this text take them: a booking's, order's or payment's
    id; empty, any call), `auto_capture`."""
    changes = inputs.config_changes(await inputs.body_of(request, set(Config().as_dict())))
    return JSONResponse((await get_store(request).update_config(**changes)).as_dict())


@hooks.delete("/config")
async def reset_config(request: Request) -> JSONResponse:
    """The knobs back to their defaults, and every gate of this process open."""
    store = get_store(request)
    store.open_all_gates()
    return JSONResponse((await store.reset_config()).as_dict())


# --- The router the app mounts ------------------------------------------------------------------


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    store: SandboxStore | None = getattr(app.state, "razorpay_sandbox", None)
    if store is not None:
        await store.dispose()


router = APIRouter(tags=["razorpay-sandbox"], lifespan=_lifespan)
router.include_router(api)
router.include_router(checkout_stand_in)
router.include_router(hooks)
