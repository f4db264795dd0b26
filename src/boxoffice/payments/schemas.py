from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from boxoffice.text import NO_CONTROL_CHARACTERS


class PaymentOrderOut(BaseModel):
    provider: Literal["razorpay"] = "razorpay"
    order_id: str
    amount: int
    currency: str
    key_id: str


class VerifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    razorpay_order_id: Annotated[str, Field(min_length=1, max_length=64), NO_CONTROL_CHARACTERS]
    razorpay_payment_id: Annotated[str, Field(min_length=1, max_length=64), NO_CONTROL_CHARACTERS]
    razorpay_signature: Annotated[str, Field(min_length=1, max_length=256), NO_CONTROL_CHARACTERS]


class WebhookAck(BaseModel):
    status: str


class RefundAttemptOut(BaseModel):
    number: int
    status: str
    provider_refund_id: str | None
    error: str | None
    started_at: datetime
    finished_at: datetime | None


class AdminRefundOut(BaseModel):
    id: str
    booking_id: str
    amount: int
    status: Literal["PENDING", "PROCESSED", "FAILED"]
    attempts: int
    last_error: str | None = None
    # When the worker tries again; null once the refund is settled or FAILED for good.
    next_attempt_at: datetime | None
    provider_refund_id: str | None
    reason: str
    created_at: datetime
    updated_at: datetime
    history: list[RefundAttemptOut]


class AdminRefundList(BaseModel):
    items: list[AdminRefundOut]
    limit: int
    offset: int
