from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse

from boxoffice.accounts.dependencies import AdminDep, PrincipalDep
from boxoffice.db.unit_of_work import end_unit_of_work_early
from boxoffice.dependencies import (
    IdempotencyKey,
    Limit,
    NowDep,
    Offset,
    SessionDep,
)
from boxoffice.idempotency import request_fingerprint, respond_once
from boxoffice.payments import orders, refunds, webhooks
from boxoffice.payments.models import Refund, RefundAttempt, RefundStatus
from boxoffice.payments.provider import PaymentProvider
from boxoffice.payments.schemas import (
    AdminRefundList,
    AdminRefundOut,
    PaymentOrderOut,
    RefundAttemptOut,
    WebhookAck,
)

router = APIRouter(tags=["payments"])


def _provider(request: Request) -> PaymentProvider:
    provider: PaymentProvider = request.app.state.provider
    return provider


@router.post(
    "/bookings/{booking_id}/payments",
    status_code=201,
    response_model=PaymentOrderOut,
    responses={
        200: {"description": "The order made earlier for this booking", "model": PaymentOrderOut},
        409: {"description": "The booking is not pending (paid, cancelled or expired)"},
        422: {"description": "A guest without an email or phone"},
        502: {"description": "The payment provider failed"},
    },
)
async def start_payment(
    booking_id: uuid.UUID,
    request: Request,
    principal: PrincipalDep,
    session: SessionDep,
    now: NowDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Create (once) the Razorpay order for a pending booking: what Checkout needs.

    Razorpay is called with no transaction open and no row locked: other requests on the
    booking and its show go on meanwhile, and a second request for the same booking waits for
    this one's order instead of creating another.
    """
    await end_unit_of_work_early(session)
    state = request.app.state

    async def create() -> tuple[int, PaymentOrderOut]:
        order = await orders.start_payment(
            state.sessionmaker,
            _provider(request),
            principal,
            booking_id,
            state.clock,
            state.settings,
        )
        body = PaymentOrderOut(
            order_id=order.order_id,
            amount=order.amount,
            currency=order.currency,
            key_id=order.key_id,
        )
        return (201 if order.created else 200), body

    return await respond_once(
        state.sessionmaker,
        customer=principal.actor,
        endpoint="POST /bookings/{id}/payments",
        key=idempotency_key,
        fingerprint=request_fingerprint(None, str(booking_id)),
        now=now,
        operation=create,
    )


@router.post(
    "/webhooks/razorpay",
    response_model=WebhookAck,
    responses={400: {"description": "Missing or bad X-Razorpay-Signature; nothing changed"}},
)
async def razorpay_webhook(
    request: Request,
    session: SessionDep,
    now: NowDep,
    signature: Annotated[str | None, Header(alias="X-Razorpay-Signature")] = None,
    event_id: Annotated[str | None, Header(alias="X-Razorpay-Event-Id")] = None,
) -> WebhookAck:
    """Razorpay's signed events; each event id takes effect once, in any order.

    A payment delivery with nothing left to do is answered in front of the router
    (`payments.lane.WebhookLane`); this route answers every other delivery."""
    outcome = await webhooks.handle_webhook(
        session, await request.body(), signature, event_id, now, _provider(request)
    )
    return WebhookAck(status=outcome)


# --- refunds, for operators ----------------------------------------------------------------------


def _refund_out(
    refund: Refund, booking_id: uuid.UUID, attempts: list[RefundAttempt]
) -> AdminRefundOut:
    return AdminRefundOut(
        id=str(refund.id),
        booking_id=str(booking_id),
        amount=refund.amount,
        status=refund.status.value,
        attempts=refund.attempts,
        last_error=refund.last_error,
        next_attempt_at=refund.next_attempt_at,
        provider_refund_id=refund.provider_refund_id,
        reason=refund.reason,
        created_at=refund.created_at,
        updated_at=refund.updated_at,
        history=[
            RefundAttemptOut(
                number=a.number,
                status=a.status.value,
                provider_refund_id=a.provider_refund_id,
                error=a.error,
                started_at=a.started_at,
                finished_at=a.finished_at,
            )
            for a in attempts
        ],
    )


@router.get("/admin/refunds", response_model=AdminRefundList)
async def list_refunds(
    request: Request,
    _admin: AdminDep,
    status: Annotated[RefundStatus | None, Query(description="e.g. FAILED")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> AdminRefundList:
    """Refunds, newest first, with their attempts; `?status=FAILED` lists those that need a
    human (or are waiting for their next automatic attempt: see `next_attempt_at`)."""
    views = await refunds.list_refunds(request.app.state.sessionmaker, status, limit, offset)
    return AdminRefundList(items=[_refund_out(*view) for view in views], limit=limit, offset=offset)


@router.post(
    "/admin/refunds/{refund_id}/retry",
    response_model=AdminRefundOut,
    responses={
        404: {"description": "No such refund"},
        409: {"description": "The refund is not FAILED (or is being retried already)"},
    },
)
async def retry_refund(refund_id: uuid.UUID, request: Request, _admin: AdminDep) -> AdminRefundOut:
    """Tries a FAILED refund again at once (one more attempt, past the automatic limit too).

    The provider is asked outside any transaction; the answer is the refund after the attempt.
    """
    state = request.app.state
    await refunds.retry_failed_refund(
        state.sessionmaker,
        _provider(request),
        refund_id,
        state.clock,
        state.settings.refund_max_attempts,
    )
    (view,) = await refunds.refund_views(state.sessionmaker, [refund_id])
    return _refund_out(*view)
