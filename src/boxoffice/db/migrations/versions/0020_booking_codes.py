"""bookings have short codes

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-08 11:00:00

A booking's code is the first 40 bits of its id, written in Crockford's base32
(`bookings.codes`): nothing is stored, and this unique index on that prefix makes it a code of
one booking only, and is what a lookup by code reads. Building it locks the table against writes
for as long as it takes (seconds for millions of bookings): run it outside an on-sale. It fails,
and changes nothing, if two bookings already share a prefix (a chance of about n^2 / 2^41 among
n bookings); give one of them a new id first.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PREFIX = {
    "postgresql": "encode(substring(uuid_send(id) from 1 for 5), 'hex')",
    "sqlite": "substr(id, 1, 10)",  # a uuid is stored as 32 hex digits there
}


def upgrade() -> None:
    prefix = PREFIX[op.get_bind().dialect.name]
    op.execute(f"CREATE UNIQUE INDEX uq_bookings_code ON bookings ({prefix})")


def downgrade() -> None:
    op.execute("DROP INDEX uq_bookings_code")
