"""ticket signing keys: retired at once, sealed at rest, published while they have live tickets

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 08:00:00

- ticket_signing_keys.retired_at: a key withdrawn at once (it leaked); it neither signs nor
  verifies, and its tickets are signed again (`boxoffice rotate-ticket-key --retire-old`).
- ticket_signing_keys.private_key widened to hold a key sealed with TICKET_KEY_ENCRYPTION_KEY.
- tickets (kid, valid_until): an older key is published only while a ticket it signed still
  opens a door.

Downgrading needs the keys unsealed first (a sealed key does not fit the old column).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ticket_signing_keys") as batch:
        batch.add_column(sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))
        batch.alter_column(
            "private_key", existing_type=sa.String(64), type_=sa.String(200), nullable=False
        )
    op.create_index("ix_tickets_kid_valid_until", "tickets", ["kid", "valid_until"])


def downgrade() -> None:
    op.drop_index("ix_tickets_kid_valid_until", table_name="tickets")
    with op.batch_alter_table("ticket_signing_keys") as batch:
        batch.alter_column(
            "private_key", existing_type=sa.String(200), type_=sa.String(64), nullable=False
        )
        batch.drop_column("retired_at")
