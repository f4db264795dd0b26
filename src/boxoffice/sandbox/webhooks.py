"""Webhooks the sandbox generates: stored with the exact body it signs, delivered like Razorpay
does (POST, `X-Razorpay-Signature` = HMAC-SHA256 of the raw body with the webhook secret,
`X-Razorpay-Event-Id` the same on every redelivery), at least once, retried on failure."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.config import Settings
from boxoffice.logs import get_logger
from boxoffice.sandbox import repository
from boxoffice.sandbox.entities import ACCOUNT_ID, new_event_id, unix
from boxoffice.sandbox.models import SandboxEvent
from boxoffice.sandbox.store import SandboxStore

log = get_logger("boxoffice.sandbox")

DELIVERY_TIMEOUT_SECONDS = 5.0
AUTOMATIC_ATTEMPTS = 3
RETRY_BACKOFF_SECONDS = 0.25


def webhook_url(settings: Settings) -> str:
    return (
        settings.razorpay_sandbox_webhook_url
        or f"{settings.public_base_url.rstrip('/')}/api/v1/webhooks/razorpay"
    )


def sign(body: str, secret: str) -> str:
    return hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Generated:
    """An event as its transaction stored it: what a delivery sends."""

    id: str
    event: str
    body: str


class EventLog:
    """The events one transaction generates, in order (their created_at keeps that order)."""

    def __init__(self, session: AsyncSession, now: datetime) -> None:
        self._session = session
        self.now = now
        self.ids: list[str] = []
        self.generated: list[Generated] = []  # what delivering them needs, no read back

    def add(
        self,
        event_type: str,
        entities: dict[str, dict[str, Any]],
        *,
        order_id: str | None,
        payment_id: str | None = None,
        refund_id: str | None = None,
    ) -> str:
        body = json.dumps(
            {
                "entity": "event",
                "account_id": ACCOUNT_ID,
                "event": event_type,
                "contains": list(entities),
                "payload": {name: {"entity": entity} for name, entity in entities.items()},
                "created_at": unix(self.now),
            },
            separators=(",", ":"),
        )
        event = SandboxEvent(
            id=new_event_id(),
            event=event_type,
            order_id=order_id,
            payment_id=payment_id,
            refund_id=refund_id,
            body=body,
            deliveries=0,
            last_status=None,
            created_at=self.now + timedelta(microseconds=len(self.ids)),
        )
        repository.add(self._session, event)
        self.ids.append(event.id)
        self.generated.append(Generated(event.id, event_type, body))
        return event.id


def event_json(event: SandboxEvent, webhook_secret: str) -> dict[str, Any]:
    """A generated event as the test hooks list it: the exact body it signs, and its signature."""
    return {
        "id": event.id,
        "event": event.event,
        "order_id": event.order_id,
        "payment_id": event.payment_id,
        "refund_id": event.refund_id,
        "created_at": unix(event.created_at),
        "body": event.body,
        "payload": json.loads(event.body),
        "signature": sign(event.body, webhook_secret),
        "deliveries": event.deliveries,
        "last_status": event.last_status,
    }


@dataclass(frozen=True)
class Delivery:
    event_id: str
    event: str
    url: str
    status_code: int | None
    error: str | None
    attempts: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


async def deliver(
    store: SandboxStore,
    settings: Settings,
    event_id: str,
    *,
    attempts: int = 1,
    known: Generated | None = None,
) -> Delivery | None:
    """Sends one stored event (None if there is no such event); retries non-2xx answers and
    connection errors up to `attempts` times. `known`: the event as its transaction stored it
    (no read back). Every delivery goes through the store's one HTTP client (keep-alive, one
    TLS context), and records its outcome in a one-statement transaction."""
    if known is None:
        async with store.transaction() as session:
            event = await repository.event(session, event_id)
            if event is None:
                return None
            known = Generated(event.id, event.event, event.body)
    event_type, body = known.event, known.body
    target = webhook_url(settings)
    headers = {
        "Content-Type": "application/json",
        "X-Razorpay-Signature": sign(body, (await store.credentials()).webhook_secret),
        "X-Razorpay-Event-Id": event_id,
        "User-Agent": "Razorpay-Webhook/v1 (boxoffice sandbox)",
    }
    http = store.webhook_client(DELIVERY_TIMEOUT_SECONDS)
    status: int | None = None
    error: str | None = None
    attempt = 0
    for attempt in range(1, attempts + 1):
        try:
            response = await http.post(target, content=body.encode(), headers=headers)
            status, error = response.status_code, None
        except httpx.HTTPError as exc:
            status, error = None, type(exc).__name__
        async with store.transaction() as session:
            await repository.record_delivery(session, event_id, status)
        ok = status is not None and 200 <= status < 300
        (log.info if ok else log.warning)(
            "sandbox_webhook_delivery",
            event_id=event_id,
            event_type=event_type,
            url=target,
            status=status,
            error=error,
            attempt=attempt,
        )
        if ok or attempt == attempts:
            break
        await asyncio.sleep(RETRY_BACKOFF_SECONDS * 2 ** (attempt - 1))
    return Delivery(event_id, event_type, target, status, error, attempt)


async def deliver_in_order(
    store: SandboxStore, settings: Settings, generated: list[Generated]
) -> None:
    """A background task: each event in turn, retried a couple of times; never raises."""
    for event in generated:
        try:
            await deliver(store, settings, event.id, attempts=AUTOMATIC_ATTEMPTS, known=event)
        except Exception as exc:  # a test double's courier must not take the server down
            log.warning("sandbox_webhook_failed", event_id=event.id, error=type(exc).__name__)
