"""charges frozen by the hold's claim; seats given back one by one; refunds of some seats

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-08 12:00:00

- `theatres.terms_version`: bumped by every change of a theatre's terms (and by a film's state
  waiver for the theatres of that state). The sale path's charge tables name the version they
  were built from; the claim refuses a table built from an older one (`0018_sale_path.sql`).
- `booking_seats.cancelled_at`: when a seat was given back by a partial cancellation (the
  booking stays BOOKED with the rest); `booking_seats.refunded`: what cancelling the seat gave
  back (its ticket's share by the policy, and its fee when the theatre cancelled), set for
  every seat of a paid booking that is cancelled, whole or in part.
- `refunds.for_seats`: a refund of seats given back (a cancellation, whole or partial; a
  payment may have several), as against a payment returned whole because it booked nothing
  (late, second, wrong amount). Only the latter stay unique per provider payment.
- The sale path's functions written out whole again (`0018_sale_path.sql`): `boxoffice_hold`
  takes the charge table and the policy and writes them with the seats.

Portable, except the functions (PostgreSQL only: SQLite holds through the ORM).
"""

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HERE = Path(__file__).parent
SALE_PATH = HERE / "0018_sale_path.sql"
SALE_PATH_BEFORE = HERE / "0013_sale_path.sql"
# The hold's signature before this revision: CREATE OR REPLACE with other arguments would add a
# second function beside it instead of replacing it.
HOLD_BEFORE = (
    "boxoffice_hold(uuid, uuid, uuid[], text, uuid, text, timestamptz, timestamptz, text, "
    "int, int, int)"
)
HOLD_NOW = (
    "boxoffice_hold(uuid, uuid, uuid[], text, uuid, text, timestamptz, timestamptz, text, "
    "int, int, int, int, int[], int[], int[], int[], int[], int[], int[], int[], int[], int[], "
    "json)"
)
WHOLE = sa.text("NOT for_seats")


def _load(functions: Path) -> None:
    # One function a statement (a prepared statement takes one command); each ends "$$;".
    for function in functions.read_text().split("$$;")[:-1]:
        op.execute(function + "$$;")


def upgrade() -> None:
    op.add_column(
        "theatres", sa.Column("terms_version", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column("booking_seats", sa.Column("cancelled_at", sa.DateTime(timezone=True)))
    op.add_column("booking_seats", sa.Column("refunded", sa.Integer()))
    with op.batch_alter_table("refunds") as batch:
        batch.add_column(
            sa.Column("for_seats", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.drop_constraint("uq_refunds_provider_payment_id", type_="unique")
    op.create_index(
        "uq_refunds_provider_payment_id_whole",
        "refunds",
        ["provider_payment_id"],
        unique=True,
        postgresql_where=WHOLE,
        sqlite_where=WHOLE,
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {HOLD_BEFORE}")
        _load(SALE_PATH)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {HOLD_NOW}")
        _load(SALE_PATH_BEFORE)
    op.drop_index("uq_refunds_provider_payment_id_whole", table_name="refunds")
    with op.batch_alter_table("refunds") as batch:
        batch.create_unique_constraint("uq_refunds_provider_payment_id", ["provider_payment_id"])
        batch.drop_column("for_seats")
    # Not batch mode for these (see 0017): both engines drop a plain column in place.
    for table, column in (
        ("booking_seats", "refunded"),
        ("booking_seats", "cancelled_at"),
        ("theatres", "terms_version"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
