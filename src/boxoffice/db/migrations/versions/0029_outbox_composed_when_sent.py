"""outbox emails decided in the change's transaction, composed by the worker when it sends them

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 19:40:00

Issue 27: composing a confirmation (five reads and the stdlib `email` package) took ~11 % of the
API's CPU per purchase. The booking's transaction now writes only what it decided; the worker
composes the message from the database when it sends it.
- `outbox_emails.params`: the facts of the change the database does not keep (a cancellation's
  reason, a refund's amount, a waitlist offer's link); null on rows queued before this revision.
- `recipient`, `subject` and `message` may be empty until the email is sent: then they record
  what was sent.
- `inline_qr` goes: the worker draws the QR codes from the booking's tickets.
Confirmations still waiting are emptied so the worker composes them from their booking (their
message waited for an invoice number and QR images this version no longer writes in); other
emails waiting keep their message, which the worker sends as it was written.

Downgrade: the version before needs a message on every row, and cannot compose one: the rows
without (waiting, given up, or skipped for want of an address) are deleted; those sent stay.

Portable: PostgreSQL and SQLite alike (SQLite alters in batch mode).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_emails") as batch:
        batch.add_column(sa.Column("params", sa.JSON(), nullable=True))
        batch.alter_column("recipient", existing_type=sa.String(length=254), nullable=True)
        batch.alter_column("subject", existing_type=sa.String(length=300), nullable=True)
        batch.alter_column("message", existing_type=sa.Text(), nullable=True)
    op.execute(
        """
        UPDATE outbox_emails SET params = '{}', recipient = NULL, subject = NULL, message = NULL
        WHERE kind = 'BOOKED' AND status IN ('PENDING', 'SENDING')
        """
    )
    with op.batch_alter_table("outbox_emails") as batch:
        batch.drop_column("inline_qr")


def downgrade() -> None:
    op.execute("DELETE FROM outbox_emails WHERE message IS NULL")
    with op.batch_alter_table("outbox_emails") as batch:
        batch.add_column(sa.Column("inline_qr", sa.JSON(), nullable=True))
        batch.alter_column("message", existing_type=sa.Text(), nullable=False)
        batch.alter_column("subject", existing_type=sa.String(length=300), nullable=False)
        batch.alter_column("recipient", existing_type=sa.String(length=254), nullable=False)
        batch.drop_column("params")
