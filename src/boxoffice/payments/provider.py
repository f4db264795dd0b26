"""The payment provider as the booking-payment service sees it: Razorpay, through its official SDK.

With real keys the SDK talks to Razorpay; with `RAZORPAY_SANDBOX=true` it talks to the offline
sandbox (`boxoffice.sandbox`), on this server or wherever `RAZORPAY_BASE_URL` points.
Either way the same SDK code path runs.

The SDK is synchronous (`requests`), so every call runs in a worker thread (`asyncio.to_thread`),
with a timeout on every HTTP request (the SDK sets none of its own). Retries are bounded and only
where a repeat cannot move money twice:

- fetches are retried (3 attempts, short backoff) on connection errors, timeouts and 5xx answers;
- a refund is retried the same way because it always carries an `X-Refund-Idempotency` key
  (Razorpay answers a repeat with the refund it already made);
- an order create is retried only when the connection could not be opened, i.e. the request
  never left this host. After that the outcome is unknown and a repeat could create a second
  order (harmless, it is never paid, but the caller decides): the error is raised instead.

The SDK's own retry (`client.enable_retry`) stays off: it would retry creates blindly.
Every failure becomes one `PaymentProviderError` (a 502 problem); `ProviderRejected` when
Razorpay answered with an error about the request itself, `ProviderUnavailable` otherwise.
Secrets are never logged.
"""

from __future__ import annotations

import asyncio
import functools
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import razorpay
import requests
from razorpay.errors import BadRequestError, GatewayError, ServerError, SignatureVerificationError
from urllib3.exceptions import ConnectTimeoutError

from boxoffice.config import SANDBOX_PATH, RazorpayCredentials, Settings
from boxoffice.errors import BadGateway
from boxoffice.logs import get_logger

log = get_logger("boxoffice.payments.provider")

RAZORPAY_API_URL = "https://api.razorpay.com"
ATTEMPTS = 3
BACKOFF_SECONDS = 0.2
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{10,}$")

T = TypeVar("T")


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


# --- Razorpay through the SDK -----------------------------------------------------------------


class _TimeoutSession(requests.Session):
    """A requests session whose every request carries a timeout (the SDK passes none)."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def request(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self._timeout)
        return super().request(*args, **kwargs)


def _never_sent(error: Exception) -> bool:
    """The connection could not be opened, so the request cannot have reached the provider."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(error, requests.exceptions.ConnectionError) and error.args:
        reason = getattr(error.args[0], "reason", None)
        # urllib3's NewConnectionError (refused, DNS) is a ConnectTimeoutError too.
        return isinstance(reason, ConnectTimeoutError)
    return False


def _transient(error: Exception) -> bool:
    return isinstance(error, requests.exceptions.RequestException | ServerError | GatewayError)


class RazorpayProvider:
    """`PaymentProvider` over the official `razorpay` SDK. One per process: see `get_provider`."""

    def __init__(
        self,
        credentials: RazorpayCredentials,
        base_url: str,
        timeout_seconds: float,
        attempts: int = ATTEMPTS,
        backoff_seconds: float = BACKOFF_SECONDS,
    ) -> None:
        self._credentials = credentials
        self.base_url = base_url
        self._attempts = max(1, attempts)
        self._backoff = backoff_seconds
        session = _TimeoutSession(timeout_seconds)
        # Calls run in the default thread pool; let each thread keep a connection.
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=32)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        self._client = razorpay.Client(
            session=session,
            auth=(credentials.key_id, credentials.key_secret),
            base_url=base_url,
        )
        self._client.set_app_details({"title": "boxoffice", "version": "0.1.0"})

    def __repr__(self) -> str:
        return f"RazorpayProvider(key_id={self.key_id!r}, base_url={self.base_url!r})"

    @property
    def credentials(self) -> RazorpayCredentials:
        return self._credentials

    @property
    def key_id(self) -> str:
        return self._credentials.key_id

    # Orders

    async def create_order(
        self, amount: int, currency: str, receipt: str, notes: Mapping[str, str] | None = None
    ) -> ProviderOrder:
        data = {
            "amount": amount,
            "currency": currency,
            "receipt": receipt,
            "notes": dict(notes or {}),
        }
        entity = await self._call(
            "order.create", lambda: self._client.order.create(data), retry_when=_never_sent
        )
        return ProviderOrder.from_entity(entity)

    async def fetch_order(self, order_id: str) -> ProviderOrder:
        entity = await self._call("order.fetch", lambda: self._client.order.fetch(order_id))
        return ProviderOrder.from_entity(entity)

    async def orders_with_receipt(self, receipt: str) -> list[ProviderOrder]:
        """Orders created with this `receipt` (ours: the booking id), newest first."""
        collection = await self._call(
            "order.all", lambda: self._client.order.all({"receipt": receipt, "count": 10})
        )
        return [ProviderOrder.from_entity(item) for item in _items(collection)]

    async def fetch_order_payments(self, order_id: str) -> list[ProviderPayment]:
        collection = await self._call(
            "order.payments", lambda: self._client.order.payments(order_id)
        )
        return [ProviderPayment.from_entity(item) for item in _items(collection)]

    # Payments

    async def fetch_payment(self, payment_id: str) -> ProviderPayment:
        entity = await self._call("payment.fetch", lambda: self._client.payment.fetch(payment_id))
        return ProviderPayment.from_entity(entity)

    async def capture_payment(self, payment_id: str, amount: int, currency: str) -> ProviderPayment:
        """Captures an authorized payment; capturing a captured one again returns it unchanged."""
        entity = await self._call(
            "payment.capture",
            lambda: self._client.payment.capture(payment_id, amount, {"currency": currency}),
        )
        return ProviderPayment.from_entity(entity)

    # Refunds

    async def refund_payment(
        self,
        payment_id: str,
        amount: int | None = None,
        notes: Mapping[str, str] | None = None,
        receipt: str | None = None,
        idempotency_key: str | None = None,
    ) -> ProviderRefund:
        """Refunds `amount` (default: all that is left) of a captured payment.

        The request carries `X-Refund-Idempotency` = `idempotency_key`, or `receipt` when that is
        a valid key (10+ letters, digits, `-`, `_`; a UUID is): Razorpay answers a repeat with the
        refund it already made, so this call may be retried, here and by the caller.
        Refunding more than is left is refused (`ProviderRejected`).
        """
        data: dict[str, Any] = {"notes": dict(notes or {})}
        if amount is not None:
            data["amount"] = amount
        if receipt is not None:
            data["receipt"] = receipt
        key = idempotency_key or (receipt if receipt and _IDEMPOTENCY_KEY.match(receipt) else None)
        if key is not None and not _IDEMPOTENCY_KEY.match(key):
            raise ValueError("idempotency_key: 10+ characters of A-Z a-z 0-9 - _")
        headers = {"X-Refund-Idempotency": key} if key else {}
        entity = await self._call(
            "payment.refund",
            lambda: self._client.payment.refund(payment_id, data, headers=dict(headers)),
            retry_when=_transient if key else _never_sent,
        )
        return ProviderRefund.from_entity(entity)

    async def fetch_refund(self, refund_id: str) -> ProviderRefund:
        entity = await self._call("refund.fetch", lambda: self._client.refund.fetch(refund_id))
        return ProviderRefund.from_entity(entity)

    async def fetch_payment_refunds(self, payment_id: str) -> list[ProviderRefund]:
        collection = await self._call(
            "payment.refunds", lambda: self._client.payment.fetch_multiple_refund(payment_id)
        )
        return [ProviderRefund.from_entity(item) for item in _items(collection)]

    # Signatures (local HMAC checks, no network: plain methods)

    def verify_payment_signature(self, order_id: str, payment_id: str, signature: str) -> bool:
        """Checkout's `razorpay_signature`: HMAC-SHA256(key secret, "order_id|payment_id")."""
        if not (order_id and payment_id and signature):
            return False
        try:
            return bool(
                self._client.utility.verify_payment_signature(
                    {
                        "razorpay_order_id": order_id,
                        "razorpay_payment_id": payment_id,
                        "razorpay_signature": signature,
                    }
                )
            )
        except (SignatureVerificationError, TypeError, ValueError):
            # TypeError: hmac.compare_digest refuses non-ASCII strings.
            return False

    def verify_webhook_signature(self, raw_body: bytes, signature: str) -> bool:
        """`X-Razorpay-Signature`: HMAC-SHA256(webhook secret, raw body), compared in constant
        time. Verify the bytes as received, before any JSON parsing."""
        if not signature:
            return False
        try:
            # The SDK takes str and re-encodes it as UTF-8: the same bytes for any valid body.
            body = raw_body.decode("utf-8")
            return bool(
                self._client.utility.verify_webhook_signature(
                    body, signature, self._credentials.webhook_secret
                )
            )
        except (SignatureVerificationError, UnicodeDecodeError, TypeError, ValueError):
            return False

    # Plumbing

    async def _call(
        self,
        operation: str,
        call: Callable[[], T],
        retry_when: Callable[[Exception], bool] = _transient,
    ) -> T:
        for attempt in range(1, self._attempts + 1):
            started = time.perf_counter()
            try:
                result = await asyncio.to_thread(call)
            except BadRequestError as error:
                log.info("provider_rejected", operation=operation, description=str(error)[:200])
                raise ProviderRejected(
                    "The payment provider refused the request.", provider_message=str(error)
                ) from error
            except (
                requests.exceptions.RequestException,
                ServerError,
                GatewayError,
                ValueError,  # a non-JSON answer
            ) as error:
                retry = attempt < self._attempts and retry_when(error)
                log.warning(
                    "provider_error",
                    operation=operation,
                    error=type(error).__name__,
                    attempt=attempt,
                    retrying=retry,
                )
                if not retry:
                    raise ProviderUnavailable(
                        "The payment provider is unavailable; retry shortly.",
                        provider_message=f"{type(error).__name__}: {str(error)[:200]}",
                    ) from error
                await asyncio.sleep(self._backoff * 3 ** (attempt - 1))
                continue
            log.debug(
                "provider_call",
                operation=operation,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )
            if not isinstance(result, dict):
                raise ProviderUnavailable(
                    "The payment provider answered in an unexpected form.",
                    provider_message=f"{operation}: {type(result).__name__}",
                )
            return result
        raise AssertionError("unreachable")


def _items(collection: Any) -> list[Mapping[str, Any]]:
    items = collection.get("items") if isinstance(collection, Mapping) else None
    return [item for item in items if isinstance(item, Mapping)] if isinstance(items, list) else []


# --- One client per process -------------------------------------------------------------------


def razorpay_api_base_url(settings: Settings) -> str:
    """The SDK's `base_url` (it appends `/v1/...` itself): Razorpay with real keys, else the
    sandbox on this server; `RAZORPAY_BASE_URL` overrides both (written with or without `/v1`)."""
    if settings.razorpay_base_url:
        base = settings.razorpay_base_url.rstrip("/")
        return base[: -len("/v1")] if base.endswith("/v1") else base
    if settings.razorpay_sandbox:
        return settings.public_base_url.rstrip("/") + SANDBOX_PATH
    return RAZORPAY_API_URL


def get_provider(settings: Settings, credentials: RazorpayCredentials) -> RazorpayProvider:
    """The process's provider for these settings and keys (the configured ones, or the sandbox's
    own: see `boxoffice.sandbox.store`). Built once; the SDK client is reusable."""
    return _provider_for(
        credentials, razorpay_api_base_url(settings), settings.razorpay_timeout_seconds
    )


@functools.lru_cache(maxsize=8)
def _provider_for(
    credentials: RazorpayCredentials, base_url: str, timeout_seconds: float
) -> RazorpayProvider:
    return RazorpayProvider(credentials, base_url, timeout_seconds)
