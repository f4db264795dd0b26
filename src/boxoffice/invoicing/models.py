from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from boxoffice.db.base import Base, IdMixin, str_enum
from boxoffice.money import gst


class Series(enum.StrEnum):
    """A numbering series: per theatre and financial year, each gapless on its own."""

    TAX_INVOICE = "TAX_INVOICE"  # a registered theatre's booking
    RECEIPT = "RECEIPT"  # an unregistered theatre's booking: no GST
    CREDIT_NOTE = "CREDIT_NOTE"  # a refund of either


NUMBER_FORMATS = {
    Series.TAX_INVOICE: gst.invoice_number,
    Series.RECEIPT: gst.receipt_number,
    Series.CREDIT_NOTE: gst.credit_note_number,
}


class LineKind(enum.StrEnum):
    TICKET = "TICKET"
    FEE = "FEE"


class DocumentCounter(Base):
    """The last serial a series handed out, incremented by the database as each document is
    written (migration 0017's trigger; on PostgreSQL inside the COMMIT). Its row is locked by
    the transaction that numbers a document until that transaction ends: a rollback undoes the
    increment (no gap), a commit keeps it (never reused)."""

    __tablename__ = "document_counters"

    theatre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("theatres.id"), primary_key=True)
    financial_year: Mapped[str] = mapped_column(String(7), primary_key=True)  # 2026-27
    series: Mapped[Series] = mapped_column(str_enum(Series), primary_key=True)
    last_serial: Mapped[int] = mapped_column(Integer)


class Document(IdMixin, Base):
    """A tax invoice, a receipt or a credit note, as issued: the supplier and the recipient
    copied as they were, its totals the sums of its lines. A credit note names its invoice and
    the refund it documents.

    `serial` is given by the database (migration 0017's trigger): on PostgreSQL as the
    transaction that writes the document commits, so it is NULL only inside that transaction.
    """

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("theatre_id", "financial_year", "series", "serial"),
        # One invoice (or receipt) a booking, however many credit notes.
        Index(
            "uq_documents_booking_id_invoice",
            "booking_id",
            unique=True,
            postgresql_where=text("series <> 'CREDIT_NOTE'"),
            sqlite_where=text("series <> 'CREDIT_NOTE'"),
        ),
        Index("ix_documents_invoice_id", "invoice_id"),
        # The GST report: a theatre's documents of a month.
        Index("ix_documents_theatre_id_issued_at", "theatre_id", "issued_at"),
    )

    series: Mapped[Series] = mapped_column(str_enum(Series))
    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id"))
    theatre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("theatres.id"))
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("documents.id"))
    refund_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("refunds.id"), unique=True)
    financial_year: Mapped[str] = mapped_column(String(7))
    serial: Mapped[int | None] = mapped_column(Integer)
    prefix: Mapped[str] = mapped_column(String(8))
    issued_at: Mapped[datetime]
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str | None] = mapped_column(String(200))
    # The supplier (the theatre) and the recipient (the customer) as they were at issue.
    legal_name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(500))
    gstin: Mapped[str | None] = mapped_column(String(15))
    state_code: Mapped[str | None] = mapped_column(String(2))
    sac: Mapped[str | None] = mapped_column(String(6))
    recipient_name: Mapped[str | None] = mapped_column(String(200))
    recipient_email: Mapped[str | None] = mapped_column(String(254))
    recipient_phone: Mapped[str | None] = mapped_column(String(20))
    taxable: Mapped[int] = mapped_column(Integer)
    cgst: Mapped[int] = mapped_column(Integer)
    sgst: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)

    @property
    def place_of_supply(self) -> str | None:
        """The theatre's state (a ticket is supplied where it is used): `27-Maharashtra`."""
        code = self.state_code
        return f"{code}-{gst.STATES[code]}" if code else None

    @property
    def number(self) -> str | None:
        if self.serial is None:
            return None
        return NUMBER_FORMATS[self.series](self.prefix, self.financial_year, self.serial)


class DocumentLine(Base):
    """One line of a document: a seat's ticket or its convenience fee (or what a credit note
    gives back of it), with the GST at its rate."""

    __tablename__ = "document_lines"
    # A document's lines by kind and rate from this index alone (migration 0025, once the GST
    # report's way; the report now reads `gst_summary`, migration 0027).
    __table_args__ = (
        Index(
            "ix_document_lines_document_id_sums",
            "document_id",
            postgresql_include=["kind", "rate_bp", "taxable", "cgst", "sgst"],
        ),
    )

    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    seat_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("seats.id"))
    kind: Mapped[LineKind] = mapped_column(str_enum(LineKind))
    description: Mapped[str] = mapped_column(String(300))
    sac: Mapped[str | None] = mapped_column(String(6))
    taxable: Mapped[int] = mapped_column(Integer)
    rate_bp: Mapped[int] = mapped_column(Integer)
    cgst: Mapped[int] = mapped_column(Integer)
    sgst: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)


class GstSummary(Base):
    """What a theatre's documents carrying its GSTIN charged in a month, per series, kind and
    rate: the sums of their lines, kept by `invoicing.service` in the transaction that issues
    each document (`db.kept`, written as it commits), so that the GST report reads a few rows
    instead of the month's lines (migration 0027 filled it from the lines before it).

    `month`: `YYYY-MM` of `issued_at` in the theatre's timezone, the month the report asks for.
    Receipts (and their credit notes) carry no GSTIN and no GST: not kept.
    """

    __tablename__ = "gst_summary"

    theatre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("theatres.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    series: Mapped[Series] = mapped_column(str_enum(Series), primary_key=True)
    kind: Mapped[LineKind] = mapped_column(str_enum(LineKind), primary_key=True)
    rate_bp: Mapped[int] = mapped_column(Integer, primary_key=True)
    taxable: Mapped[int] = mapped_column(BigInteger)
    cgst: Mapped[int] = mapped_column(BigInteger)
    sgst: Mapped[int] = mapped_column(BigInteger)
