"""live holds indexed on their own: a hold's caps read only the customer's live holds

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 22:30:00

Every hold counts the customer's live holds (and, with the per-address cap, the address's in
the show). Through `ix_bookings_user_id_created_at` / `..._guest_id_...` that read visited every
booking the customer ever made, PENDING or not: a regular customer's hold, and the bench's
clients, grew slower with each booking (the database's hold+release limit fell from 1,568/s at
C=8 to 585/s at C=64 as each client's history grew). Partial indexes on PENDING bookings keep
that read to the live holds, whatever the history.

The customer indexes of the booking lists skip the NULL half (a guest's booking has no user,
most bookings no guest), and the per-address index holds live holds only, so a booking writes
no more index entries than before and its cancellation fewer.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = "status = 'PENDING'"


def _partial(name: str, columns: list[str], where: str) -> None:
    op.create_index(
        name,
        "bookings",
        columns,
        postgresql_where=sa.text(where),
        sqlite_where=sa.text(where),
    )


def upgrade() -> None:
    for name in (
        "ix_bookings_user_id_created_at",
        "ix_bookings_guest_id_created_at",
        "ix_bookings_show_id_client_ip",
    ):
        op.drop_index(name, table_name="bookings")
    _partial("ix_bookings_user_id_created_at", ["user_id", "created_at"], "user_id IS NOT NULL")
    _partial("ix_bookings_guest_id_created_at", ["guest_id", "created_at"], "guest_id IS NOT NULL")
    _partial("ix_bookings_live_user_id", ["user_id"], f"{LIVE} AND user_id IS NOT NULL")
    _partial("ix_bookings_live_guest_id", ["guest_id"], f"{LIVE} AND user_id IS NULL")
    _partial(
        "ix_bookings_live_show_id_client_ip",
        ["show_id", "client_ip"],
        f"{LIVE} AND client_ip IS NOT NULL",
    )


def downgrade() -> None:
    for name in (
        "ix_bookings_live_show_id_client_ip",
        "ix_bookings_live_guest_id",
        "ix_bookings_live_user_id",
        "ix_bookings_guest_id_created_at",
        "ix_bookings_user_id_created_at",
    ):
        op.drop_index(name, table_name="bookings")
    op.create_index("ix_bookings_user_id_created_at", "bookings", ["user_id", "created_at"])
    op.create_index("ix_bookings_guest_id_created_at", "bookings", ["guest_id", "created_at"])
    op.create_index("ix_bookings_show_id_client_ip", "bookings", ["show_id", "client_ip"])
