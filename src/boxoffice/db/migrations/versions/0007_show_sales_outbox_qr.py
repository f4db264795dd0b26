"""per-show sales totals, refunds by show, outbox QR codes drawn at send time

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 19:00:00

The sales report read every booking, payment and refund of a theatre's shows (100,000 bookings:
~1 s). Now:
- `show_sales` keeps, per show, the seats of bookings BOOKED now (`tickets`) and the money
  captured for its bookings (`gross`), updated in the transaction of each change;
- `refunds.show_id` lets the refunds of a show (few, and whose status moves) be summed by index;
- `outbox_emails.inline_qr` holds the tickets' QR codes that the worker draws into the email
  when it sends it, instead of the booking's request drawing them.
Existing rows are filled in from the bookings, payments and refunds. Portable: PostgreSQL and
SQLite alike.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "show_sales",
        sa.Column("show_id", sa.Uuid(), nullable=False),
        sa.Column("tickets", sa.Integer(), nullable=False),
        sa.Column("gross", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["show_id"], ["shows.id"], name=op.f("fk_show_sales_show_id_shows")
        ),
        sa.PrimaryKeyConstraint("show_id", name=op.f("pk_show_sales")),
    )
    # Seats sold now, per show, and every captured payment: the booking's own, and a second one
    # for a paid order (known by its refund).
    op.execute(
        """
        INSERT INTO show_sales (show_id, tickets, gross)
        SELECT shows.id,
               (SELECT COUNT(*) FROM show_seats
                WHERE show_seats.show_id = shows.id AND show_seats.booking_id IS NOT NULL
                  AND show_seats.held_until IS NULL),
               (SELECT COALESCE(SUM(payments.amount), 0) FROM payments
                JOIN bookings ON bookings.id = payments.booking_id
                WHERE bookings.show_id = shows.id AND payments.payment_id IS NOT NULL)
               + (SELECT COALESCE(SUM(refunds.amount), 0) FROM refunds
                  JOIN payments ON payments.id = refunds.payment_id
                  JOIN bookings ON bookings.id = payments.booking_id
                  WHERE bookings.show_id = shows.id
                    AND refunds.provider_payment_id <> payments.payment_id)
        FROM shows
        """
    )
    with op.batch_alter_table("refunds") as batch:
        batch.add_column(sa.Column("show_id", sa.Uuid(), nullable=True))
    op.execute(
        """
        UPDATE refunds SET show_id = (
            SELECT bookings.show_id FROM payments JOIN bookings ON bookings.id = payments.booking_id
            WHERE payments.id = refunds.payment_id)
        """
    )
    with op.batch_alter_table("refunds") as batch:
        batch.alter_column("show_id", existing_type=sa.Uuid(), nullable=False)
        batch.create_foreign_key(op.f("fk_refunds_show_id_shows"), "shows", ["show_id"], ["id"])
        batch.create_index("ix_refunds_show_id_status", ["show_id", "status"], unique=False)
    with op.batch_alter_table("outbox_emails") as batch:
        batch.add_column(sa.Column("inline_qr", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_emails") as batch:
        batch.drop_column("inline_qr")
    with op.batch_alter_table("refunds") as batch:
        batch.drop_index("ix_refunds_show_id_status")
        batch.drop_constraint(op.f("fk_refunds_show_id_shows"), type_="foreignkey")
        batch.drop_column("show_id")
    op.drop_table("show_sales")
