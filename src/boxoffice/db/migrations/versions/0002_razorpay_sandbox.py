"""razorpay sandbox: an empty step now

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 17:08:23.784983

This revision used to create the offline Razorpay sandbox's tables in every database, production
ones too. They are the sandbox's own now (`boxoffice.sandbox.migrations`, run only where the
sandbox is on), so a database built with real keys has none; 0003 and 0005 lost their sandbox
parts likewise. The revision stays, empty, so that the chain and the history of existing
databases stay as they are. Existing databases keep the tables they have: 0011 drops them where
they were never used, and the sandbox's own first revision adopts them where they were.
"""

from collections.abc import Sequence

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
