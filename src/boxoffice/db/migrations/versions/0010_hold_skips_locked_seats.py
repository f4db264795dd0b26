"""a hold skips the seats another hold is claiming at that moment, instead of queueing on them

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 23:00:00

`boxoffice_hold` (migration 0004) locked the requested seats with FOR UPDATE: a hold asking for
a seat that another transaction was claiming waited for that transaction to commit, then found
the seat taken and was refused anyway. In a rush every popular seat is wanted by many buyers at
once, so holds queued behind each other's commits, each holding a pooled connection, only to
be refused: a 1,000-buyer sell-out of 300 seats took 9 s, hold p50 3.3 s.

Now the claim skips a seat that is locked (SKIP LOCKED): the hold is refused at once, all or
nothing as before, with that seat among `unavailable_seat_ids`. The seat is almost always
being taken; when the other claim fails instead, the seat is free again a moment later and the
buyer's next look at the map shows it. Locks are still taken in seat order, and a seat is
still sold at most once: the claim's UPDATE is what owns it, as before.

PostgreSQL only (SQLite serialises its writers and has no row locks). The function is 0004's,
changed at that one clause; downgrade restores 0004's.
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WAITING_CLAIM = """
        ORDER BY ss.show_id, ss.seat_id
        FOR UPDATE
    ), claimed AS ("""
_SKIPPING_CLAIM = """
        ORDER BY ss.show_id, ss.seat_id
        FOR UPDATE SKIP LOCKED
    ), claimed AS ("""


def _hold_of_0004() -> str:
    spec = importlib.util.spec_from_file_location(
        "boxoffice_migration_0004", Path(__file__).with_name("0004_sale_path.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    hold: str = module.HOLD
    assert hold.count(_WAITING_CLAIM) == 1, "0004's claim is not where 0010 expects it"
    return hold


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_hold_of_0004().replace(_WAITING_CLAIM, _SKIPPING_CLAIM))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_hold_of_0004())
