"""Razorpay through its official SDK: the `PaymentProvider` the service pays with.

With real keys the SDK talks to Razorpay; with `RAZORPAY_SANDBOX=true` it talks to the offline
sandbox (`boxoffice.sandbox`), on this server or wherever `RAZORPAY_BASE_URL` points.
Either way the same SDK code path runs.

The SDK is synchronous (`requests`), so every call runs in a worker thread (`asyncio.to_thread`),
with a timeout on every HTTP request (the SDK sets none of its own). The three calls of every
purchase (order create, payment fetch, capture) skip the thread: they go through one shared
async client with keep-alive (`razorpay_rest`), which sends the SDK's requests and raises the
SDK's errors; every other call still goes through the SDK. Retries are bounded and only where a
repeat cannot move money twice:

- fetches are retried (3 attempts, short backoff) on connection errors, timeouts and 5xx answers;
- a refund is retried the same way because it always carries an `X-Refund-Idempotency` key
  (Razorpay answers a repeat with the refund it already made);
- an order create is retried only when the connection could not be opened, i.e. the request
  never left this host. After that the outcome is unknown and a repeat could create a second
  order (harmless, it is never paid, but the caller decides): the error is raised instead.

The SDK's own retry (`client.enable_retry`) stays off: it would retry creates blindly.
Failures are raised as the provider's errors (`provider`). Secrets are never logged.
"""

from __future__ import annotations

import asyncio
import functools
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import httpx
import razorpay
import requests
from razorpay.errors import BadRequestError, GatewayError, ServerError, SignatureVerificationError
from urllib3.exceptions import ConnectTimeoutError

from boxoffice.config import SANDBOX_PATH, RazorpayCredentials, Settings
from boxoffice.logs import get_logger
from boxoffice.payments.provider import (
    ProviderOrder,
    ProviderPayment,
    ProviderRefund,
    ProviderRejected,
    ProviderUnavailable,
)
from boxoffice.payments.razorpay_rest import RazorpayRest

log = get_logger("boxoffice.payments.provider")

RAZORPAY_API_URL = "https://api.razorpay.com"
ATTEMPTS = 3
BACKOFF_SECONDS = 0.2
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{10,}$")

T = TypeVar("T")


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
    if isinstance(error, requests.exceptions.ConnectTimeout | httpx.ConnectError):
        return True
    if isinstance(error, httpx.ConnectTimeout | httpx.PoolTimeout):
        return True
    if isinstance(error, requests.exceptions.ConnectionError) and error.args:
        reason = getattr(error.args[0], "reason", None)
        # urllib3's NewConnectionError (refused, DNS) is a ConnectTimeoutError too.
        return isinstance(reason, ConnectTimeoutError)
    return False


def _transient(error: Exception) -> bool:
    return isinstance(
        error,
        requests.exceptions.RequestException | httpx.TransportError | ServerError | GatewayError,
    )


def _threaded(call: Callable[[], T]) -> Callable[[], Awaitable[T]]:
    """An SDK call, run in a worker thread when awaited."""
    return lambda: asyncio.to_thread(call)


class RazorpayProvider:
    """`PaymentProvider` over the official `razorpay` SDK. One per process: see `get_provider`."""

    def __init__(
        self,
        credentials: RazorpayCredentials,
        base_url: str,
        timeout_seconds: float,
        attempts: int = ATTEMPTS,
        backoff_seconds: float = BACKOFF_SECONDS,
        *,
        rest: bool = True,
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
        # The hot path's calls, sent as the SDK sends them (rest=False: all through the SDK).
        # The SDK's ends in a space, which a server reads without (h11 will not send it).
        user_agent = self._client._update_user_agent_header({})["headers"]["User-Agent"].strip()
        self._rest = (
            RazorpayRest(
                (credentials.key_id, credentials.key_secret),
                base_url,
                timeout_seconds,
                user_agent,
                self._client.cert_path,
            )
            if rest
            else None
        )

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
        if self._rest is not None:
            rest = self._rest

            async def create() -> Any:
                return await rest.post("/v1/orders", data)

            entity = await self._call("order.create", create, retry_when=_never_sent)
        else:
            entity = await self._call(
                "order.create",
                _threaded(lambda: self._client.order.create(data)),
                retry_when=_never_sent,
            )
        return ProviderOrder.from_entity(entity)

    async def fetch_order(self, order_id: str) -> ProviderOrder:
        entity = await self._call(
            "order.fetch", _threaded(lambda: self._client.order.fetch(order_id))
        )
        return ProviderOrder.from_entity(entity)

    async def orders_with_receipt(self, receipt: str) -> list[ProviderOrder]:
        """Orders created with this `receipt` (ours: the booking id), newest first."""
        collection = await self._call(
            "order.all",
            _threaded(lambda: self._client.order.all({"receipt": receipt, "count": 10})),
        )
        return [ProviderOrder.from_entity(item) for item in _items(collection)]

    async def fetch_order_payments(self, order_id: str) -> list[ProviderPayment]:
        collection = await self._call(
            "order.payments", _threaded(lambda: self._client.order.payments(order_id))
        )
        return [ProviderPayment.from_entity(item) for item in _items(collection)]

    # Payments

    async def fetch_payment(self, payment_id: str) -> ProviderPayment:
        rest = self._rest
        if rest is not None:

            async def fetch() -> Any:
                return await rest.get(f"/v1/payments/{payment_id}")

            entity = await self._call("payment.fetch", fetch)
        else:
            entity = await self._call(
                "payment.fetch", _threaded(lambda: self._client.payment.fetch(payment_id))
            )
        return ProviderPayment.from_entity(entity)

    async def capture_payment(self, payment_id: str, amount: int, currency: str) -> ProviderPayment:
        """Captures an authorized payment; capturing a captured one again returns it unchanged."""
        rest = self._rest
        if rest is not None:
            # The SDK's body: the data it is given ({"currency"}), then "amount" added.
            body = {"currency": currency, "amount": amount}

            async def capture() -> Any:
                return await rest.post(f"/v1/payments/{payment_id}/capture", body)

            entity = await self._call("payment.capture", capture)
        else:
            entity = await self._call(
                "payment.capture",
                _threaded(
                    lambda: self._client.payment.capture(payment_id, amount, {"currency": currency})
                ),
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
            _threaded(lambda: self._client.payment.refund(payment_id, data, headers=dict(headers))),
            retry_when=_transient if key else _never_sent,
        )
        return ProviderRefund.from_entity(entity)

    async def fetch_refund(self, refund_id: str) -> ProviderRefund:
        entity = await self._call(
            "refund.fetch", _threaded(lambda: self._client.refund.fetch(refund_id))
        )
        return ProviderRefund.from_entity(entity)

    async def fetch_payment_refunds(self, payment_id: str) -> list[ProviderRefund]:
        collection = await self._call(
            "payment.refunds",
            _threaded(lambda: self._client.payment.fetch_multiple_refund(payment_id)),
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
        call: Callable[[], Awaitable[T]],
        retry_when: Callable[[Exception], bool] = _transient,
    ) -> T:
        for attempt in range(1, self._attempts + 1):
            started = time.perf_counter()
            try:
                result = await call()
            except BadRequestError as error:
                log.info("provider_rejected", operation=operation, description=str(error)[:200])
                raise ProviderRejected(
                    "The payment provider refused the request.", provider_message=str(error)
                ) from error
            except (
                requests.exceptions.RequestException,
                httpx.TransportError,
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
