from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from boxoffice.invoicing.models import Document, DocumentLine, LineKind, Series
from boxoffice.invoicing.service import InvoiceView, Issued


class Supplier(BaseModel):
    legal_name: str
    address: str
    gstin: str | None
    state_code: str | None


class Recipient(BaseModel):
    name: str | None
    email: str | None
    phone: str | None


class LineOut(BaseModel):
    description: str
    sac: str | None
    taxable: int
    rate_bp: int
    cgst: int
    sgst: int
    total: int
    kind: LineKind
    seat_id: uuid.UUID

    @classmethod
    def of(cls, line: DocumentLine) -> LineOut:
        return cls.model_validate(line, from_attributes=True)


class Totals(BaseModel):
    taxable: int
    cgst: int
    sgst: int
    total: int


def _common(issued: Issued, pdf_url: str) -> dict[str, object]:
    document = issued.document
    assert document.number is not None  # numbered as its transaction committed
    return {
        "id": document.id,
        "number": document.number,
        "issued_at": document.issued_at,
        "currency": document.currency,
        "lines": [LineOut.of(line) for line in issued.lines],
        "totals": Totals.model_validate(document, from_attributes=True),
        "pdf_url": pdf_url,
    }


class CreditNoteOut(BaseModel):
    id: uuid.UUID
    number: str
    invoice_number: str
    issued_at: datetime
    reason: str | None
    refund_id: uuid.UUID | None
    currency: str
    lines: list[LineOut]
    totals: Totals
    pdf_url: str

    @classmethod
    def of(cls, issued: Issued, invoice: Document) -> CreditNoteOut:
        document = issued.document
        return cls.model_validate(
            {
                **_common(issued, credit_note_pdf_url(document)),
                "invoice_number": invoice.number,
                "reason": document.reason,
                "refund_id": document.refund_id,
            }
        )


class InvoiceOut(BaseModel):
    """SPEC "Tax invoice": a tax invoice, or a receipt when the theatre is not registered."""

    id: uuid.UUID
    kind: Series
    number: str
    issued_at: datetime
    booking_id: uuid.UUID
    currency: str
    supplier: Supplier
    recipient: Recipient
    place_of_supply: str | None
    sac: str | None
    lines: list[LineOut]
    totals: Totals
    credit_notes: list[CreditNoteOut]
    pdf_url: str

    @classmethod
    def of(cls, view: InvoiceView) -> InvoiceOut:
        invoice = view.invoice.document
        return cls.model_validate(
            {
                **_common(view.invoice, invoice_pdf_url(invoice)),
                "kind": invoice.series,
                "booking_id": invoice.booking_id,
                "supplier": Supplier.model_validate(invoice, from_attributes=True),
                "recipient": Recipient(
                    name=invoice.recipient_name,
                    email=invoice.recipient_email,
                    phone=invoice.recipient_phone,
                ),
                "place_of_supply": invoice.place_of_supply,
                "sac": invoice.sac,
                "credit_notes": [CreditNoteOut.of(note, invoice) for note in view.credit_notes],
            }
        )


def invoice_pdf_url(invoice: Document) -> str:
    return f"/api/v1/bookings/{invoice.booking_id}/invoice.pdf"


def credit_note_pdf_url(note: Document) -> str:
    return f"/api/v1/bookings/{note.booking_id}/credit-notes/{note.id}.pdf"
