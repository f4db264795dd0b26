"""shows carry their seat count

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 08:10:00

The shows list says how full each show is (seats sold out of its seats) without counting
anything per request: the seats sold are kept per show already (`show_sales`), and a show's
seats are fixed when it is made (a new layout never touches an existing show), so they are
counted once, here for the shows there are, then at creation.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "shows", sa.Column("seat_count", sa.Integer(), server_default="0", nullable=False)
    )
    op.execute(
        "UPDATE shows SET seat_count ="
        " (SELECT count(*) FROM show_seats WHERE show_seats.show_id = shows.id)"
    )


def downgrade() -> None:
    # In place on both engines (see 0028): a batch operation would copy `shows` and drop the
    # original, which SQLite's foreign keys refuse once other rows point at a show.
    op.execute("ALTER TABLE shows DROP COLUMN seat_count")
