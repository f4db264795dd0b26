"""Emails through an outbox: decided in the transaction of the change, sent by the worker.

A booking that becomes BOOKED queues its confirmation; a BOOKED booking that is cancelled
(refunded) queues one cancellation email naming the refund; a payment refunded on arrival (it
could not book, or paid an order twice) queues one email naming that refund; a waitlist offer
queues its link, a password reset the reset link. Rows are written in the change's own
transaction, so a rolled-back change sends nothing, and (booking, kind) is unique, so a change
never queues two. A row holds only what was decided (its kind, time and the facts the database
does not keep); `boxoffice.notifications.sending` composes and sends it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.accounts.events import PasswordResetRequested
from boxoffice.bookings.events import BookingStatusChanged
from boxoffice.bookings.models import BookingStatus
from boxoffice.db.engine import session_settings
from boxoffice.notifications import repository
from boxoffice.notifications.models import EmailStatus, OutboxEmail
from boxoffice.payments.events import PaymentRefundedOnArrival
from boxoffice.waitlist.events import OfferMade


async def queue_for_status_change(session: AsyncSession, event: BookingStatusChanged) -> None:
    """The event handler: BOOKED -> confirmation; BOOKED -> CANCELLED -> cancellation (its
    refund is read when the email is sent: the refund recorded at the cancellation's moment)."""
    if event.status is BookingStatus.BOOKED:
        await _queue(session, event.booking.id, "BOOKED", event.at, {})
    elif event.previous is BookingStatus.BOOKED and event.status is BookingStatus.CANCELLED:
        await _queue(session, event.booking.id, "CANCELLED", event.at, {"reason": event.reason})


async def queue_for_refund_on_arrival(
    session: AsyncSession, event: PaymentRefundedOnArrival
) -> None:
    """The event handler: a payment that could not book (or paid twice) -> one refund email."""
    params = {
        "refund_amount": event.refund.amount,
        "reason": event.refund.reason,
        # Whether the booking stands as this payment is refunded, not when the email goes out.
        "booked": event.booking.status is BookingStatus.BOOKED,
    }
    await _queue(session, event.booking.id, "REFUNDED", event.at, params)


async def queue_waitlist_offer(session: AsyncSession, event: OfferMade) -> None:
    """The event handler: seats held for a waiting party, and the link to pay for them."""
    settings = session_settings(session)
    base = (settings.public_base_url if settings else "").rstrip("/")
    params = {
        "link": f"{base}/checkout/{event.booking.id}",
        "party": event.party,
        "expires_at": event.expires_at.isoformat(),
    }
    await _queue(session, event.booking.id, "WAITLIST_OFFER", event.at, params)


async def queue_password_reset(session: AsyncSession, event: PasswordResetRequested) -> None:
    """The event handler: the reset link to the account's address. The link carries the token
    in its fragment (after `#`), which browsers never send to a server or in a Referer."""
    settings = session_settings(session)
    base = settings.public_base_url if settings else ""
    params = {
        "name": event.name,
        "link": f"{base.rstrip('/')}/reset-password#token={event.token}",
        "expires_at": event.expires_at.isoformat(),
    }
    await _queue(session, None, "PASSWORD_RESET", event.at, params, recipient=event.email)


async def _queue(
    session: AsyncSession,
    booking_id: uuid.UUID | None,
    kind: str,
    at: datetime,
    params: dict[str, Any],
    *,
    recipient: str | None = None,
) -> None:
    """Decides the email: one INSERT in the change's transaction, no read (issue 27: composing
    it here cost a purchase five round trips and ~11 % of the API's CPU). The worker composes
    it when it sends it (`boxoffice.notifications.sending`); once per (booking, kind)."""
    await repository.enqueue(
        session,
        OutboxEmail(
            id=uuid.uuid4(),
            booking_id=booking_id,
            kind=kind,
            params=params,
            recipient=recipient,
            subject=None,
            message=None,
            status=EmailStatus.PENDING,
            attempts=0,
            next_attempt_at=at,
            last_error=None,
            sent_at=None,
            created_at=at,
        ),
    )
