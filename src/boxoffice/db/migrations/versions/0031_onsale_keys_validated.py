"""the queue tables' keys to on-sales are validated

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-08 10:05:00

0030 added the foreign keys of `queue_draws` and `queue_visitors` to `onsales` NOT VALID on
PostgreSQL (checked for new rows, not yet for the old), so that no scan ran under its ACCESS
EXCLUSIVE locks. VALIDATE CONSTRAINT scans the old rows under a SHARE UPDATE EXCLUSIVE lock,
which lets reads and writes go on, in Alembic's autocommit_block (outside a transaction, so the
locks 0030 took are gone). It cannot fail on rows 0030 carried over (their on-sale was made from
their show). SQLite checked its copies in 0030: nothing to do there.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    with op.get_context().autocommit_block():
        for table in ("queue_draws", "queue_visitors"):
            op.execute(f"ALTER TABLE {table} VALIDATE CONSTRAINT fk_{table}_onsale_id_onsales")


def downgrade() -> None:
    """Nothing: a validated key is the same key (0030's downgrade drops it)."""
