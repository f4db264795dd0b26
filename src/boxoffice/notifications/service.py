"""Emails through an outbox: decided in the transaction of the change, sent by the worker.

A booking that becomes BOOKED queues its confirmation (with the tickets' QR codes inline and
its invoice's number, both written in by the worker when it sends: the number is given as the
booking's transaction commits); a BOOKED booking that is cancelled (refunded) queues one
cancellation email naming the refund; a payment refunded on arrival (it could not book, or paid
an order twice) queues one email naming that refund. A password reset queues the link.
Rows are written in the change's own transaction, so a rolled-back change sends nothing, and
(booking, kind) is unique, so a change never queues two. `boxoffice worker` claims due rows
(SKIP LOCKED; many workers at once), sends them over SMTP (or writes .eml files when SMTP_URL
is unset) and retries with backoff while the server is down.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import SMTP
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import aiosmtplib
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from boxoffice import metrics
from boxoffice.accounts import repository as accounts_repository
from boxoffice.accounts.events import PasswordResetRequested
from boxoffice.bookings import repository as bookings_repository
from boxoffice.bookings.codes import booking_code
from boxoffice.bookings.events import BookingStatusChanged
from boxoffice.bookings.models import Booking, BookingStatus
from boxoffice.clock import Clock
from boxoffice.config import Settings
from boxoffice.db.engine import session_settings
from boxoffice.invoicing import repository as invoicing_repository
from boxoffice.invoicing.links import invoice_key
from boxoffice.logs import get_logger
from boxoffice.notifications import compose, repository
from boxoffice.notifications.models import EmailStatus, OutboxEmail
from boxoffice.payments import repository as payments_repository
from boxoffice.payments.events import PaymentRefundedOnArrival
from boxoffice.tickets import repository as tickets_repository
from boxoffice.waitlist.events import OfferMade

log = get_logger("boxoffice.notifications")

DEFAULT_SENDER = "Boxoffice <tickets@boxoffice.local>"
LEASE = timedelta(minutes=5)  # a claimed email is retried if its worker died mid-send
BATCH = 20
MAX_ATTEMPTS = 25  # ~1 day of retries with the backoff below
BACKOFF_BASE_SECONDS = 15
BACKOFF_CAP_SECONDS = 3600


def backoff(attempts: int) -> timedelta:
    return timedelta(
        seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_CAP_SECONDS)
    )


async def _recipient(session: AsyncSession, booking: Booking) -> str | None:
    if booking.user_id is not None:
        user = await accounts_repository.get_user(session, booking.user_id)
        return user.email if user else None
    if booking.guest_id is not None:
        guest = await accounts_repository.get_guest(session, booking.guest_id)
        return guest.email if guest else None
    return None


async def queue_for_status_change(session: AsyncSession, event: BookingStatusChanged) -> None:
    """The event handler: BOOKED -> confirmation; BOOKED -> CANCELLED -> cancellation."""
    booking = event.booking
    if event.status is BookingStatus.BOOKED:
        tickets = await tickets_repository.tickets_of_booking(session, booking.id)
        inline: list[compose.InlineQr] = []

        settings = session_settings(session)
        assert settings is not None, "sessions carry the settings (db.engine.create_sessionmaker)"
        # A link that opens in a mail client, which sends no token: it carries a signed key.
        key = invoice_key(settings.jwt_secret.get_secret_value(), booking.id)
        invoice_url = (
            f"{settings.public_base_url}/api/v1/bookings/{booking.id}/invoice.pdf?key={key}"
        )

        def confirmation(common: dict[str, Any]) -> EmailMessage:
            message, images = compose.booked_email(
                **common,
                tickets=[(str(t.id), t.seat_label, t.qr) for t in tickets],
                invoice_url=invoice_url,
            )
            inline.extend(images)
            return message

        await _queue(session, booking, "BOOKED", event.at, confirmation, inline)
    elif event.previous is BookingStatus.BOOKED and event.status is BookingStatus.CANCELLED:
        payment = await payments_repository.payment_of_booking(session, booking.id)
        refund = (
            await payments_repository.refund_of_seats_given_back(session, payment.id, event.at)
            if payment and payment.payment_id
            else None
        )
        await _queue(
            session,
            booking,
            "CANCELLED",
            event.at,
            lambda common: compose.cancelled_email(
                **common, refund_amount=refund.amount if refund else None, reason=event.reason
            ),
        )


async def queue_for_refund_on_arrival(
    session: AsyncSession, event: PaymentRefundedOnArrival
) -> None:
    """The event handler: a payment that could not book (or paid twice) -> one refund email."""
    await _queue(
        session,
        event.booking,
        "REFUNDED",
        event.at,
        lambda common: compose.refunded_email(
            **common,
            refund_amount=event.refund.amount,
            reason=event.refund.reason,
            booked=event.booking.status is BookingStatus.BOOKED,
        ),
    )


async def _queue(
    session: AsyncSession,
    booking: Booking,
    kind: str,
    at: datetime,
    build: Callable[[dict[str, Any]], EmailMessage],
    inline: list[compose.InlineQr] | None = None,
) -> None:
    """Writes the booking's email of this `kind` to the outbox (once; none without an address).

    `build` gets the facts every email names; `inline` is filled by it with the QR images to
    draw when the email is sent.
    """
    recipient = await _recipient(session, booking)
    if recipient is None:
        log.info("email_skipped_no_address", booking_id=str(booking.id), kind=kind)
        return
    settings = session_settings(session)
    show = await bookings_repository.get_show(session, booking.show_id)
    assert show is not None
    seats = await bookings_repository.seats_of(session, [booking.id])
    message = build(
        {
            "sender": settings.smtp_from if settings else DEFAULT_SENDER,
            "recipient": recipient,
            "booking_code": booking_code(booking.id),
            "facts": await repository.show_facts(session, show.id),
            "starts_at": show.starts_at,
            "seats": [s.label for s in seats[booking.id]],
            "amount": booking.amount_total,
            "currency": booking.currency,
            "now": at,
        }
    )
    await repository.enqueue(
        session,
        OutboxEmail(
            id=uuid.uuid4(),
            booking_id=booking.id,
            kind=kind,
            recipient=recipient,
            subject=str(message["Subject"])[:300],
            message=message.as_bytes().decode("ascii"),
            inline_qr=[asdict(image) for image in inline] if inline else None,
            status=EmailStatus.PENDING,
            attempts=0,
            next_attempt_at=at,
            last_error=None,
            sent_at=None,
            created_at=at,
        ),
    )


async def queue_waitlist_offer(session: AsyncSession, event: OfferMade) -> None:
    """The event handler: seats held for a waiting party, and the link to pay for them."""
    settings = session_settings(session)
    base = (settings.public_base_url if settings else "").rstrip("/")
    link = f"{base}/checkout/{event.booking.id}"

    def offer(common: dict[str, Any]) -> EmailMessage:
        return compose.waitlist_offer_email(
            link=link, party=event.party, expires_at=event.expires_at, **common
        )

    await _queue(session, event.booking, "WAITLIST_OFFER", event.at, offer)


async def queue_password_reset(session: AsyncSession, event: PasswordResetRequested) -> None:
    """The event handler: the reset link to the account's address. The link carries the token
    in its fragment (after `#`), which browsers never send to a server or in a Referer."""
    settings = session_settings(session)
    base = settings.public_base_url if settings else ""
    message = compose.password_reset_email(
        sender=settings.smtp_from if settings else DEFAULT_SENDER,
        recipient=event.email,
        name=event.name,
        link=f"{base.rstrip('/')}/reset-password#token={event.token}",
        expires_at=event.expires_at,
        now=event.at,
    )
    await repository.enqueue(
        session,
        OutboxEmail(
            id=uuid.uuid4(),
            booking_id=None,
            kind="PASSWORD_RESET",
            recipient=event.email,
            subject=str(message["Subject"]),
            message=message.as_bytes().decode("ascii"),
            inline_qr=None,
            status=EmailStatus.PENDING,
            attempts=0,
            next_attempt_at=event.at,
            last_error=None,
            sent_at=None,
            created_at=event.at,
        ),
    )


# --- sending (the worker) -------------------------------------------------------------------


async def deliver(
    settings: Settings, email: OutboxEmail, invoice_number: str | None = None
) -> None:
    """One email over SMTP, or into OUTBOX_DIR as a .eml file when SMTP_URL is unset; a
    confirmation with its invoice's number written in."""
    message = BytesParser(policy=SMTP).parsebytes(email.message.encode("ascii"))
    assert isinstance(message, EmailMessage)
    if email.kind == "BOOKED":
        compose.fill_invoice_number(message, invoice_number)
    if email.inline_qr:
        # Drawn here, off the request path: a few ms of CPU a ticket.
        await asyncio.to_thread(
            compose.attach_qr_images,
            message,
            [compose.InlineQr(**image) for image in email.inline_qr],
        )
    if settings.smtp_url is None:
        raw = message.as_bytes()
        name = f"{email.created_at:%Y%m%dT%H%M%S}-{email.kind.lower()}-{email.id}.eml"
        await asyncio.to_thread(_write_eml, Path(settings.outbox_dir), name, raw)
        return
    url = urlsplit(settings.smtp_url.get_secret_value())
    implicit_tls = url.scheme == "smtps"
    await aiosmtplib.send(
        message,
        hostname=url.hostname or "127.0.0.1",
        port=url.port or (465 if implicit_tls else 25),
        username=unquote(url.username) if url.username else None,
        password=unquote(url.password) if url.password else None,
        use_tls=implicit_tls,
        # Credentials never travel in the clear: with them, STARTTLS is required (a server that
        # does not offer it gets nothing, and the email waits); without them, it is used when
        # the server offers it.
        start_tls=False if implicit_tls else (True if url.username else None),
        cert_bundle=str(settings.smtp_ca_file) if settings.smtp_ca_file else None,
        timeout=settings.smtp_timeout_seconds,
    )


def _write_eml(directory: Path, name: str, raw: bytes) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    partial = directory / (name + ".part")
    partial.write_bytes(raw)
    partial.replace(directory / name)  # whole files only


async def send_due(sessionmaker: async_sessionmaker[Any], settings: Settings, clock: Clock) -> int:
    """Sends every due email once; a failure is retried later with backoff. Returns how many
    were sent."""
    sent = 0
    while True:
        async with sessionmaker() as session, session.begin():
            claimed = await repository.claim_due(session, clock.now(), BATCH, LEASE)
            invoices = await invoicing_repository.invoice_numbers(
                session, [e.booking_id for e in claimed if e.kind == "BOOKED" and e.booking_id]
            )
        for email in claimed:
            try:
                number = invoices.get(email.booking_id) if email.booking_id else None
                await deliver(settings, email, number)
            except (aiosmtplib.SMTPException, OSError) as exc:
                # The message names the server's complaint; SMTP_URL (with any password) never.
                error = f"{type(exc).__name__}: {exc}"
                retry_at = (
                    clock.now() + backoff(email.attempts) if email.attempts < MAX_ATTEMPTS else None
                )
                async with sessionmaker() as session, session.begin():
                    await repository.mark_failed_attempt(session, email.id, retry_at, error)
                metrics.EMAILS.labels("retry" if retry_at else "failed").inc()
                log.warning(
                    "email_not_sent",
                    email_id=str(email.id),
                    attempts=email.attempts,
                    retry_at=retry_at.isoformat() if retry_at else None,
                    error=type(exc).__name__,
                )
                continue
            async with sessionmaker() as session, session.begin():
                await repository.mark_sent(session, email.id, clock.now())
            metrics.EMAILS.labels("sent").inc()
            sent += 1
        if len(claimed) < BATCH:
            return sent
