"""the fair on-sale queue

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 13:50:00

- `shows.queue_opens_at`: the show is sold through its queue, which opens then (null: not).
  A nullable column without a default: a change of the catalogue only on PostgreSQL.
- `queue_draws`: a show's draw, one row made at the opening (its seed, the pace, the last
  place given); `queue_visitors`: the places, unique per show and position.

Portable: PostgreSQL and SQLite alike.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("shows", sa.Column("queue_opens_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "queue_draws",
        sa.Column("show_id", sa.Uuid(), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seed", sa.String(length=64), nullable=False),
        sa.Column("drawn", sa.Integer(), nullable=False),
        sa.Column("step_us", sa.BigInteger(), nullable=False),
        sa.Column("last_position", sa.Integer(), nullable=False),
        sa.Column("last_offset_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["show_id"], ["shows.id"], name=op.f("fk_queue_draws_show_id_shows")
        ),
        sa.PrimaryKeyConstraint("show_id", name=op.f("pk_queue_draws")),
    )
    op.create_table(
        "queue_visitors",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("show_id", sa.Uuid(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("offset_us", sa.BigInteger(), nullable=True),
        sa.Column("admitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["show_id"], ["shows.id"], name=op.f("fk_queue_visitors_show_id_shows")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_visitors")),
        sa.UniqueConstraint("show_id", "position", name=op.f("uq_queue_visitors_show_id")),
    )


def downgrade() -> None:
    op.drop_table("queue_visitors")
    op.drop_table("queue_draws")
    # ALTER TABLE ... DROP COLUMN on both engines (SQLite has it since 3.35, for a column with no
    # index or constraint): a batch operation would copy `shows` and drop the original, which
    # SQLite's foreign keys refuse once bookings, documents or seats point at a show.
    op.execute("ALTER TABLE shows DROP COLUMN queue_opens_at")
