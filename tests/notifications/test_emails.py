"""Confirmation and cancellation emails (SPEC "Confirmation email"): queued with the change,
sent by the worker to a real SMTP server on loopback, once each, whatever the server does."""

from __future__ import annotations

import asyncio
import email
import email.policy
import io
import json
import re
import socket
import uuid
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
import segno
from aiosmtpd.controller import Controller
from PIL import Image
from tests.api import Headers, login, problem, register
from tests.conftest import LiveServer, make_settings
from tests.counter.helpers import make_cashier, open_shift, sell
from tests.payments.checkout import SANDBOX, capture, checkout, start_payment, verify
from tests.support.keys import sandbox_keys
from tests.support.pdf import pdf_text
from tests.tickets.helpers import (
    booked,
    free_seats,
    hold,
    show_soon,
    tickets,
    verify_offline,
)

from boxoffice.clock import Clock
from boxoffice.db.engine import create_engine, create_sessionmaker
from boxoffice.notifications import compose
from boxoffice.payments.razorpay_sdk import get_provider
from boxoffice.wiring import register_handlers
from boxoffice.worker import run_pass


def qr_modules(png: bytes) -> tuple[tuple[bool, ...], ...]:
    """The dark modules of an emailed QR image, read at each module's centre."""
    image = Image.open(io.BytesIO(png)).convert("L")
    scale, border = compose.QR_SCALE, compose.QR_BORDER
    size = image.width // scale - 2 * border
    centre = scale // 2
    return tuple(
        tuple(
            image.getpixel(((border + x) * scale + centre, (border + y) * scale + centre)) < 128
            for x in range(size)
        )
        for y in range(size)
    )


PASSWORD = "correct-horse-9"


class Inbox:
    """What a real SMTP server on loopback received."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted"


class _Controller(Controller):
    """aiosmtpd's threaded server on a socket bound here, never released and bound again."""

    def __init__(self, handler: Inbox, sock: socket.socket) -> None:
        super().__init__(handler, hostname="127.0.0.1", port=sock.getsockname()[1])
        self._sock = sock

    def _create_server(self) -> Any:
        return self.loop.create_server(self._factory_invoker, sock=self._sock)


class MailServer:
    """An SMTP server on a loopback port of its own: bound at once, so that until `start`
    nobody listens there (connections are refused) and nobody else can take the port."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self.inbox = Inbox()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self._sock.getsockname()[1]}"

    def start(self) -> None:
        self._sock.listen()
        self._controller = _Controller(self.inbox, self._sock)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        self._sock.close()


@pytest.fixture
def mail() -> Iterator[MailServer]:
    server = MailServer()
    yield server
    server.stop()


def worker_passes(live_server: LiveServer, clock: Clock, count: int = 1, **overrides: Any) -> None:
    """`count` passes of `boxoffice worker` at once (each with its own engine), in this process."""

    async def passes() -> None:
        # Configured as the server is (SPEC: every command reads the same settings): the
        # emails it composes link to the server.
        settings = make_settings(
            live_server.settings.database_url,
            razorpay_base_url=live_server.settings.razorpay_base_url,
            public_base_url=live_server.settings.public_base_url,
            **overrides,
        )
        register_handlers()
        provider = get_provider(settings, sandbox_keys())
        engines = [create_engine(settings) for _ in range(count)]
        try:
            await asyncio.gather(
                *(
                    run_pass(create_sessionmaker(e, settings), settings, provider, clock)
                    for e in engines
                )
            )
        finally:
            for engine in engines:
                await engine.dispose()

    asyncio.run(passes())


def customer_with_email(client: httpx.Client) -> tuple[Headers, str]:
    address = f"moviegoer-{uuid.uuid4().hex}@example.com"
    register(client, address, PASSWORD)
    return login(client, address, PASSWORD), address


def _params(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value  # JSON text on SQLite


def _text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def test_booking_and_cancelling_send_one_email_each(
    client: httpx.Client, admin: Headers, live_server: LiveServer, mail: MailServer, db: Any
) -> None:
    show = show_soon(client, admin, minutes=150)
    who, address = customer_with_email(client)
    kept = booked(client, who, show["id"], 2)
    dropped = booked(client, who, show["id"], 1)
    assert client.post(f"/api/v1/bookings/{dropped['id']}/cancel", headers=who).status_code == 200
    # A refused change queues nothing: the cancelled booking cannot be cancelled again.
    problem(client.post(f"/api/v1/bookings/{dropped['id']}/cancel", headers=who), 409)
    # The booking's transaction only decided the email; the worker composes it when it sends.
    queued = db.query(
        "SELECT recipient, subject, message, params FROM outbox_emails"
        " WHERE booking_id = :id AND kind = 'BOOKED'",
        id=db.id(kept["id"]),
    )
    assert [tuple(row[:3]) for row in queued] == [(None, None, None)]
    assert _params(queued[0][3]) == {}
    mail.start()

    worker_passes(live_server, Clock(), smtp_url=mail.url)
    worker_passes(live_server, Clock(), smtp_url=mail.url)  # nothing left to send

    messages = mail.inbox.messages
    assert sorted(str(m["Subject"]).split(":")[0] for m in messages) == [
        "Booking cancelled",
        "Your tickets",
        "Your tickets",
    ]
    assert {str(m["To"]) for m in messages} == {address}
    confirmation = next(
        m for m in messages if kept["code"] in _text(m) and "Your tickets" in str(m["Subject"])
    )
    text = _text(confirmation)
    assert f"Booking {kept['code']} is confirmed." in text  # the short code
    assert "The Long Night" in text and "The Long Night" in str(confirmation["Subject"])
    for seat in kept["seats"]:
        assert seat["label"] in text
    assert f"INR {kept['amount_total'] // 100:,}.{kept['amount_total'] % 100:02d}" in text
    # It names the booking's invoice and links to it: the number was given as the booking
    # committed, after the email was queued; the worker wrote it in.
    number = client.get(f"/api/v1/bookings/{kept['id']}/invoice", headers=who).json()["number"]
    found = re.search(rf"Invoice: {re.escape(number)} \((\S+)\)", text)
    assert found, text
    link = found[1]
    assert link.startswith(f"{live_server.url}/api/v1/bookings/{kept['id']}/invoice.pdf?key=")
    # A mail client sends no token: the link's own key opens the invoice.
    opened = httpx.get(link)
    assert opened.status_code == 200, opened.text
    assert number in pdf_text(opened.content)
    # The tickets' QR codes are inline images of the HTML part, one per seat.
    html = confirmation.get_body(preferencelist=("html",))
    assert html is not None
    images = [p for p in confirmation.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 2
    for image in images:
        assert image.get_content().startswith(b"\x89PNG")
        assert f"cid:{str(image['Content-ID']).strip('<>')}" in str(html.get_content())
    assert f'<a href="{link}">{number}</a>' in str(html.get_content())
    published = client.get("/api/v1/tickets/keys").json()
    drawn = {qr_modules(image.get_content()) for image in images}
    for ticket in tickets(client, who, kept["id"]):
        assert ticket["qr"] in text
        verify_offline(ticket["qr"], published)
        # Each image is that ticket's code, module for module.
        code = segno.make(ticket["qr"], error="m", mask=compose.EMAIL_QR_MASK)
        assert tuple(tuple(bool(m) for m in row) for row in code.matrix) in drawn

    cancellation = next(m for m in messages if "cancelled" in str(m["Subject"]))
    assert dropped["code"] in _text(cancellation)
    amount = dropped["amount_total"]
    assert f"refund of INR {amount // 100:,}.{amount % 100:02d}" in _text(cancellation)
    rows = db.query("SELECT status, COUNT(*) FROM outbox_emails GROUP BY status")
    assert dict((r[0], r[1]) for r in rows) == {"SENT": 3}
    # The row records what was sent, but for the QR images (the tickets keep their codes).
    ((recipient, subject, recorded),) = db.query(
        "SELECT recipient, subject, message FROM outbox_emails"
        " WHERE booking_id = :id AND kind = 'BOOKED'",
        id=db.id(kept["id"]),
    )
    assert (recipient, subject) == (address, str(confirmation["Subject"]))
    assert number in recorded and "image/png" not in recorded


def test_a_mail_server_that_is_down_loses_nothing_and_sends_once(
    client: httpx.Client, admin: Headers, live_server: LiveServer, mail: MailServer, db: Any
) -> None:
    show = show_soon(client, admin)
    who, address = customer_with_email(client)
    for _ in range(3):
        booked(client, who, show["id"], 1)
    clock = Clock()

    worker_passes(live_server, clock, smtp_url=mail.url)  # nobody listens on the port
    rows = db.query("SELECT status, attempts, last_error FROM outbox_emails")
    assert len(rows) == 3
    assert all(r[0] == "PENDING" and r[1] == 1 and r[2] for r in rows), rows

    mail.start()
    worker_passes(live_server, clock, smtp_url=mail.url)  # backing off: not due yet
    assert mail.inbox.messages == []

    clock.advance(timedelta(hours=2))
    worker_passes(live_server, clock, count=3, smtp_url=mail.url)  # three workers at once
    worker_passes(live_server, clock, count=2, smtp_url=mail.url)
    assert len(mail.inbox.messages) == 3
    assert len({str(m["Message-ID"]) for m in mail.inbox.messages}) == 3
    assert {str(m["To"]) for m in mail.inbox.messages} == {address}
    rows = db.query("SELECT status, attempts FROM outbox_emails")
    assert sorted(tuple(r) for r in rows) == [("SENT", 2)] * 3


def test_without_smtp_the_emails_are_eml_files(
    client: httpx.Client, admin: Headers, live_server: LiveServer, tmp_path: Path
) -> None:
    show = show_soon(client, admin)
    who, address = customer_with_email(client)
    confirmed = booked(client, who, show["id"], 1)

    worker_passes(live_server, Clock(), outbox_dir=tmp_path / "outbox")

    files = list((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 1
    message = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert str(message["To"]) == address
    assert isinstance(message, EmailMessage) and confirmed["code"] in _text(message)


def test_a_confirmation_sent_after_its_booking_was_cancelled_shows_no_valid_ticket(
    client: httpx.Client, admin: Headers, live_server: LiveServer, mail: MailServer, db: Any
) -> None:
    """The worker composes the confirmation when it sends it. Cancelled meanwhile, the booking
    is told of in both emails, in order, and the confirmation shows its tickets as the ticket
    page does: cancelled, with no code to scan."""
    show = show_soon(client, admin, minutes=150)
    who, address = customer_with_email(client)
    gone = booked(client, who, show["id"], 2)
    assert client.post(f"/api/v1/bookings/{gone['id']}/cancel", headers=who).status_code == 200
    mail.start()

    worker_passes(live_server, Clock(), smtp_url=mail.url)

    confirmation, cancellation = mail.inbox.messages  # in the order of the changes
    assert {str(m["To"]) for m in mail.inbox.messages} == {address}
    assert str(confirmation["Subject"]).startswith("Your tickets")
    text = _text(confirmation)
    assert f"Booking {gone['code']} was confirmed, and has since been cancelled." in text
    for ticket in tickets(client, who, gone["id"]):
        assert ticket["status"] == "REVOKED"
        assert ticket["qr"] not in text and ticket["qr"] not in str(confirmation)
        assert f"Ticket {ticket['seat_label']}: {compose.REVOKED_NOTE}" in text
    assert not [p for p in confirmation.walk() if p.get_content_type() == "image/png"]
    html = confirmation.get_body(preferencelist=("html",))
    assert html is not None and "cid:" not in str(html.get_content())
    assert str(cancellation["Subject"]).startswith("Booking cancelled")
    assert f"Booking {gone['code']} was cancelled" in _text(cancellation)
    rows = db.query(
        "SELECT kind, status FROM outbox_emails WHERE booking_id = :id", id=db.id(gone["id"])
    )
    assert sorted(tuple(r) for r in rows) == [("BOOKED", "SENT"), ("CANCELLED", "SENT")]


def test_a_walk_in_without_an_address_is_skipped_once_never_retried(
    client: httpx.Client, admin: Headers, live_server: LiveServer, mail: MailServer, db: Any
) -> None:
    """A counter sale to a walk-in has nobody to email: the address is looked for when the
    email is composed, and an email without one is marked SKIPPED, not tried again."""
    show = show_soon(client, admin)
    cashier = make_cashier(client, admin, [show["theatre_id"]])
    open_shift(client, cashier, show["theatre_id"])
    walk_in = sell(client, cashier, show["id"], [free_seats(client, show["id"])[0]["id"]])
    mail.start()

    worker_passes(live_server, Clock(), smtp_url=mail.url)
    worker_passes(live_server, Clock(), smtp_url=mail.url)

    assert mail.inbox.messages == []
    rows = db.query(
        "SELECT kind, status, attempts, last_error, message FROM outbox_emails"
        " WHERE booking_id = :id",
        id=db.id(walk_in["id"]),
    )
    assert [tuple(r) for r in rows] == [("BOOKED", "SKIPPED", 1, "no address to send it to", None)]


def _money(amount: int) -> str:
    return f"INR {amount // 100:,}.{amount % 100:02d}"


def test_every_refund_sends_one_email_naming_it(
    client: httpx.Client,
    admin: Headers,
    live_server: LiveServer,
    mail: MailServer,
    clock: Clock,
    db: Any,
) -> None:
    """Show cancelled, a late payment for seats taken meanwhile, a second payment for a paid
    order: each refund is told once, in one email that names it, and never as a confirmation."""
    show = show_soon(client, admin, minutes=180)
    who, address = customer_with_email(client)
    kept = booked(client, who, show["id"], 2)  # refunded when the show is cancelled

    late = hold(client, who, show["id"], 1)
    late_order = start_payment(client, who, late["id"]).json()
    clock.advance(timedelta(seconds=live_server.settings.hold_ttl_seconds + 5))
    taker, _ = customer_with_email(client)
    seat = late["seats"][0]["seat_id"]
    assert (
        client.post(
            "/api/v1/bookings", json={"show_id": show["id"], "seat_ids": [seat]}, headers=taker
        ).status_code
        == 201
    )
    refused = problem(verify(client, who, checkout(client, late_order["order_id"])), 409)
    assert refused["type"].endswith("/payment-refunded")

    twice = hold(client, who, show["id"], 1)
    twice_order = start_payment(client, who, twice["id"]).json()
    # Two tabs paid one order on an account without automatic capture; both were captured.
    client.patch(f"{SANDBOX}/config", json={"auto_capture": False})
    first, second = (checkout(client, twice_order["order_id"]) for _ in range(2))
    client.delete(f"{SANDBOX}/config")
    for paid in (first, second):
        capture(client, paid, twice["amount_total"])
    # Either payment may reach the booking first (the sandbox's webhooks race the verify calls):
    # one pays it, the other is refunded.
    answers = sorted(verify(client, who, paid).status_code for paid in (first, second))
    assert answers == [200, 409], answers

    assert client.post(f"/api/v1/shows/{show['id']}/cancel", headers=admin).status_code == 200
    mail.start()
    worker_passes(live_server, clock, smtp_url=mail.url)
    worker_passes(live_server, clock, smtp_url=mail.url)  # nothing left to send

    mine = [m for m in mail.inbox.messages if str(m["To"]) == address]
    by_booking: dict[str, list[str]] = {}
    for message in mine:
        text = _text(message)
        booking_id = next(b["id"] for b in (kept, late, twice) if b["code"] in text)
        by_booking.setdefault(booking_id, []).append(str(message["Subject"]).split(":")[0])
    assert {k: sorted(v) for k, v in by_booking.items()} == {
        kept["id"]: ["Booking cancelled", "Your tickets"],
        late["id"]: ["Payment refunded"],
        # Confirmed, paid twice (the extra payment goes back), then cancelled with the show.
        twice["id"]: ["Booking cancelled", "Payment refunded", "Your tickets"],
    }
    for message in mine:
        text = _text(message)
        subject = str(message["Subject"])
        if subject.startswith("Payment refunded"):
            amount = late["amount_total"] if late["code"] in text else twice["amount_total"]
            assert f"A refund of {_money(amount)} has been started" in text
            assert not [p for p in message.walk() if p.get_content_type() == "image/png"]
        if subject.startswith("Payment refunded") and late["code"] in text:
            assert "seats were taken" in text and "no tickets were issued" in text
        if subject.startswith("Payment refunded") and twice["code"] in text:
            assert "second payment" in text and "Your booking stands" in text
        if subject.startswith("Booking cancelled"):
            assert "show cancelled" in text
            amount = kept["amount_total"] if kept["code"] in text else twice["amount_total"]
            assert f"A refund of {_money(amount)} has been started" in text
    rows = db.query("SELECT kind, COUNT(*) FROM outbox_emails GROUP BY kind")
    assert dict((r[0], r[1]) for r in rows) == {"BOOKED": 2, "CANCELLED": 2, "REFUNDED": 2}


def test_a_film_outside_ascii_is_emailed_as_it_is_written(
    client: httpx.Client, admin: Headers, live_server: LiveServer, mail: MailServer, db: Any
) -> None:
    """Every part goes 7-bit: the cancellation's short lines were sent as raw UTF-8 before,
    which the worker could not record, so the email was never sent."""
    title = "Amélie — অপুর সংসার"
    show = show_soon(client, admin, minutes=150)
    movie = f"/api/v1/movies/{show['movie_id']}"
    renamed = client.patch(movie, json={"title": title}, headers=admin)
    assert renamed.status_code == 200, renamed.text
    who, _address = customer_with_email(client)
    gone = booked(client, who, show["id"], 1)
    assert client.post(f"/api/v1/bookings/{gone['id']}/cancel", headers=who).status_code == 200
    mail.start()

    worker_passes(live_server, Clock(), smtp_url=mail.url)

    assert len(mail.inbox.messages) == 2
    for message in mail.inbox.messages:
        assert title in str(message["Subject"]) and title in _text(message)
    rows = db.query(
        "SELECT status, message FROM outbox_emails WHERE booking_id = :id", id=db.id(gone["id"])
    )
    assert [status for status, _ in rows] == ["SENT", "SENT"]
    assert all(recorded.isascii() for _, recorded in rows)


def test_an_email_that_cannot_be_composed_is_retried_later_and_the_others_go(
    client: httpx.Client, admin: Headers, live_server: LiveServer, mail: MailServer, db: Any
) -> None:
    show = show_soon(client, admin, minutes=150)
    who, _address = customer_with_email(client)
    kept = booked(client, who, show["id"], 1)
    broken = booked(client, who, show["id"], 1)
    assert client.post(f"/api/v1/bookings/{broken['id']}/cancel", headers=who).status_code == 200
    # A cancellation's row that lost what only the change knew (its reason).
    db.execute(
        "UPDATE outbox_emails SET params = :empty WHERE booking_id = :id AND kind = 'CANCELLED'",
        empty="{}",
        id=db.id(broken["id"]),
    )
    mail.start()

    worker_passes(live_server, Clock(), smtp_url=mail.url)

    assert sorted(str(m["Subject"]).split(":")[0] for m in mail.inbox.messages) == [
        "Your tickets",
        "Your tickets",
    ]
    [(status, attempts, error)] = db.query(
        "SELECT status, attempts, last_error FROM outbox_emails"
        " WHERE booking_id = :id AND kind = 'CANCELLED'",
        id=db.id(broken["id"]),
    )
    assert (status, attempts) == ("PENDING", 1) and error.startswith("KeyError"), error
    assert kept["code"] in "".join(_text(m) for m in mail.inbox.messages)
