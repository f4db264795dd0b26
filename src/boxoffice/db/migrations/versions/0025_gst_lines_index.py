"""the GST report reads a month's invoice lines by index

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 11:55:00

The GST report sums the lines of a theatre's documents issued in a month by kind and rate. With
a year of invoices PostgreSQL chose to hash-join them against a scan of every line ever written
(`make bench-scale`, 150 days of 2 theatres, 2.2 million lines: 354 ms, 30,000 pages read), a
cost that grows with history. A covering index on `document_id` lets it read each of the
month's documents' lines from the index alone (150 ms, by index-only scans): the month's work,
whatever lies behind it.

Built CONCURRENTLY on PostgreSQL, outside the migration's transaction (Alembic's
autocommit_block): writes to `document_lines` go on while it builds. If it fails it leaves an
INVALID index: `DROP INDEX CONCURRENTLY ix_document_lines_document_id_sums` and migrate again.
SQLite has no INCLUDE: a plain index there.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_document_lines_document_id_sums"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.execute(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {NAME} ON document_lines (document_id)"
                " INCLUDE (kind, rate_bp, taxable, cgst, sgst)"
            )
    else:
        op.create_index(NAME, "document_lines", ["document_id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NAME}")
    else:
        op.drop_index(NAME, "document_lines")
