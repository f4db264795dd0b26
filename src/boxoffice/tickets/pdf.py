"""A booking's tickets as a PDF to print or keep, drawn with fpdf2 (the library invoices use):
one A6 page per seat with the movie, the theatre and screen, the time in the theatre's
timezone, the seat, the booking's code, and the ticket's QR code drawn as squares (sharp at any
size or printer). A cancelled ticket's page says so and has no QR code.

Helvetica, built in, covers Latin-1 only: any other character (a title in Devanagari) prints
as "?".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from boxoffice.text import in_core_font
from boxoffice.tickets.models import Ticket, TicketStatus

A6 = (105, 148)  # mm
MARGIN = 8  # mm
QR_SIZE = 64.0  # mm: the code's modules and its quiet zone of 4 on each side
QUIET_ZONE = 4  # modules
STATES = {
    TicketStatus.VALID: "Valid",
    TicketStatus.CHECKED_IN: "Checked in",
    TicketStatus.REVOKED: "Cancelled: this ticket does not admit",
}


@dataclass(frozen=True)
class PrintedShow:
    """What every page of a booking's tickets says about its show."""

    movie_title: str
    movie_facts: str  # "Hindi · UA · 120 min"
    theatre_name: str
    theatre_address: str
    screen_name: str
    starts_at: datetime
    timezone: str
    booking_code: str


def local_time(instant: datetime, timezone: str) -> str:
    """As a ticket says it, in the theatre's timezone: "Wed 09 Dec 2026, 06:00 PM (IST)"."""
    return instant.astimezone(ZoneInfo(timezone)).strftime("%a %d %b %Y, %I:%M %p (%Z)")


def render(show: PrintedShow, tickets: Sequence[Ticket]) -> bytes:
    """The tickets, a page each, in the order given (the seats' order)."""
    pdf = FPDF(format=A6)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(False)
    pdf.set_title(in_core_font(f"Tickets {show.booking_code}: {show.movie_title}"))
    pdf.set_author("Boxoffice")

    def text(value: str, size: float = 10, style: str = "") -> None:
        pdf.set_font("Helvetica", style=style, size=size)
        pdf.multi_cell(0, size * 0.45, in_core_font(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    when = local_time(show.starts_at, show.timezone)
    for ticket in tickets:
        pdf.add_page()
        text(show.movie_title, 15, "B")
        text(show.movie_facts, 8)
        pdf.ln(1.5)
        text(when, 10, "B")
        text(f"{show.theatre_name} · {show.screen_name}", 10)
        text(show.theatre_address, 7)
        pdf.ln(2)
        text(f"Seat {ticket.seat_label} · {ticket.seat_type}", 16, "B")
        text(STATES[ticket.status], 9, "B" if ticket.status is TicketStatus.REVOKED else "")
        if ticket.status is not TicketStatus.REVOKED:
            draw_qr(pdf, ticket.qr, x=(pdf.w - QR_SIZE) / 2, y=pdf.get_y() + 1)
        pdf.set_y(pdf.h - MARGIN - 9)
        text(f"Booking {show.booking_code}", 10, "B")
        text("Show the QR code at the door. One entry per ticket.", 7)
    return bytes(pdf.output())


def draw_qr(pdf: FPDF, code: str, *, x: float, y: float) -> None:
    """The QR code of `code` (error correction M, as the page and the email draw it), its
    top-left corner (quiet zone included) at (x, y): each row's dark runs as squares of one
    path filled at once, so that no renderer draws seams between them."""
    matrix = [list(row) for row in segno.make(code, error="m").matrix]
    module = QR_SIZE / (len(matrix) + 2 * QUIET_ZONE)
    left, top = x + QUIET_ZONE * module, y + QUIET_ZONE * module
    with pdf.new_path() as path:
        path.style.fill_color = "#000000"
        path.style.stroke_color = None
        for row_index, row in enumerate(matrix):
            column = 0
            while column < len(row):
                if not row[column]:
                    column += 1
                    continue
                start = column
                while column < len(row) and row[column]:
                    column += 1
                width = (column - start) * module
                path.rectangle(left + start * module, top + row_index * module, width, module)
