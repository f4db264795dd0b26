"""razorpay sandbox: injected failures scoped to the calls that name a key; no delay knob

Revision ID: sandbox_0002
Revises: sandbox_0001
Create Date: 2026-12-08 12:00:00

`fail_matching`: the injected failures are taken only by REST calls whose path, query or body
contain it (empty: any call), so one test's failures are not consumed by another caller.
`delay_seconds` goes: a test holds a call with a gate (kept in the serving process) instead of
a fixed delay that has to outlast what the test does meanwhile.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "sandbox_0002"
down_revision: str | None = "sandbox_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("razorpay_sandbox_config") as config:
        config.add_column(
            sa.Column("fail_matching", sa.String(length=200), nullable=False, server_default="")
        )
        config.drop_column("delay_seconds")


def downgrade() -> None:
    with op.batch_alter_table("razorpay_sandbox_config") as config:
        config.add_column(
            sa.Column("delay_seconds", sa.Float(), nullable=False, server_default="0")
        )
        config.drop_column("fail_matching")
