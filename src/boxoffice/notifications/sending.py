"""The worker's half of the outbox: each due email composed and sent.

A row says what was decided (`boxoffice.notifications.service`); the email is composed here,
when it is sent, from the database as it then is: the booking's customer's address, the show,
the seats, the tickets (their QR codes drawn as PNGs), the invoice's number (given as the
booking's transaction commits, after the row was written). What one claimed batch needs is read
in the claim's own transaction, a statement per kind of fact for the whole batch.

`boxoffice worker` claims due rows (SKIP LOCKED; many workers at once), sends them over SMTP
(or writes .eml files when SMTP_URL is unset), retries with backoff while the server is down,
and records what it sent on the row. A booking's email with no address to go to is SKIPPED,
never retried.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
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
from boxoffice.bookings import repository as bookings_repository
from boxoffice.bookings.codes import booking_code
from boxoffice.bookings.models import BookingSeat, BookingStatus
from boxoffice.clock import Clock
from boxoffice.config import Settings
from boxoffice.counter import repository as counter_repository
from boxoffice.invoicing import repository as invoicing_repository
from boxoffice.invoicing.links import invoice_key
from boxoffice.logs import get_logger
from boxoffice.notifications import compose, repository
from boxoffice.notifications.models import OutboxEmail
from boxoffice.notifications.repository import BookingFacts
from boxoffice.payments import repository as payments_repository
from boxoffice.tickets import repository as tickets_repository
from boxoffice.tickets.models import Ticket, TicketStatus

log = get_logger("boxoffice.notifications")

LEASE = timedelta(minutes=5)  # a claimed email is retried if its worker died mid-send
BATCH = 20
MAX_ATTEMPTS = 25  # ~1 day of retries with the backoff below
BACKOFF_BASE_SECONDS = 15
BACKOFF_CAP_SECONDS = 3600


def backoff(attempts: int) -> timedelta:
    return timedelta(
        seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_CAP_SECONDS)
    )


@dataclass
class _Facts:
    """What a claimed batch of emails tells of, by booking id, read in the claim's transaction."""

    bookings: dict[uuid.UUID, BookingFacts] = field(default_factory=dict)
    seats: dict[uuid.UUID, list[BookingSeat]] = field(default_factory=dict)
    tickets: dict[uuid.UUID, list[Ticket]] = field(default_factory=dict)
    invoices: dict[uuid.UUID, str] = field(default_factory=dict)
    refunds: dict[uuid.UUID, compose.MoneyBack | None] = field(default_factory=dict)  # cancelled


async def _read_facts(session: AsyncSession, emails: list[OutboxEmail]) -> _Facts:
    # Rows queued before migration 0029 (no params) carry their message: nothing to read.
    ids = [e.booking_id for e in emails if e.booking_id is not None and e.params is not None]
    if not ids:
        return _Facts()
    confirmed = [e.booking_id for e in emails if e.kind == "BOOKED" and e.booking_id in ids]
    facts = _Facts(
        bookings=await repository.booking_facts(session, ids),
        seats=await bookings_repository.seats_of(session, ids),
        tickets=await tickets_repository.tickets_of_bookings(session, confirmed),
        invoices=await invoicing_repository.invoice_numbers(session, confirmed),
    )
    for email in emails:
        if email.kind == "CANCELLED" and email.booking_id in ids:
            assert email.booking_id is not None
            facts.refunds[email.booking_id] = await _refund_of_cancellation(
                session, email.booking_id, email.created_at
            )
    return facts


async def _refund_of_cancellation(
    session: AsyncSession, booking_id: uuid.UUID, at: datetime
) -> compose.MoneyBack | None:
    """What the cancellation at `at` gives back: the refund recorded in its transaction at that
    moment (so read here rather than in the cancellation's transaction), or for a sale paid at
    the counter, what the counter owes or paid back; none when nothing was paid."""
    payment = await payments_repository.payment_of_booking(session, booking_id)
    if payment is not None and payment.payment_id:
        refund = await payments_repository.refund_of_seats_given_back(session, payment.id, at)
        return compose.MoneyBack(refund.amount, compose.REFUND_STARTED) if refund else None
    if not await counter_repository.sale_methods(session, [booking_id]):
        return None
    owed, paid = await counter_repository.money_back_on(session, booking_id)
    if owed:
        return compose.MoneyBack(owed, compose.OWED_AT_COUNTER)
    return compose.MoneyBack(paid, compose.PAID_AT_COUNTER) if paid else None


class _NoAddress(Exception):
    """The booking's customer gave no address (a walk-in at the counter): nobody to send to."""


@dataclass(frozen=True)
class _Composed:
    recipient: str
    message: EmailMessage  # without its QR images:
    images: list[compose.InlineQr]  # drawn into it just before it is sent


def _compose(settings: Settings, email: OutboxEmail, facts: _Facts) -> _Composed:
    """The email of the row, as the database has its facts now (`_read_facts`)."""
    params = email.params
    if params is None:  # queued before migration 0029: composed then, sent as it was written
        assert email.recipient is not None and email.message is not None
        parsed = BytesParser(policy=SMTP).parsebytes(email.message.encode("ascii"))
        assert isinstance(parsed, EmailMessage)
        return _Composed(email.recipient, parsed, [])
    common: dict[str, Any] = {
        "sender": settings.smtp_from,
        "now": email.created_at,  # the time of the change it tells about
        "message_id": str(email.id),  # the same in every attempt: a receiver may dedupe
    }
    if email.booking_id is None:  # an account's email: the password reset link
        assert email.kind == "PASSWORD_RESET" and email.recipient is not None
        message = compose.password_reset_email(
            recipient=email.recipient,
            name=params["name"],
            link=params["link"],
            expires_at=datetime.fromisoformat(params["expires_at"]),
            **common,
        )
        return _Composed(email.recipient, message, [])
    booking = facts.bookings[email.booking_id]
    if booking.recipient is None:
        raise _NoAddress
    common.update(
        recipient=booking.recipient,
        booking_code=booking_code(email.booking_id),
        facts=booking.show,
        starts_at=booking.starts_at,
        seats=[s.label for s in facts.seats[email.booking_id]],
        amount=booking.amount,
        currency=booking.currency,
    )
    if email.kind == "BOOKED":
        return _confirmation(settings, email.booking_id, facts, common)
    if email.kind == "CANCELLED":
        message = compose.cancelled_email(
            money_back=facts.refunds[email.booking_id], reason=params["reason"], **common
        )
    elif email.kind == "REFUNDED":
        message = compose.refunded_email(
            refund_amount=params["refund_amount"],
            reason=params["reason"],
            booked=params["booked"],
            **common,
        )
    else:
        assert email.kind == "WAITLIST_OFFER", email.kind
        message = compose.waitlist_offer_email(
            link=params["link"],
            party=params["party"],
            expires_at=datetime.fromisoformat(params["expires_at"]),
            **common,
        )
    return _Composed(booking.recipient, message, [])


def _confirmation(
    settings: Settings, booking_id: uuid.UUID, facts: _Facts, common: dict[str, Any]
) -> _Composed:
    """The confirmation goes even when the booking was cancelled before it was sent (the
    customer was told nothing yet; the cancellation email follows): it says so, and its
    cancelled tickets show no code, as on the ticket page."""
    # A link that opens in a mail client, which sends no token: it carries a signed key.
    key = invoice_key(settings.jwt_secret.get_secret_value(), booking_id)
    message, images = compose.booked_email(
        **common,
        tickets=[
            compose.EmailTicket(
                str(t.id), t.seat_label, t.qr, revoked=t.status is TicketStatus.REVOKED
            )
            for t in facts.tickets[booking_id]
        ],
        still_booked=facts.bookings[booking_id].status is BookingStatus.BOOKED,
        invoice_number=facts.invoices.get(booking_id),
        invoice_url=f"{settings.public_base_url}/api/v1/bookings/{booking_id}/invoice.pdf?key={key}",
    )
    return _Composed(common["recipient"], message, images)


async def deliver(settings: Settings, email: OutboxEmail, composed: _Composed) -> None:
    """One email over SMTP, or into OUTBOX_DIR as a .eml file when SMTP_URL is unset."""
    message = composed.message
    if composed.images:
        # Drawn here, off the request path: a few ms of CPU a ticket.
        await asyncio.to_thread(compose.attach_qr_images, message, composed.images)
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
            facts = await _read_facts(session, claimed)
        for email in claimed:
            if await _send_one(sessionmaker, settings, clock, email, facts):
                sent += 1
        if len(claimed) < BATCH:
            return sent


async def _send_one(
    sessionmaker: async_sessionmaker[Any],
    settings: Settings,
    clock: Clock,
    email: OutboxEmail,
    facts: _Facts,
) -> bool:
    """Composes and sends one claimed email, and records how it went; True when it was sent."""
    try:
        composed = _compose(settings, email, facts)
        # What is recorded as sent: the message before its QR images are drawn into it (they
        # are the tickets' codes, kept with the tickets); 7-bit (`compose.POLICY`).
        record = composed.message.as_bytes().decode("ascii")
    except _NoAddress:
        async with sessionmaker() as session, session.begin():
            await repository.mark_skipped(session, email.id, "no address to send it to")
        metrics.EMAILS.labels("skipped").inc()
        log.info("email_skipped_no_address", booking_id=str(email.booking_id), kind=email.kind)
        return False
    except Exception as exc:  # a row it cannot compose must not stop the pass, nor come back
        # every lease for ever: it is retried with backoff, then given up, as a send would be.
        log.exception("email_not_composed", email_id=str(email.id), kind=email.kind)
        await _failed_attempt(sessionmaker, clock, email, exc)
        return False
    try:
        await deliver(settings, email, composed)
    except (aiosmtplib.SMTPException, OSError) as exc:
        await _failed_attempt(sessionmaker, clock, email, exc)
        return False
    async with sessionmaker() as session, session.begin():
        await repository.mark_sent(
            session,
            email.id,
            clock.now(),
            recipient=composed.recipient,
            subject=str(composed.message["Subject"]),
            # A reset link opens the account to whoever reads it: not kept at rest once sent.
            message=None if email.kind == "PASSWORD_RESET" else record,
        )
    metrics.EMAILS.labels("sent").inc()
    return True


async def _failed_attempt(
    sessionmaker: async_sessionmaker[Any], clock: Clock, email: OutboxEmail, exc: Exception
) -> None:
    """Records a failed attempt: due again after a backoff, or FAILED after the last one."""
    # The message names the server's complaint; SMTP_URL (with any password) never.
    error = f"{type(exc).__name__}: {exc}"
    retry_at = clock.now() + backoff(email.attempts) if email.attempts < MAX_ATTEMPTS else None
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
