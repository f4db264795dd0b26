from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class PaymentOrderOut(BaseModel):
    provider: Literal["razorpay"] = "razorpay"
    order_id: str
    amount: int
    currency: str
    key_id: str


class VerifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    razorpay_order_id: str = Field(min_length=1, max_length=64)
    razorpay_payment_id: str = Field(min_length=1, max_length=64)
    razorpay_signature: str = Field(min_length=1, max_length=256)


class WebhookAck(BaseModel):
    status: str
