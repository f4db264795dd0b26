"""the waiting list of a show: its entries, the worker's schedule of shows, the wake outbox

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 13:40:00

- `waitlist_entries`: a party waiting for seats of a show (party, seat type, max price,
  together), its status and its current offer (a PENDING booking); one active entry per
  customer and show (partial unique indexes).
- `waitlist_shows`: the shows with a waiting list, when the worker looks at each next; the row
  a worker locks while it offers that show's seats.
- `waitlist_wakes`: the outbox of "seats of this show came back", written in the transaction
  that freed them.

Portable: PostgreSQL and SQLite alike.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTIVE = "status IN ('WAITING', 'OFFERED')"
_STATUSES = ("WAITING", "OFFERED", "BOOKED", "DECLINED", "LAPSED", "LEFT", "CLOSED")


def upgrade() -> None:
    op.create_table(
        "waitlist_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("show_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("guest_id", sa.Uuid(), nullable=True),
        sa.Column("party", sa.Integer(), nullable=False),
        sa.Column("seat_type", sa.String(length=20), nullable=True),
        sa.Column("max_price", sa.Integer(), nullable=True),
        sa.Column("together", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(*_STATUSES, name="entrystatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("passed_over", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=True),
        sa.Column("offer_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "user_id IS NOT NULL OR guest_id IS NOT NULL",
            name=op.f("ck_waitlist_entries_has_customer"),
        ),
        sa.CheckConstraint("party >= 1", name=op.f("ck_waitlist_entries_party_positive")),
        sa.ForeignKeyConstraint(
            ["show_id"], ["shows.id"], name=op.f("fk_waitlist_entries_show_id_shows")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_waitlist_entries_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["guest_id"], ["guests.id"], name=op.f("fk_waitlist_entries_guest_id_guests")
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_waitlist_entries_booking_id_bookings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entries")),
    )
    op.create_index(
        "ix_waitlist_entries_show_id_status_created_at",
        "waitlist_entries",
        ["show_id", "status", "created_at"],
    )
    for name, column, where in (
        ("uq_waitlist_entries_active_user", "user_id", f"{_ACTIVE} AND user_id IS NOT NULL"),
        ("uq_waitlist_entries_active_guest", "guest_id", f"{_ACTIVE} AND user_id IS NULL"),
    ):
        op.create_index(
            name,
            "waitlist_entries",
            ["show_id", column],
            unique=True,
            postgresql_where=sa.text(where),
            sqlite_where=sa.text(where),
        )
    op.create_table(
        "waitlist_shows",
        sa.Column("show_id", sa.Uuid(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["show_id"], ["shows.id"], name=op.f("fk_waitlist_shows_show_id_shows")
        ),
        sa.PrimaryKeyConstraint("show_id", name=op.f("pk_waitlist_shows")),
    )
    op.create_index("ix_waitlist_shows_due_at", "waitlist_shows", ["due_at"])
    op.create_table(
        "waitlist_wakes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("show_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["show_id"], ["shows.id"], name=op.f("fk_waitlist_wakes_show_id_shows")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_wakes")),
    )
    op.create_index("ix_waitlist_wakes_show_id", "waitlist_wakes", ["show_id"])


def downgrade() -> None:
    op.drop_table("waitlist_wakes")
    op.drop_table("waitlist_shows")
    op.drop_table("waitlist_entries")
