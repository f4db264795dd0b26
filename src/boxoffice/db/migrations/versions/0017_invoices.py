"""invoices, receipts and credit notes numbered per theatre, financial year and series; each
seat's charges; the reports' tax split

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 10:00:00

- `document_counters` (theatre, financial year, series): the last serial handed out, locked by
  the transaction that numbers a document until it ends, so the series is gapless. The database
  numbers each document: on PostgreSQL a deferred constraint trigger, inside the COMMIT of the
  transaction that wrote it (the counter row is locked for the end of the commit alone, never
  across a round trip to the application); on SQLite a plain trigger as it is written (writers
  take turns on the whole database anyway).
- `documents` (a tax invoice, a receipt or a credit note, the supplier and recipient copied as
  they were) and `document_lines` (a seat's ticket or fee, with its GST).
- `booking_seats` gains the charges a hold freezes (SPEC "Shapes"): `taxable`, `tax_rate_bp`,
  `cgst`, `sgst`, `ticket_total`, `fee`, `fee_rate_bp`, `fee_cgst`, `fee_sgst`. Existing seats
  were sold by unregistered theatres with no fee (migration 0012): their taxable value and total
  are their price, everything else 0. NULL: a seat whose hold froze no charges (nullable, so
  that a claim that does not write them yet keeps working). `bookings.cancellation_policy`:
  the tiers frozen with a hold (null: none frozen).
- `show_sales` gains `taxable`, `cgst`, `sgst`, `fees`, kept from the invoices as they are
  issued (0 for sales from before).
Portable: PostgreSQL and SQLite alike.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SERIES = sa.Enum(
    "TAX_INVOICE", "RECEIPT", "CREDIT_NOTE", name="series", native_enum=False, length=20
)
_NOT_CREDIT_NOTE = sa.text("series <> 'CREDIT_NOTE'")


SEAT_CHARGES = (
    "taxable",
    "tax_rate_bp",
    "cgst",
    "sgst",
    "ticket_total",
    "fee",
    "fee_rate_bp",
    "fee_cgst",
    "fee_sgst",
)


def _seat_columns() -> list[sa.Column[Any]]:
    return [sa.Column(name, sa.Integer(), nullable=True) for name in SEAT_CHARGES]


def _sales_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column(name, sa.BigInteger(), server_default="0", nullable=False)
        for name in ("taxable", "cgst", "sgst", "fees")
    ]


def _money(*names: str) -> list[sa.Column[Any]]:
    return [sa.Column(name, sa.Integer(), nullable=False) for name in names]


# Both: increment the series' counter, give its value to the document. In insertion order.
NUMBER_DOCUMENT_POSTGRESQL = """
CREATE FUNCTION invoicing_number_document() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_serial integer;
BEGIN
    INSERT INTO document_counters AS c (theatre_id, financial_year, series, last_serial)
    VALUES (NEW.theatre_id, NEW.financial_year, NEW.series, 1)
    ON CONFLICT (theatre_id, financial_year, series)
    DO UPDATE SET last_serial = c.last_serial + 1
    RETURNING c.last_serial INTO v_serial;
    UPDATE documents SET serial = v_serial WHERE id = NEW.id;
    RETURN NULL;
END
$$
"""
AT_COMMIT_POSTGRESQL = """
CREATE CONSTRAINT TRIGGER documents_numbered_at_commit AFTER INSERT ON documents
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION invoicing_number_document()
"""
NUMBER_DOCUMENT_SQLITE = """
CREATE TRIGGER documents_numbered_at_commit AFTER INSERT ON documents
BEGIN
    INSERT INTO document_counters (theatre_id, financial_year, series, last_serial)
    VALUES (NEW.theatre_id, NEW.financial_year, NEW.series, 1)
    ON CONFLICT (theatre_id, financial_year, series)
    DO UPDATE SET last_serial = last_serial + 1;
    UPDATE documents SET serial = (
        SELECT c.last_serial FROM document_counters c
        WHERE c.theatre_id = NEW.theatre_id AND c.financial_year = NEW.financial_year
          AND c.series = NEW.series
    ) WHERE id = NEW.id;
END
"""


def upgrade() -> None:
    op.create_table(
        "document_counters",
        sa.Column("theatre_id", sa.Uuid(), nullable=False),
        sa.Column("financial_year", sa.String(length=7), nullable=False),
        sa.Column("series", _SERIES, nullable=False),
        sa.Column("last_serial", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["theatre_id"], ["theatres.id"], name=op.f("fk_document_counters_theatre_id_theatres")
        ),
        sa.PrimaryKeyConstraint(
            "theatre_id", "financial_year", "series", name=op.f("pk_document_counters")
        ),
    )
    op.create_table(
        "documents",
        sa.Column("series", _SERIES, nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("theatre_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=True),
        sa.Column("refund_id", sa.Uuid(), nullable=True),
        sa.Column("financial_year", sa.String(length=7), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=True),
        sa.Column("prefix", sa.String(length=8), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("legal_name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("gstin", sa.String(length=15), nullable=True),
        sa.Column("state_code", sa.String(length=2), nullable=True),
        sa.Column("sac", sa.String(length=6), nullable=True),
        sa.Column("recipient_name", sa.String(length=200), nullable=True),
        sa.Column("recipient_email", sa.String(length=254), nullable=True),
        sa.Column("recipient_phone", sa.String(length=20), nullable=True),
        *_money("taxable", "cgst", "sgst", "total"),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_documents_booking_id_bookings")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["documents.id"], name=op.f("fk_documents_invoice_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"], ["refunds.id"], name=op.f("fk_documents_refund_id_refunds")
        ),
        sa.ForeignKeyConstraint(
            ["theatre_id"], ["theatres.id"], name=op.f("fk_documents_theatre_id_theatres")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("refund_id", name=op.f("uq_documents_refund_id")),
        sa.UniqueConstraint(
            "theatre_id", "financial_year", "series", "serial", name=op.f("uq_documents_theatre_id")
        ),
    )
    op.create_index("ix_documents_invoice_id", "documents", ["invoice_id"])
    op.create_index("ix_documents_theatre_id_issued_at", "documents", ["theatre_id", "issued_at"])
    op.create_index(
        "uq_documents_booking_id_invoice",
        "documents",
        ["booking_id"],
        unique=True,
        postgresql_where=_NOT_CREDIT_NOTE,
        sqlite_where=_NOT_CREDIT_NOTE,
    )
    op.create_table(
        "document_lines",
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("seat_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("TICKET", "FEE", name="linekind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("sac", sa.String(length=6), nullable=True),
        *_money("taxable", "rate_bp", "cgst", "sgst", "total"),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_document_lines_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["seat_id"], ["seats.id"], name=op.f("fk_document_lines_seat_id_seats")
        ),
        sa.PrimaryKeyConstraint("document_id", "position", name=op.f("pk_document_lines")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(NUMBER_DOCUMENT_POSTGRESQL)
        op.execute(AT_COMMIT_POSTGRESQL)
    else:
        op.execute(NUMBER_DOCUMENT_SQLITE)
    for column in _seat_columns():
        op.add_column("booking_seats", column)
    op.execute(
        "UPDATE booking_seats SET taxable = price, tax_rate_bp = 0, cgst = 0, sgst = 0, "
        "ticket_total = price, fee = 0, fee_rate_bp = 0, fee_cgst = 0, fee_sgst = 0"
    )
    op.add_column("bookings", sa.Column("cancellation_policy", sa.JSON(), nullable=True))
    for column in _sales_columns():
        op.add_column("show_sales", column)


def downgrade() -> None:
    # Not batch mode: on SQLite it rebuilds the table and loses expression indexes reflection
    # cannot see (see 0008). Both engines drop a plain column in place.
    for table, columns in (
        ("show_sales", _sales_columns()),
        ("bookings", [sa.Column("cancellation_policy", sa.JSON())]),
        ("booking_seats", _seat_columns()),
    ):
        for column in reversed(columns):
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column.name}")
    op.drop_table("document_lines")
    op.execute(
        "DROP TRIGGER documents_numbered_at_commit"
        + (" ON documents" if op.get_bind().dialect.name == "postgresql" else "")
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION invoicing_number_document()")
    op.drop_index("uq_documents_booking_id_invoice", table_name="documents")
    op.drop_index("ix_documents_theatre_id_issued_at", table_name="documents")
    op.drop_index("ix_documents_invoice_id", table_name="documents")
    op.drop_table("documents")
    op.drop_table("document_counters")
