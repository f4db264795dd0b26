"""best available: a screen's own sweet spot

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 18:30:00

`screens.sweet_spot_row` and `screens.sweet_spot_number`: the seat "best available" aims for,
when the screen was created with one (both set, or both null for the default: the middle of the
row about two thirds of the way back). Two nullable columns: portable, PostgreSQL and SQLite
alike, and no rewrite of existing rows.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("screens", sa.Column("sweet_spot_row", sa.String(length=5), nullable=True))
    op.add_column("screens", sa.Column("sweet_spot_number", sa.Integer(), nullable=True))


def downgrade() -> None:
    # Not batch mode: on SQLite it rebuilds the table and loses the expression index that
    # 0005 made (uq_screens_theatre_id_lower_name), which reflection cannot see. Both engines
    # drop a column in place (SQLite since 3.35).
    op.execute("ALTER TABLE screens DROP COLUMN sweet_spot_number")
    op.execute("ALTER TABLE screens DROP COLUMN sweet_spot_row")
