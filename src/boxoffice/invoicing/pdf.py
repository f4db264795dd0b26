"""A document as a printable PDF (A4), drawn with fpdf2: pure Python, maintained, no system
libraries, and its built-in Helvetica needs no font file (README "Money").

Helvetica covers Latin-1 only: any other character (a film's title in Devanagari) is printed
as "?"; amounts are written "INR 1,234.50".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from boxoffice.invoicing.models import Document, DocumentLine, Series
from boxoffice.text import in_core_font

TITLES = {
    Series.TAX_INVOICE: "Tax invoice",
    Series.RECEIPT: "Receipt",
    Series.CREDIT_NOTE: "Credit note",
}
COLUMNS = ("Description", "SAC", "Taxable", "Rate", "CGST", "SGST", "Total")
WIDTHS = (70, 14, 22, 12, 18, 18, 22)  # mm, 176 in all: A4 less 17 mm margins


def amount(paise: int, currency: str) -> str:
    sign = "-" if paise < 0 else ""
    paise = abs(paise)
    return f"{sign}{currency} {paise // 100:,}.{paise % 100:02d}"


def _rate(rate_bp: int) -> str:
    return f"{rate_bp / 100:g} %"


def render(
    document: Document,
    lines: Sequence[DocumentLine],
    *,
    timezone: str,
    invoice_number: str | None = None,
) -> bytes:
    """The document as a PDF; a credit note names the invoice it credits."""
    title = TITLES[document.series]
    number = document.number or ""
    pdf = FPDF(format="A4")
    pdf.set_margins(17, 15, 17)
    pdf.set_title(in_core_font(f"{title} {number}"))
    pdf.set_author(in_core_font(document.legal_name))
    pdf.set_creation_date(document.issued_at)
    pdf.add_page()

    def text(value: str, size: float = 10, style: str = "") -> None:
        pdf.set_font("Helvetica", style=style, size=size)
        pdf.multi_cell(0, size * 0.5, in_core_font(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    text(title, 18, "B")
    text(f"No. {number}", 12, "B")
    text(f"Date: {_local(document.issued_at, timezone)}")
    if invoice_number is not None:
        text(f"Against invoice: {invoice_number}")
    if document.reason:
        text(f"Reason: {document.reason}")
    pdf.ln(4)
    text("Supplier", 11, "B")
    text(document.legal_name)
    text(document.address)
    if document.gstin:
        text(f"GSTIN: {document.gstin}    State code: {document.state_code}")
        text(f"Place of supply: {document.place_of_supply}    SAC: {document.sac}")
    else:
        text("Not registered for GST: no GST is charged.")
    pdf.ln(2)
    text("Recipient", 11, "B")
    recipient = [document.recipient_name, document.recipient_email, document.recipient_phone]
    text(", ".join(part for part in recipient if part) or "Walk-in customer")
    pdf.ln(4)

    currency = document.currency
    pdf.set_font("Helvetica", size=8)
    with pdf.table(
        col_widths=WIDTHS,
        text_align=("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
        first_row_as_headings=True,
    ) as table:
        table.row(COLUMNS)
        for line in lines:
            table.row(
                (
                    in_core_font(line.description),
                    line.sac or "",
                    amount(line.taxable, currency),
                    _rate(line.rate_bp),
                    amount(line.cgst, currency),
                    amount(line.sgst, currency),
                    amount(line.total, currency),
                )
            )
        table.row(
            (
                "Total",
                "",
                amount(document.taxable, currency),
                "",
                amount(document.cgst, currency),
                amount(document.sgst, currency),
                amount(document.total, currency),
            )
        )
    pdf.ln(4)
    text(
        f"Amount {'credited' if invoice_number else 'charged'}: {amount(document.total, currency)}",
        11,
        "B",
    )
    return bytes(pdf.output())


def _local(instant: datetime, timezone: str) -> str:
    return instant.astimezone(ZoneInfo(timezone)).strftime("%d %b %Y, %H:%M (%Z)")
