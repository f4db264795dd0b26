"""the box office: bookings' channel, the counter permission, shifts and their money

Revision ID: 0023
Revises: 0021
Create Date: 2026-12-07 11:00:00

- `bookings.channel`: `online` (every booking so far) or `counter`.
- `staff_theatres.counter`: the staff member may sell and refund at that theatre's counter.
- `counter_shifts`: a cashier's shift at a theatre, one OPEN per cashier (a partial unique
  index); `counter_movements`: the money of each counter sale and refund, by method.
- `show_sales` gains `counter_tickets`, `counter_gross`, `counter_refunded`: the counter's part.

Portable: PostgreSQL and SQLite alike. The sale path's functions are unchanged: a counter sale
claims through `boxoffice_hold` inside its own transaction.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = sa.text("status = 'OPEN'")


def _enum(*values: str, name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=20)


def upgrade() -> None:
    op.add_column(
        "bookings",
        sa.Column(
            "channel",
            _enum("online", "counter", name="bookingchannel"),
            server_default="online",
            nullable=False,
        ),
    )
    op.add_column(
        "staff_theatres",
        sa.Column("counter", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    for name, kind in (
        ("counter_tickets", sa.Integer()),
        ("counter_gross", sa.BigInteger()),
        ("counter_refunded", sa.BigInteger()),
    ):
        op.add_column("show_sales", sa.Column(name, kind, server_default="0", nullable=False))
    op.create_table(
        "counter_shifts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("theatre_id", sa.Uuid(), nullable=False),
        sa.Column("cashier_id", sa.Uuid(), nullable=False),
        sa.Column("status", _enum("OPEN", "CLOSED", name="shiftstatus"), nullable=False),
        sa.Column("opening_float", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expected_cash", sa.Integer(), nullable=True),
        sa.CheckConstraint("opening_float >= 0", name=op.f("ck_counter_shifts_float_not_negative")),
        sa.ForeignKeyConstraint(
            ["theatre_id"], ["theatres.id"], name=op.f("fk_counter_shifts_theatre_id_theatres")
        ),
        sa.ForeignKeyConstraint(
            ["cashier_id"], ["users.id"], name=op.f("fk_counter_shifts_cashier_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counter_shifts")),
    )
    op.create_index(
        "uq_counter_shifts_open_cashier",
        "counter_shifts",
        ["cashier_id"],
        unique=True,
        postgresql_where=_OPEN,
        sqlite_where=_OPEN,
    )
    op.create_index(
        "ix_counter_shifts_theatre_id_opened_at", "counter_shifts", ["theatre_id", "opened_at"]
    )
    op.create_table(
        "counter_movements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("shift_id", sa.Uuid(), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("kind", _enum("SALE", "REFUND", name="movementkind"), nullable=False),
        sa.Column("method", _enum("CASH", "CARD", "UPI", name="method"), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("tendered", sa.Integer(), nullable=True),
        sa.Column("change", sa.Integer(), nullable=True),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_counter_movements_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["shift_id"],
            ["counter_shifts.id"],
            name=op.f("fk_counter_movements_shift_id_counter_shifts"),
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_counter_movements_booking_id_bookings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counter_movements")),
    )
    op.create_index("ix_counter_movements_shift_id", "counter_movements", ["shift_id"])
    op.create_index("ix_counter_movements_booking_id", "counter_movements", ["booking_id"])


def downgrade() -> None:
    op.drop_table("counter_movements")
    op.drop_table("counter_shifts")
    # Not batch mode (see 0017): both engines drop a plain column in place.
    for table, column in (
        ("show_sales", "counter_refunded"),
        ("show_sales", "counter_gross"),
        ("show_sales", "counter_tickets"),
        ("staff_theatres", "counter"),
        ("bookings", "channel"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
