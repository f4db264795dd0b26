"""on-sales: one fair queue for several shows

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-08 10:00:00

Issue 29: a queue is an on-sale's, not a show's: one opening, one draw, one place per visitor,
one admission for every show of it. A show's own queue is an on-sale of that one show.
- `onsales` (name, opening, who made it, when; `lifted_at` once its shows went on sale to all)
  and `onsale_shows` (a show in one on-sale at a time): two new tables, no change of `shows`,
  whose `queue_opens_at` stays the show's copy of its on-sale's opening.
- Carried over: each show with a queue (set, drawn, or with visitors) becomes an on-sale of that
  one show whose id is the show's id, named after the movie; lifted if the show's queue was.
  So `queue_draws` and `queue_visitors` keep their rows as they are: their `show_id` is renamed
  `onsale_id` (a change of the catalogue: no row is written) and points at `onsales`; and the
  visitor and admission tokens given before the upgrade (which name that id) still hold.

Locks: the new tables and the carried-over rows are a few per queued show. On PostgreSQL the
renames take ACCESS EXCLUSIVE locks on the two queue tables for a change of the catalogue only;
their new foreign keys are added NOT VALID here (no scan under that lock) and validated by 0031,
outside this transaction. Run it outside an on-sale: a process of the release before cannot join
a queue once the columns are renamed (holds and every other route go on).

Downgrade: an on-sale of one show goes back to that show's queue (its draw and visitors re-keyed
to the show where its id differs); an on-sale of several shows has no equal before this
revision: its shows keep their opening as queues of their own, and its draw and visitors go, as
do those of an on-sale no show sells through any more. Then the tables go.

Portable: PostgreSQL and SQLite (SQLite rebuilds the two queue tables in batch mode: nothing
points at them).
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUEUE_TABLES = ("queue_draws", "queue_visitors")

# Every show with a queue: set (`queue_opens_at`), drawn, or joined and then lifted.
_CARRY_OVER = """
INSERT INTO onsales (id, name, opens_at, created_by, created_at, lifted_at)
SELECT s.id, m.title, coalesce(d.opens_at, s.queue_opens_at, :now), NULL, :now,
       CASE WHEN s.queue_opens_at IS NULL THEN :now END
FROM shows s
JOIN movies m ON m.id = s.movie_id
LEFT JOIN queue_draws d ON d.show_id = s.id
WHERE s.queue_opens_at IS NOT NULL
   OR s.id IN (SELECT show_id FROM queue_draws)
   OR s.id IN (SELECT DISTINCT show_id FROM queue_visitors)
"""


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.create_table(
        "onsales",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_onsales_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onsales")),
    )
    op.create_table(
        "onsale_shows",
        sa.Column("show_id", sa.Uuid(), nullable=False),
        sa.Column("onsale_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["show_id"], ["shows.id"], name=op.f("fk_onsale_shows_show_id_shows")
        ),
        sa.ForeignKeyConstraint(
            ["onsale_id"], ["onsales.id"], name=op.f("fk_onsale_shows_onsale_id_onsales")
        ),
        sa.PrimaryKeyConstraint("show_id", name=op.f("pk_onsale_shows")),
    )
    op.create_index(op.f("ix_onsale_shows_onsale_id"), "onsale_shows", ["onsale_id"])
    now = datetime.now(UTC)
    op.get_bind().execute(
        sa.text(_CARRY_OVER), {"now": now if _postgres() else now.replace(tzinfo=None)}
    )
    op.execute("INSERT INTO onsale_shows (show_id, onsale_id) SELECT id, id FROM onsales")
    _rekey("show_id", "onsale_id")
    _point("onsale_id", "onsales")


def _rekey(old: str, new: str) -> None:
    """The queue tables' key renamed, with no foreign key and (on SQLite) no unique place: a
    batch drops what it adds on a column it renames, so SQLite copies the tables twice."""
    for table in QUEUE_TABLES:
        if _postgres():
            op.execute(f"ALTER TABLE {table} DROP CONSTRAINT fk_{table}_{old}_{_TARGET[old]}")
            op.execute(f"ALTER TABLE {table} RENAME COLUMN {old} TO {new}")
            continue
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"fk_{table}_{old}_{_TARGET[old]}", type_="foreignkey")
            if table == "queue_visitors":
                batch.drop_constraint(f"uq_queue_visitors_{old}", type_="unique")
            batch.alter_column(old, new_column_name=new, existing_type=sa.Uuid())


def _point(key: str, target: str) -> None:
    """The queue tables' `key` points at `target` (on PostgreSQL NOT VALID going up, checked by
    0031), and places are unique per `key` again."""
    for table in QUEUE_TABLES:
        name = f"fk_{table}_{key}_{target}"
        if _postgres():
            not_valid = " NOT VALID" if target == "onsales" else ""
            op.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {name}"
                f" FOREIGN KEY ({key}) REFERENCES {target} (id){not_valid}"
            )
            continue
        with op.batch_alter_table(table) as batch:
            batch.create_foreign_key(name, target, [key], ["id"])
            if table == "queue_visitors":
                batch.create_unique_constraint(f"uq_queue_visitors_{key}", [key, "position"])
    if _postgres():
        old = "onsale_id" if key == "show_id" else "show_id"
        op.execute(
            f"ALTER TABLE queue_visitors RENAME CONSTRAINT uq_queue_visitors_{old}"
            f" TO uq_queue_visitors_{key}"
        )


_TARGET = {"show_id": "shows", "onsale_id": "onsales"}
# The on-sales that go back to a show's queue: those one show, and only one, sells through.
_SINGLE = "SELECT onsale_id FROM onsale_shows GROUP BY onsale_id HAVING count(*) = 1"


def downgrade() -> None:
    _rekey("onsale_id", "show_id")
    for table in ("queue_visitors", "queue_draws"):
        op.execute(f"DELETE FROM {table} WHERE show_id NOT IN ({_SINGLE})")
        op.execute(
            f"UPDATE {table} SET show_id = (SELECT l.show_id FROM onsale_shows l"
            f" WHERE l.onsale_id = {table}.show_id)"
            f" WHERE show_id NOT IN (SELECT show_id FROM onsale_shows WHERE show_id = onsale_id)"
        )
    _point("show_id", "shows")
    op.drop_index(op.f("ix_onsale_shows_onsale_id"), table_name="onsale_shows")
    op.drop_table("onsale_shows")
    op.drop_table("onsales")
