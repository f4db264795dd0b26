"""Razorpay's ids, JSON entities and error bodies, as the sandbox renders them."""

from __future__ import annotations

import secrets
import string
from datetime import datetime
from typing import Any

from fastapi.responses import JSONResponse

from boxoffice.sandbox.models import SandboxOrder, SandboxPayment, SandboxRefund

_ALNUM = string.ascii_letters + string.digits
ACCOUNT_ID = "acc_sandbox"


def _random(length: int = 14) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def new_id(prefix: str) -> str:
    """Razorpay's form: a prefix and 14 letters or digits (`order_…`, `pay_…`, `rfnd_…`)."""
    return f"{prefix}_{_random()}"


def new_event_id() -> str:
    """X-Razorpay-Event-Id: 14 letters or digits, no prefix."""
    return _random()


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


def notes_json(notes: Any) -> Any:
    # Razorpay renders empty notes as an empty list.
    return notes if notes else []


class RazorpayAPIError(Exception):
    """An error answered in Razorpay's shape; the SDK maps BAD_REQUEST_ERROR to BadRequestError
    and the rest to ServerError."""

    def __init__(
        self,
        status: int,
        description: str,
        code: str = "BAD_REQUEST_ERROR",
        field: str | None = None,
        reason: str = "NA",
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.code = code
        self.field = field
        self.reason = reason

    def response(self) -> JSONResponse:
        error: dict[str, Any] = {
            "code": self.code,
            "description": self.description,
            "source": "NA",
            "step": "NA",
            "reason": self.reason,
            "metadata": {},
        }
        if self.field:
            error["field"] = self.field
        return JSONResponse({"error": error}, status_code=self.status)


def not_found() -> RazorpayAPIError:
    return RazorpayAPIError(400, "The id provided does not exist", reason="input_validation_failed")


def server_error() -> RazorpayAPIError:
    return RazorpayAPIError(
        500,
        "The server encountered an error. The incident has been reported to admins.",
        code="SERVER_ERROR",
    )


def order_json(order: SandboxOrder) -> dict[str, Any]:
    return {
        "id": order.id,
        "entity": "order",
        "amount": order.amount,
        "amount_paid": order.amount_paid,
        "amount_due": order.amount - order.amount_paid,
        "currency": order.currency,
        "receipt": order.receipt,
        "offer_id": None,
        "status": order.status,
        "attempts": order.attempts,
        "notes": notes_json(order.notes),
        "created_at": unix(order.created_at),
    }


def refund_status_of(payment: SandboxPayment) -> str | None:
    if payment.amount_refunded <= 0:
        return None
    return "full" if payment.amount_refunded >= payment.amount else "partial"


def payment_json(payment: SandboxPayment) -> dict[str, Any]:
    fee = payment.amount * 236 // 10_000 if payment.captured else None  # 2% + 18% GST on it
    return {
        "id": payment.id,
        "entity": "payment",
        "amount": payment.amount,
        "currency": payment.currency,
        "status": payment.status,
        "order_id": payment.order_id,
        "invoice_id": None,
        "international": False,
        "method": payment.method,
        "amount_refunded": payment.amount_refunded,
        "refund_status": refund_status_of(payment),
        "captured": payment.captured,
        "description": "Boxoffice sandbox payment",
        "card_id": None,
        "bank": None,
        "wallet": None,
        "vpa": None,
        "email": payment.email,
        "contact": payment.contact,
        "notes": [],
        "fee": fee,
        "tax": None if fee is None else fee - fee * 100 // 118,
        "error_code": payment.error_code,
        "error_description": payment.error_description,
        "error_source": "customer" if payment.error_code else None,
        "error_step": "payment_authentication" if payment.error_code else None,
        "error_reason": "payment_failed" if payment.error_code else None,
        "acquirer_data": {"auth_code": None},
        "created_at": unix(payment.created_at),
    }


def refund_json(refund: SandboxRefund) -> dict[str, Any]:
    return {
        "id": refund.id,
        "entity": "refund",
        "amount": refund.amount,
        "currency": refund.currency,
        "payment_id": refund.payment_id,
        "notes": notes_json(refund.notes),
        "receipt": refund.receipt,
        "acquirer_data": {"arn": None},
        "created_at": unix(refund.created_at),
        "batch_id": None,
        "status": refund.status,
        "speed_processed": "normal",
        "speed_requested": "normal",
    }


def collection(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"entity": "collection", "count": len(items), "items": items}
