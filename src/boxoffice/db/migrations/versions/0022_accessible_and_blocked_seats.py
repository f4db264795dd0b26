"""accessible seats; seats blocked from sale per show, refused by the hold's claim

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-08 13:00:00

- `seats.accessibility`: `WHEELCHAIR` (a space), `COMPANION` (a seat next to one) or null,
  independent of the seat type (SPEC "Back office"). Best available hands them out only when
  asked (`bookings.best_available`).
- `show_seats.blocked`: the seat is off sale in that show. It lives on the inventory row the
  claim already locks and writes, so refusing it is one more condition on that row, not one
  more lookup: the claim's cost stays flat. Not indexed: a seat write stays a HOT update.
- `seat_blocks`: the audit of blocks (reason, who, when; who lifted it, when), at most one open
  block per seat of a show.
- The sale path's functions written out whole again (`0022_sale_path.sql`): `boxoffice_hold`
  claims no blocked seat. Same signature: CREATE OR REPLACE replaces it in place.

Portable, except the functions (PostgreSQL only: SQLite holds through the ORM).
"""

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HERE = Path(__file__).parent
SALE_PATH = HERE / "0022_sale_path.sql"
SALE_PATH_BEFORE = HERE / "0018_sale_path.sql"
OPEN = sa.text("unblocked_at IS NULL")


def _load(functions: Path) -> None:
    # One function a statement (a prepared statement takes one command); each ends "$$;".
    for function in functions.read_text().split("$$;")[:-1]:
        op.execute(function + "$$;")


def upgrade() -> None:
    op.add_column("seats", sa.Column("accessibility", sa.String(20)))
    op.add_column(
        "show_seats",
        sa.Column("blocked", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_table(
        "seat_blocks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("show_id", sa.Uuid(), nullable=False),
        sa.Column("seat_id", sa.Uuid(), nullable=False),
        sa.Column("label", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("blocked_by", sa.String(100), nullable=False),
        sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unblocked_by", sa.String(100)),
        sa.Column("unblocked_at", sa.DateTime(timezone=True)),
        sa.ForeignKeyConstraint(
            ["show_id"], ["shows.id"], name=op.f("fk_seat_blocks_show_id_shows")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seat_blocks")),
    )
    op.create_index("ix_seat_blocks_show_id_blocked_at", "seat_blocks", ["show_id", "blocked_at"])
    op.create_index(
        "uq_seat_blocks_show_id_seat_id_open",
        "seat_blocks",
        ["show_id", "seat_id"],
        unique=True,
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )
    if op.get_bind().dialect.name == "postgresql":
        _load(SALE_PATH)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _load(SALE_PATH_BEFORE)
    op.drop_index("uq_seat_blocks_show_id_seat_id_open", table_name="seat_blocks")
    op.drop_index("ix_seat_blocks_show_id_blocked_at", table_name="seat_blocks")
    op.drop_table("seat_blocks")
    # Not batch mode (see 0017): both engines drop a plain column in place.
    for table, column in (("show_seats", "blocked"), ("seats", "accessibility")):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
