"""Totals kept in summary tables (a show's sales, a theatre's month of GST), so that a report
reads a few rows instead of every row behind them.

A domain adds to a row's figures as its transaction goes (`add`); the sums are written as the
transaction commits, the last thing before it: one upsert a table, adding to what its rows hold.
A summary row is a hot spot (every sale of a show, every invoice of a theatre's month changes
it), so it is locked only for the commit, never for the rest of the transaction, and every
transaction writes its rows in one order (table, then key): two never wait on each other's
rows in a cycle. The first addition hooks that write onto the session's commits: only the
sessions that change a total carry the hook, never every session of the process.

A table kept here: its primary key is the row's key, every other column a figure (an integer,
added to).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Table, event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from boxoffice.db.base import Base
from boxoffice.db.engine import dialect_insert

_PENDING = "pending_kept_totals"


def add(session: AsyncSession, model: type[Base], key: Mapping[str, Any], **figures: int) -> None:
    """Adds `figures` to `model`'s row of `key` when the caller's transaction commits."""
    table = cast(Table, model.__table__)
    names = [column.name for column in table.columns if not column.primary_key]
    pending = session.info.setdefault(_PENDING, {}).setdefault(model, {})
    row_key = tuple(key[column.name] for column in table.primary_key.columns)
    totals = pending.setdefault(row_key, dict.fromkeys(names, 0))
    for name, amount in figures.items():
        totals[name] += amount
    sync_session = session.sync_session
    if not event.contains(sync_session, "before_commit", write):
        event.listen(sync_session, "before_commit", write)
        event.listen(sync_session, "after_soft_rollback", forget)


def write(session: Session) -> None:
    """Writes the totals a transaction added up (`add`): a statement a table, its rows in key
    order (one round trip while the rows are locked). The first change of a key makes its
    row."""
    pending: dict[type[Base], dict[tuple[Any, ...], dict[str, int]]] = (
        session.info.pop(_PENDING, None) or {}
    )
    for model in sorted(pending, key=lambda m: str(m.__tablename__)):
        table = cast(Table, model.__table__)
        keys = [column.name for column in table.primary_key.columns]
        rows = [
            {**dict(zip(keys, row_key, strict=True)), **pending[model][row_key]}
            for row_key in sorted(pending[model])
        ]
        statement = dialect_insert(session)(table).values(rows)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=keys,
                set_={
                    column.name: column + statement.excluded[column.name]
                    for column in table.columns
                    if not column.primary_key
                },
            )
        )


def forget(session: Session, *_: Any) -> None:
    """A rolled-back transaction added nothing."""
    session.info.pop(_PENDING, None)
