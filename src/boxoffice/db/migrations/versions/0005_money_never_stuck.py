"""money never stuck: refund attempts and retries, order reservations, rules in the schema

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:00:00

- `refunds` gains `attempts`, `attempts_allowed`, `next_attempt_at`, `last_error`;
  `refund_attempts` keeps the history of every attempt at the provider (one row per attempt,
  unique per refund and number).
- `order_reservations`: the request creating a booking's provider order, one per booking.
- Rules that were checked only in Python, now kept by the database (both engines, no table
  rebuild): screen names unique per theatre whatever their case; one seat per (row, number) and
  per grid position of a screen; two scheduled shows never start at the same instant on one
  screen.
- (The sandbox's config gained `delay_seconds` here; that is the sandbox's own migrations' now,
  see 0002.)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ATTEMPT_STATUSES = ("STARTED", "PENDING", "PROCESSED", "FAILED", "UNKNOWN")


def upgrade() -> None:
    # ADD COLUMN needs no table rebuild on SQLite (nullable, or NOT NULL with a default).
    op.add_column(
        "refunds", sa.Column("attempts", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column(
        "refunds",
        sa.Column("attempts_allowed", sa.Integer(), nullable=False, server_default="6"),
    )
    op.add_column("refunds", sa.Column("next_attempt_at", sa.DateTime(timezone=True)))
    op.add_column("refunds", sa.Column("last_error", sa.String(length=300)))
    op.create_index(
        "ix_refunds_status_next_attempt_at", "refunds", ["status", "next_attempt_at"], unique=False
    )
    # Refunds recorded before this revision were attempted once (or are about to be).
    op.execute("UPDATE refunds SET attempts = 1 WHERE provider_refund_id IS NOT NULL")
    op.create_table(
        "refund_attempts",
        sa.Column("refund_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("provider_refund_id", sa.String(length=64), nullable=True),
        sa.Column(
            "status",
            sa.Enum(*ATTEMPT_STATUSES, name="refundattemptstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("number >= 1", name=op.f("ck_refund_attempts_number_positive")),
        sa.ForeignKeyConstraint(
            ["refund_id"], ["refunds.id"], name=op.f("fk_refund_attempts_refund_id_refunds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refund_attempts")),
        sa.UniqueConstraint("refund_id", "number", name=op.f("uq_refund_attempts_refund_id")),
    )
    op.create_table(
        "order_reservations",
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("token", sa.Uuid(), nullable=False),
        sa.Column("reserved_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_order_reservations_booking_id_bookings")
        ),
        sa.PrimaryKeyConstraint("booking_id", name=op.f("pk_order_reservations")),
    )
    op.create_index(
        "uq_screens_theatre_id_lower_name",
        "screens",
        ["theatre_id", sa.text("lower(name)")],
        unique=True,
    )
    op.create_index(
        "uq_seats_screen_id_row_number", "seats", ["screen_id", "row", "number"], unique=True
    )
    op.create_index("uq_seats_screen_id_x_y", "seats", ["screen_id", "x", "y"], unique=True)
    op.create_index(
        "uq_shows_screen_id_starts_at_scheduled",
        "shows",
        ["screen_id", "starts_at"],
        unique=True,
        postgresql_where=sa.text("status = 'SCHEDULED'"),
        sqlite_where=sa.text("status = 'SCHEDULED'"),
    )


def downgrade() -> None:
    op.drop_index("uq_shows_screen_id_starts_at_scheduled", table_name="shows")
    op.drop_index("uq_seats_screen_id_x_y", table_name="seats")
    op.drop_index("uq_seats_screen_id_row_number", table_name="seats")
    op.drop_index("uq_screens_theatre_id_lower_name", table_name="screens")
    op.drop_table("order_reservations")
    op.drop_table("refund_attempts")
    op.drop_index("ix_refunds_status_next_attempt_at", table_name="refunds")
    with op.batch_alter_table("refunds") as batch:
        batch.drop_column("last_error")
        batch.drop_column("next_attempt_at")
        batch.drop_column("attempts_allowed")
        batch.drop_column("attempts")
