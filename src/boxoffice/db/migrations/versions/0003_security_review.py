"""security review: sandbox keys per database, capture, one refund per provider payment, hoarding
caps, refresh-token grace

Revision ID: 0003
Revises: 0002

- (The sandbox's credentials table and its config's `auto_capture` were added here; they are the
  sandbox's own migrations' now, see 0002.)
- refunds.provider_payment_id: which provider payment a refund returns. Unique instead of
  refunds.payment_id, so a second payment captured for an already-paid order can be refunded
  too, and still no provider payment is ever refunded twice.
- bookings.client_ip: the address that held the seats, for the held-seats cap per address.
- refresh_tokens.replaced_by_id / replaced_access_id: the pair a rotation issued, so that the
  same token presented again within a few seconds (two tabs) gets that pair back.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("refunds") as batch:
        batch.add_column(sa.Column("provider_payment_id", sa.String(length=64), nullable=True))
    op.execute(
        "UPDATE refunds SET provider_payment_id = "
        "(SELECT payments.payment_id FROM payments WHERE payments.id = refunds.payment_id)"
    )
    with op.batch_alter_table("refunds") as batch:
        batch.alter_column("provider_payment_id", existing_type=sa.String(64), nullable=False)
        batch.drop_constraint("uq_refunds_payment_id", type_="unique")
        batch.create_unique_constraint(
            op.f("uq_refunds_provider_payment_id"), ["provider_payment_id"]
        )
        batch.create_index(op.f("ix_refunds_payment_id"), ["payment_id"])

    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("client_ip", sa.String(length=45), nullable=True))
        batch.create_index("ix_bookings_show_id_client_ip", ["show_id", "client_ip"])

    with op.batch_alter_table("refresh_tokens") as batch:
        batch.add_column(sa.Column("replaced_by_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("replaced_access_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("refresh_tokens") as batch:
        batch.drop_column("replaced_access_id")
        batch.drop_column("replaced_by_id")
    # In place on both engines: a batch operation would copy `bookings`, which SQLite's
    # foreign keys refuse once seats and payments point at a booking.
    op.drop_index("ix_bookings_show_id_client_ip", table_name="bookings")
    op.execute("ALTER TABLE bookings DROP COLUMN client_ip")
    with op.batch_alter_table("refunds") as batch:
        batch.drop_index(op.f("ix_refunds_payment_id"))
        batch.drop_constraint(op.f("uq_refunds_provider_payment_id"), type_="unique")
        batch.create_unique_constraint("uq_refunds_payment_id", ["payment_id"])
        batch.drop_column("provider_payment_id")
