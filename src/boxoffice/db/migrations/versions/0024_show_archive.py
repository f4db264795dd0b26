"""shows can be archived

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 11:40:00

`boxoffice archive --before DATE` (retention, SPEC "Scale") drops the seat rows of shows that
ended before DATE and stamps them `archived_at`; their seat map answers 410 from then on, and
their bookings, payments, invoices and reports stay. A nullable column without a default: on
PostgreSQL a change of the catalogue only (an ACCESS EXCLUSIVE lock on `shows` for as long as
that takes, not a rewrite of the table), on SQLite an ALTER TABLE ADD COLUMN.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("shows", sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # In place on both engines (see 0028): a batch operation would copy `shows` and drop the
    # original, which SQLite's foreign keys refuse once other rows point at a show.
    op.execute("ALTER TABLE shows DROP COLUMN archived_at")
