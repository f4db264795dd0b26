"""the sandbox's tables leave the databases that never used them

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 09:00:00

Until the sandbox got migrations of its own (`boxoffice.sandbox.migrations`, see 0002), 0002,
0003 and 0005 made its tables in every database, production ones too. Here they go where they
hold no row at all and the sandbox's own lineage does not claim them (it has no version table
there): a database used with real keys, or the empty copies on SQLite, whose sandbox keeps its
tables in a file of its own. Where they hold anything (a database a sandbox ran on has at least
its keys) they all stay, and the sandbox's first revision adopts them.

Downgrading changes nothing: no revision of this lineage makes these tables any more.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SANDBOX_VERSION_TABLE = "razorpay_sandbox_alembic_version"
# Children before parents.
SANDBOX_TABLES = (
    "razorpay_sandbox_refunds",
    "razorpay_sandbox_payments",
    "razorpay_sandbox_orders",
    "razorpay_sandbox_events",
    "razorpay_sandbox_config",
    "razorpay_sandbox_credentials",
)


def upgrade() -> None:
    bind = op.get_bind()
    present = set(sa.inspect(bind).get_table_names())
    if SANDBOX_VERSION_TABLE in present:
        return
    found = [name for name in SANDBOX_TABLES if name in present]
    if any(bind.execute(sa.text(f'SELECT 1 FROM "{name}" LIMIT 1')).first() for name in found):
        return
    for name in found:
        op.drop_table(name)


def downgrade() -> None:
    pass
