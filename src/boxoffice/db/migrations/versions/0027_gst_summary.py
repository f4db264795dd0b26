"""a theatre's month of GST kept in a summary, the GST report's source

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 14:30:00

The GST report of a month read the month's document lines through 0025's covering index; with
random (`uuid4`) document ids a month's documents are spread over the whole index, so the pages
it touched grew with history (`make bench-scale`: ratio 1.5 with 90 days behind it).
`gst_summary` holds, per theatre, month (`YYYY-MM` of `issued_at` in the theatre's timezone),
series, line kind and rate, the sums of the lines of the documents carrying a GSTIN; the
invoicing service adds to it in the transaction that issues each document. This migration
fills it from the documents' lines written before it.

Locks (PostgreSQL): `documents` in SHARE mode for the backfill, to the end of the migration's
transaction: reads go on, but no document can be written meanwhile (an invoice or credit note
waits, and so does the booking or refund that issues it), so that none is missed between the
backfill's snapshot and the commit. The backfill is one set-based INSERT ... SELECT over
`documents` and `document_lines` (the bench prints how long writes waited on a loaded chain).
Documents issued by a process of the previous release after this commits are not summarised:
once the rollout is over, `boxoffice gst-summary --since <the day of the migration>` rebuilds
those months from the lines (README "A release's migrations on a live database").
SQLite has no time zones in SQL: the month is worked out in Python there (small databases).
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SERIES = sa.Enum(
    "TAX_INVOICE", "RECEIPT", "CREDIT_NOTE", name="series", native_enum=False, length=20
)
_KIND = sa.Enum("TICKET", "FEE", name="linekind", native_enum=False, length=20)
_KEY = ("theatre_id", "month", "series", "kind", "rate_bp")

BACKFILL_POSTGRESQL = """
INSERT INTO gst_summary (theatre_id, month, series, kind, rate_bp, taxable, cgst, sgst)
SELECT d.theatre_id, to_char(d.issued_at AT TIME ZONE t.timezone, 'YYYY-MM'), d.series,
       l.kind, l.rate_bp, sum(l.taxable), sum(l.cgst), sum(l.sgst)
FROM documents d
JOIN theatres t ON t.id = d.theatre_id
JOIN document_lines l ON l.document_id = d.id
WHERE d.gstin IS NOT NULL
GROUP BY 1, 2, 3, 4, 5
"""

# Per instant rather than per month: the month needs the theatre's zone, done in Python.
LINES_SQLITE = """
SELECT d.theatre_id, t.timezone, d.issued_at, d.series, l.kind, l.rate_bp,
       sum(l.taxable), sum(l.cgst), sum(l.sgst)
FROM documents d
JOIN theatres t ON t.id = d.theatre_id
JOIN document_lines l ON l.document_id = d.id
WHERE d.gstin IS NOT NULL
GROUP BY d.theatre_id, t.timezone, d.issued_at, d.series, l.kind, l.rate_bp
"""


def upgrade() -> None:
    table = op.create_table(
        "gst_summary",
        sa.Column("theatre_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("series", _SERIES, nullable=False),
        sa.Column("kind", _KIND, nullable=False),
        sa.Column("rate_bp", sa.Integer(), nullable=False),
        sa.Column("taxable", sa.BigInteger(), nullable=False),
        sa.Column("cgst", sa.BigInteger(), nullable=False),
        sa.Column("sgst", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(*_KEY, name=op.f("pk_gst_summary")),
        sa.ForeignKeyConstraint(
            ["theatre_id"], ["theatres.id"], name=op.f("fk_gst_summary_theatre_id_theatres")
        ),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("LOCK TABLE documents IN SHARE MODE")
        op.execute(BACKFILL_POSTGRESQL)
        return
    sums: dict[tuple[object, ...], list[int]] = defaultdict(lambda: [0, 0, 0])
    for theatre_id, zone, issued_at, series, kind, rate_bp, *amounts in bind.execute(
        sa.text(LINES_SQLITE)
    ):
        instant = datetime.fromisoformat(str(issued_at)).replace(tzinfo=UTC)
        month = instant.astimezone(ZoneInfo(zone)).strftime("%Y-%m")
        row = sums[uuid.UUID(str(theatre_id)), month, series, kind, rate_bp]
        for i, amount in enumerate(amounts):
            row[i] += int(amount)
    if sums:
        op.bulk_insert(
            table,
            [
                {
                    **dict(zip(_KEY, key, strict=True)),
                    "taxable": taxable,
                    "cgst": cgst,
                    "sgst": sgst,
                }
                for key, (taxable, cgst, sgst) in sums.items()
            ],
        )


def downgrade() -> None:
    op.drop_table("gst_summary")
