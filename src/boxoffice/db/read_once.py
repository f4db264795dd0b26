"""Rows a transaction reads once and its event handlers would read again.

A booking that becomes BOOKED is read by the lifecycle, then by the reactions its event runs in
the same transaction (the invoice, the tickets, the sales counters), each asking its
repository for the same show and the same seats: a round trip and an ORM load each time (the
session's identity map holds its objects weakly, so a show nobody kept is read again). A
repository keeps what it read here, per session, under a name of its own; every transaction's
end (commit, rollback, a savepoint's too; not a flush's inner one) forgets all of it, so a later
transaction of the same session reads afresh. A repository that writes rows it keeps forgets
them itself.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

_PREFIX = "read_once:"


def kept(session: AsyncSession, name: str) -> dict[Any, Any]:
    """The session's rows kept under `name` (filled by the caller) until the transaction ends."""
    rows: dict[Any, Any] = session.info.setdefault(_PREFIX + name, {})
    return rows


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None and not transaction.nested:
        return  # the inner transaction of a flush: the database's transaction goes on
    for key in [key for key in session.info if isinstance(key, str) and key.startswith(_PREFIX)]:
        del session.info[key]
