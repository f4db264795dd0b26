"""The confirmation and cancellation emails, built with the standard library's `email`."""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from zoneinfo import ZoneInfo

import segno

from boxoffice.notifications.repository import ShowFacts


def money(amount: int, currency: str) -> str:
    """Minor units as the customer reads them: 123450 INR -> "INR 1,234.50"."""
    return f"{currency} {amount // 100:,}.{amount % 100:02d}"


def qr_png(qr: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(qr, error="m").save(buffer, kind="png", scale=5, border=4)
    return buffer.getvalue()


def _local(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%a %d %b %Y, %H:%M (%Z)")


def _base(sender: str, recipient: str, subject: str, now: datetime) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain="boxoffice.local")
    return message


def booked_email(
    *,
    sender: str,
    recipient: str,
    booking_id: str,
    facts: ShowFacts,
    starts_at: datetime,
    seats: Sequence[str],
    amount: int,
    currency: str,
    tickets: Sequence[tuple[str, str, str]],  # (ticket id, seat label, signed qr)
    now: datetime,
) -> EmailMessage:
    when = _local(starts_at, facts.timezone)
    subject = f"Your tickets: {facts.title}, {when}"
    seat_list = ", ".join(seats)
    lines = [
        f"Booking {booking_id} is confirmed.",
        "",
        f"Show:    {facts.title}",
        f"When:    {when}",
        f"Where:   {facts.theatre}, {facts.screen} ({facts.address})",
        f"Seats:   {seat_list}",
        f"Amount:  {money(amount, currency)}",
        "",
        "Show the QR code of each ticket at the door (they are in the HTML part of this email).",
        "",
        *(f"Ticket {label}: {qr}" for _, label, qr in tickets),
    ]
    message = _base(sender, recipient, subject, now)
    message.set_content("\n".join(lines))
    cids = [make_msgid(domain="boxoffice.local") for _ in tickets]
    ticket_html = "".join(
        f"<div><p>Seat <b>{html.escape(label)}</b></p>"
        f'<img src="cid:{cid[1:-1]}" alt="QR code for seat {html.escape(label)}" width="240"></div>'
        for (_, label, _), cid in zip(tickets, cids, strict=True)
    )
    message.add_alternative(
        "<html><body>"
        f"<h1>{html.escape(facts.title)}</h1>"
        f"<p>{html.escape(when)}<br>{html.escape(facts.theatre)}, {html.escape(facts.screen)}</p>"
        f"<p>Seats: {html.escape(seat_list)}<br>Amount: {html.escape(money(amount, currency))}</p>"
        f"{ticket_html}"
        f"<p>Booking {html.escape(booking_id)}</p>"
        "</body></html>",
        subtype="html",
    )
    html_part = message.get_body(preferencelist=("html",))
    assert isinstance(html_part, EmailMessage)
    for (ticket_id, label, qr), cid in zip(tickets, cids, strict=True):
        html_part.add_related(
            qr_png(qr),
            maintype="image",
            subtype="png",
            cid=cid,
            filename=f"ticket-{label}-{ticket_id[:8]}.png",
        )
    return message


def cancelled_email(
    *,
    sender: str,
    recipient: str,
    booking_id: str,
    facts: ShowFacts,
    starts_at: datetime,
    seats: Sequence[str],
    amount: int,
    currency: str,
    refund_amount: int | None,
    reason: str,
    now: datetime,
) -> EmailMessage:
    when = _local(starts_at, facts.timezone)
    message = _base(sender, recipient, f"Booking cancelled: {facts.title}, {when}", now)
    refund = (
        f"A refund of {money(refund_amount, currency)} has been started; it reaches your "
        "account in a few working days."
        if refund_amount
        else "Nothing was paid, so there is nothing to refund."
    )
    message.set_content(
        "\n".join(
            [
                f"Booking {booking_id} was cancelled ({reason}). Its tickets no longer admit.",
                "",
                f"Show:    {facts.title}",
                f"When:    {when}",
                f"Where:   {facts.theatre}, {facts.screen}",
                f"Seats:   {', '.join(seats)}",
                f"Amount:  {money(amount, currency)}",
                "",
                refund,
            ]
        )
    )
    return message
