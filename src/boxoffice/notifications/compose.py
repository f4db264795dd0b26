"""The confirmation and cancellation emails, built with the standard library's `email`."""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from typing import Any
from zoneinfo import ZoneInfo

import segno
from PIL import Image, ImageOps

from boxoffice.notifications.repository import ShowFacts


def money(amount: int, currency: str) -> str:
    """Minor units as the customer reads them: 123450 INR -> "INR 1,234.50"."""
    return f"{currency} {amount // 100:,}.{amount % 100:02d}"


# The email's QR codes use one fixed mask pattern. Choosing the best of the eight (the encoder's
# default) scores each in pure Python: 17 of the 24 ms a ticket's code took, most of a
# confirmation's cost in the worker, where a 1,000-purchase burst must be sent within a minute
# (bench `emails`). Any mask is valid and every reader decodes it; the best one only makes
# unlucky patterns (large blocks, finder-like runs) rarer. The door scans the ticket page's and
# the PDF's codes, which keep the encoder's choice.
EMAIL_QR_MASK = 0
QR_SCALE, QR_BORDER = 5, 4  # pixels a module; modules of quiet zone


def qr_png(qr: str) -> bytes:
    """The ticket's code as a 1-bit PNG, drawn by Pillow (segno's own PNG writer is Python)."""
    code = segno.make(qr, error="m", mask=EMAIL_QR_MASK)
    size = len(code.matrix)
    modules = bytes(0 if dark else 255 for row in code.matrix for dark in row)
    image = ImageOps.expand(Image.frombytes("L", (size, size), modules), QR_BORDER, fill=255)
    scaled = image.resize((image.width * QR_SCALE,) * 2, Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    scaled.convert("1").save(buffer, "PNG")
    return buffer.getvalue()


def _local(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%a %d %b %Y, %H:%M (%Z)")


DOMAIN = "boxoffice.local"


# Every part 7-bit (quoted-printable or base64 where the text is not ASCII): a film, theatre or
# name in any script then travels through any mail server, and the message is kept as text.
POLICY = SMTP.clone(cte_type="7bit")


def _base(
    sender: str, recipient: str, subject: str, now: datetime, message_id: str
) -> EmailMessage:
    message = EmailMessage(policy=POLICY)
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = f"<{message_id}@{DOMAIN}>"
    return message


@dataclass(frozen=True)
class InlineQr:
    """A ticket's QR code that the HTML part shows as `cid:<cid>`, drawn when the email is sent."""

    cid: str  # without the angle brackets
    qr: str
    filename: str


@dataclass(frozen=True)
class EmailTicket:
    ticket_id: str
    label: str  # the seat's
    qr: str  # the signed string a scanner reads
    revoked: bool  # cancelled: it shows no code


# As the ticket page says it of a cancelled ticket.
REVOKED_NOTE = "This ticket was cancelled: it will not be admitted."


def booked_email(
    *,
    sender: str,
    recipient: str,
    booking_code: str,
    facts: ShowFacts,
    starts_at: datetime,
    seats: Sequence[str],
    amount: int,
    currency: str,
    tickets: Sequence[EmailTicket],
    still_booked: bool,
    invoice_number: str | None,
    invoice_url: str,
    now: datetime,
    message_id: str,
) -> tuple[EmailMessage, list[InlineQr]]:
    """The confirmation, and the QR images its HTML part refers to, for `attach_qr_images`
    (kept apart so that the message can be recorded without them).

    Composed when it is sent, so the booking may have been cancelled meanwhile (its
    cancellation email follows): then it says so, and a cancelled ticket shows no code, as on
    the ticket page.
    """
    number = invoice_number or "(see the invoice link)"
    when = _local(starts_at, facts.timezone)
    subject = f"Your tickets: {facts.title}, {when}"
    seat_list = ", ".join(seats)
    opening = (
        f"Booking {booking_code} is confirmed."
        if still_booked
        else f"Booking {booking_code} was confirmed, and has since been cancelled."
    )
    lines = [
        opening,
        "",
        f"Show:    {facts.title}",
        f"When:    {when}",
        f"Where:   {facts.theatre}, {facts.screen} ({facts.address})",
        f"Seats:   {seat_list}",
        f"Amount:  {money(amount, currency)}",
        f"Invoice: {number} ({invoice_url})",
        "",
        "Show the QR code of each ticket at the door (they are in the HTML part of this email).",
        "",
        *(f"Ticket {t.label}: {REVOKED_NOTE if t.revoked else t.qr}" for t in tickets),
    ]
    message = _base(sender, recipient, subject, now, message_id)
    message.set_content("\n".join(lines))
    images = {
        t.ticket_id: InlineQr(
            # The ticket's own id: the same in every attempt to send the email.
            cid=f"ticket-{t.ticket_id}@{DOMAIN}",
            qr=t.qr,
            filename=f"ticket-{t.label}-{t.ticket_id[:8]}.png",
        )
        for t in tickets
        if not t.revoked
    }
    ticket_html = "".join(
        f"<div><p>Seat <b>{html.escape(t.label)}</b></p>"
        + (
            f"<p>{REVOKED_NOTE}</p>"
            if t.revoked
            else f'<img src="cid:{images[t.ticket_id].cid}"'
            f' alt="QR code for seat {html.escape(t.label)}" width="240">'
        )
        + "</div>"
        for t in tickets
    )
    message.add_alternative(
        "<html><body>"
        f"<h1>{html.escape(facts.title)}</h1>"
        f"<p>{html.escape(opening)}</p>"
        f"<p>{html.escape(when)}<br>{html.escape(facts.theatre)}, {html.escape(facts.screen)}</p>"
        f"<p>Seats: {html.escape(seat_list)}<br>Amount: {html.escape(money(amount, currency))}"
        f'<br>Invoice: <a href="{html.escape(invoice_url)}">{html.escape(number)}</a></p>'
        f"{ticket_html}"
        f"<p>Booking code <b>{html.escape(booking_code)}</b></p>"
        "</body></html>",
        subtype="html",
    )
    return message, list(images.values())


def attach_qr_images(message: EmailMessage, images: Sequence[InlineQr]) -> None:
    """Draws each QR code as a PNG inside the HTML part, under the cid that part refers to."""
    if not images:
        return
    html_part = message.get_body(preferencelist=("html",))
    assert isinstance(html_part, EmailMessage)
    for image in images:
        html_part.add_related(
            qr_png(image.qr),
            maintype="image",
            subtype="png",
            cid=f"<{image.cid}>",
            filename=image.filename,
        )


def _notice(
    *,
    sender: str,
    recipient: str,
    subject: str,
    opening: str,
    facts: ShowFacts,
    starts_at: datetime,
    seats: Sequence[str],
    amount: int,
    currency: str,
    closing: str,
    now: datetime,
    message_id: str,
) -> EmailMessage:
    when = _local(starts_at, facts.timezone)
    message = _base(sender, recipient, f"{subject}: {facts.title}, {when}", now, message_id)
    message.set_content(
        "\n".join(
            [
                opening,
                "",
                f"Show:    {facts.title}",
                f"When:    {when}",
                f"Where:   {facts.theatre}, {facts.screen}",
                f"Seats:   {', '.join(seats)}",
                f"Amount:  {money(amount, currency)}",
                "",
                closing,
            ]
        )
    )
    return message


def _refund_started(amount: int, currency: str) -> str:
    return (
        f"A refund of {money(amount, currency)} has been started; it reaches your account in a "
        "few working days."
    )


# How a cancellation's money goes back: a refund to the card or account that paid online, or,
# for a sale paid at the theatre's counter, in the hand there (owed until the customer comes).
REFUND_STARTED, OWED_AT_COUNTER, PAID_AT_COUNTER = "refund-started", "owed", "paid-at-counter"


@dataclass(frozen=True)
class MoneyBack:
    amount: int
    way: str  # one of the three above


def _money_back(back: MoneyBack | None, currency: str) -> str:
    if back is None:
        return "Nothing was paid, so there is nothing to refund."
    if back.way == OWED_AT_COUNTER:
        return (
            f"You paid at the theatre's counter: {money(back.amount, currency)} is owed to you "
            "there. Bring this email or your booking code to the counter, and it is paid back "
            "the way you paid."
        )
    if back.way == PAID_AT_COUNTER:
        return (
            f"{money(back.amount, currency)} in all was paid back to you at the theatre's counter."
        )
    return _refund_started(back.amount, currency)


def cancelled_email(
    *,
    booking_code: str,
    money_back: MoneyBack | None,
    reason: str,
    **common: Any,
) -> EmailMessage:
    return _notice(
        subject="Booking cancelled",
        opening=f"Booking {booking_code} was cancelled ({reason}). Its tickets no longer admit.",
        closing=_money_back(money_back, common["currency"]),
        **common,
    )


def refunded_email(
    *, booking_code: str, refund_amount: int, reason: str, booked: bool, **common: Any
) -> EmailMessage:
    """A payment that arrived and could not book (or paid a second time) is refunded."""
    outcome = (
        "Your booking stands and its tickets are valid; this extra payment is refunded."
        if booked
        else "It did not book the seats and no tickets were issued."
    )
    return _notice(
        subject="Payment refunded",
        opening=f"A payment for booking {booking_code} could not be used ({reason}). {outcome}",
        closing=_refund_started(refund_amount, common["currency"]),
        **common,
    )


def password_reset_email(
    *,
    sender: str,
    recipient: str,
    name: str,
    link: str,
    expires_at: datetime,
    now: datetime,
    message_id: str,
) -> EmailMessage:
    """The link to choose a new password; plain text only (nothing to draw)."""
    message = _base(sender, recipient, "Choose a new password", now, message_id)
    minutes = round((expires_at - now).total_seconds() / 60)
    message.set_content(
        "\n".join(
            [
                f"Hello {name},",
                "",
                "Someone (we hope you) asked to reset the password of your Boxoffice account.",
                f"To choose a new one, open this link within {minutes} minutes; it works once:",
                "",
                link,
                "",
                "Choosing a new password signs you out everywhere. If you did not ask for this,",
                "ignore this email: your password stays as it is.",
            ]
        )
    )
    return message


def waitlist_offer_email(
    *, booking_code: str, link: str, party: int, expires_at: datetime, **common: Any
) -> EmailMessage:
    """Seats came back for a party on the waiting list: held for it until `expires_at`."""
    until = _local(expires_at, common["facts"].timezone)
    seats = "seat" if party == 1 else "seats"
    return _notice(
        subject="Seats for you from the waiting list",
        opening=(
            f"{party} {seats} came back and are held for you until {until} (booking "
            f"{booking_code}). Pay before then and they are yours:\n\n{link}"
        ),
        closing="If you no longer want them, decline the offer: they go to the next in line.",
        **common,
    )
