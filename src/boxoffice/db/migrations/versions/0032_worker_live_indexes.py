"""the worker's scans read live rows only: pending bookings, unsettled payments

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07 22:55:00

The sweeper finds run-out holds by `ix_bookings_status_expires_at` (status, expires_at): an
entry for every booking ever made, although it only ever asks for PENDING ones. With a year of a
chain behind it (`make bench-scale`: 7.4 million bookings, the index 50 MB) a pass over 10,000
expiring holds took 3.35 s against 2.07 s on a month (ratio 1.62): each expiry also wrote a new
entry, for its EXPIRED version, at a random place in that index. A partial index of the pending
ones (`WHERE status = 'PENDING'`, the live holds' own predicate) holds only the holds running
now, whatever lies behind them, and an expiry writes nothing to it.

The worker's reconciliation asks every pass for the last two days' orders not paid yet
(`payments.status IN ('CREATED', 'FAILED')`), and `payments` had no index for it: a scan of
every payment ever taken (6.6 million in that year), every pass. A partial index of those alone
(`ix_payments_unsettled_created_at`) holds the orders in flight.

PostgreSQL builds the new indexes and drops the old one CONCURRENTLY, outside the migration's
transaction (Alembic's autocommit_block): holds and payments go on meanwhile. If a build fails
it leaves an INVALID index: `DROP INDEX CONCURRENTLY` it and migrate again.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW, OLD = "ix_bookings_pending_expires_at", "ix_bookings_status_expires_at"
PENDING = "status = 'PENDING'"
UNSETTLED_NAME = "ix_payments_unsettled_created_at"
UNSETTLED = "status IN ('CREATED', 'FAILED')"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.execute(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {NEW} ON bookings (expires_at)"
                f" WHERE {PENDING}"
            )
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {OLD}")
            op.execute(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {UNSETTLED_NAME} ON payments (created_at)"
                f" WHERE {UNSETTLED}"
            )
    else:
        op.execute(f"CREATE INDEX {NEW} ON bookings (expires_at) WHERE {PENDING}")
        op.drop_index(OLD, "bookings")
        op.execute(f"CREATE INDEX {UNSETTLED_NAME} ON payments (created_at) WHERE {UNSETTLED}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.execute(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {OLD} ON bookings (status, expires_at)"
            )
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NEW}")
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {UNSETTLED_NAME}")
    else:
        op.create_index(OLD, "bookings", ["status", "expires_at"])
        op.drop_index(NEW, "bookings")
        op.drop_index(UNSETTLED_NAME, "payments")
