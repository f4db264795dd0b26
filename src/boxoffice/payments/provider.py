"""The payment provider as the booking-payment service sees it: what it asks, what it gets back
and how a call fails. Razorpay implements it through its official SDK (`razorpay_sdk`).

Every failure is one `PaymentProviderError` (a 502 problem); `ProviderRejected` when Razorpay
answered with an error about the request itself, `ProviderUnavailable` otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from boxoffice.errors import BadGateway


class PaymentProviderError(BadGateway):
    """The provider failed or refused; the request answers 502 unless the caller handles it.

    `provider_message` is Razorpay's description (or the network error's class), for logs;
    it never reaches the API client.
    """

    title = "The payment provider did not answer as expected"
    retryable: bool = True

    def __init__(self, detail: str | None = None, *, provider_message: str = "") -> None:
        super().__init__(detail)
        self.provider_message = provider_message


class ProviderRejected(PaymentProviderError):
    """Razorpay answered with an error about the request (unknown id, over-refund, bad amount).

    Repeating the same request gets the same answer.
    """

    retryable = False


class ProviderUnavailable(PaymentProviderError):
    """No usable answer: connection refused, timeout, 5xx, garbage. The outcome may be unknown."""

    retryable = True


# --- What the service gets back ----------------------------------------------------------------


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | str) and str(value).lstrip("-").isdigit() else 0


def _notes(value: Any) -> dict[str, str]:
    # Razorpay renders empty notes as [] rather than {}.
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, Mapping) else {}


@dataclass(frozen=True)
class ProviderOrder:
    id: str
    amount: int
    amount_paid: int
    amount_due: int
    currency: str
    receipt: str | None
    status: str  # created | attempted | paid
    notes: dict[str, str] = field(default_factory=dict)
    created_at: int = 0  # unix seconds

    @classmethod
    def from_entity(cls, entity: Mapping[str, Any]) -> ProviderOrder:
        return cls(
            id=str(entity["id"]),
            amount=_int(entity.get("amount")),
            amount_paid=_int(entity.get("amount_paid")),
            amount_due=_int(entity.get("amount_due")),
            currency=str(entity.get("currency", "")),
            receipt=_str(entity.get("receipt")),
            status=str(entity.get("status", "")),
            notes=_notes(entity.get("notes")),
            created_at=_int(entity.get("created_at")),
        )


@dataclass(frozen=True)
class ProviderPayment:
    id: str
    order_id: str | None
    amount: int
    currency: str
    status: str  # created | authorized | captured | refunded | failed
    captured: bool
    amount_refunded: int = 0
    refund_status: str | None = None  # None | partial | full
    method: str | None = None
    email: str | None = None
    contact: str | None = None
    error_code: str | None = None
    error_description: str | None = None
    created_at: int = 0

    @property
    def is_captured(self) -> bool:
        """Money was taken (a later refund does not undo that it was captured)."""
        return self.captured and self.status in ("captured", "refunded")

    @classmethod
    def from_entity(cls, entity: Mapping[str, Any]) -> ProviderPayment:
        """Also parses `payload.payment.entity` of a webhook."""
        return cls(
            id=str(entity["id"]),
            order_id=_str(entity.get("order_id")),
            amount=_int(entity.get("amount")),
            currency=str(entity.get("currency", "")),
            status=str(entity.get("status", "")),
            captured=entity.get("captured") is True,
            amount_refunded=_int(entity.get("amount_refunded")),
            refund_status=_str(entity.get("refund_status")),
            method=_str(entity.get("method")),
            email=_str(entity.get("email")),
            contact=_str(entity.get("contact")),
            error_code=_str(entity.get("error_code")),
            error_description=_str(entity.get("error_description")),
            created_at=_int(entity.get("created_at")),
        )


@dataclass(frozen=True)
class ProviderRefund:
    id: str
    payment_id: str
    amount: int
    currency: str
    status: str  # pending | processed | failed
    receipt: str | None = None
    notes: dict[str, str] = field(default_factory=dict)
    created_at: int = 0

    @classmethod
    def from_entity(cls, entity: Mapping[str, Any]) -> ProviderRefund:
        """Also parses `payload.refund.entity` of a webhook."""
        return cls(
            id=str(entity["id"]),
            payment_id=str(entity.get("payment_id", "")),
            amount=_int(entity.get("amount")),
            currency=str(entity.get("currency", "")),
            status=str(entity.get("status", "")),
            receipt=_str(entity.get("receipt")),
            notes=_notes(entity.get("notes")),
            created_at=_int(entity.get("created_at")),
        )


# --- The interface ----------------------------------------------------------------------------


class PaymentProvider(Protocol):
    """What the booking-payment service needs from a payment provider."""

    @property
    def key_id(self) -> str: ...

    async def create_order(
        self, amount: int, currency: str, receipt: str, notes: Mapping[str, str] | None = None
    ) -> ProviderOrder: ...

    async def fetch_order(self, order_id: str) -> ProviderOrder: ...

    async def orders_with_receipt(self, receipt: str) -> list[ProviderOrder]: ...

    async def fetch_order_payments(self, order_id: str) -> list[ProviderPayment]: ...

    async def fetch_payment(self, payment_id: str) -> ProviderPayment: ...

    async def capture_payment(
        self, payment_id: str, amount: int, currency: str
    ) -> ProviderPayment: ...

    async def refund_payment(
        self,
        payment_id: str,
        amount: int | None = None,
        notes: Mapping[str, str] | None = None,
        receipt: str | None = None,
        idempotency_key: str | None = None,
    ) -> ProviderRefund: ...

    async def fetch_refund(self, refund_id: str) -> ProviderRefund: ...

    async def fetch_payment_refunds(self, payment_id: str) -> list[ProviderRefund]: ...

    def verify_payment_signature(self, order_id: str, payment_id: str, signature: str) -> bool: ...

    def verify_webhook_signature(self, raw_body: bytes, signature: str) -> bool: ...
