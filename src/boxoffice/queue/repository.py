"""All SQL of the on-sale queue: the same statements on PostgreSQL and SQLite, but for the draw's
write of its places (`set_places`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, literal, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.db.base import UTCDateTime
from boxoffice.db.engine import dialect_insert, is_postgres
from boxoffice.queue.models import QueueDraw, QueueVisitor


async def get_draw(session: AsyncSession, onsale_id: uuid.UUID) -> QueueDraw | None:
    return await session.scalar(
        select(QueueDraw)
        .where(QueueDraw.onsale_id == onsale_id)
        .execution_options(populate_existing=True)
    )


async def insert_draw_if_absent(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Inserts the on-sale's draw unless it has one; whether this insert won. On PostgreSQL a
    racing insert waits for the winner's transaction, then loses."""
    insert = dialect_insert(session)
    result: Any = await session.execute(insert(QueueDraw).values(**values).on_conflict_do_nothing())
    return bool(result.rowcount)


async def undrawn_visitors(session: AsyncSession, onsale_id: uuid.UUID) -> list[uuid.UUID]:
    query = select(QueueVisitor.id).where(
        QueueVisitor.onsale_id == onsale_id, QueueVisitor.position.is_(None)
    )
    return list(await session.scalars(query))


async def set_places(session: AsyncSession, places: Sequence[tuple[uuid.UUID, int, int]]) -> None:
    """(visitor, position, offset) for each. PostgreSQL: one statement over arrays (a draw of
    20,000 in one round trip); SQLite, in process: one UPDATE run for each."""
    if not places:
        return
    if is_postgres(session):
        ids, positions, offsets = (list(column) for column in zip(*places, strict=True))
        await session.execute(_SET_PLACES, {"ids": ids, "positions": positions, "offsets": offsets})
        return
    await session.execute(
        update(QueueVisitor), [{"id": v, "position": p, "offset_us": o} for v, p, o in places]
    )


_SET_PLACES = text(
    "UPDATE queue_visitors AS v SET position = d.position, offset_us = d.offset_us"
    " FROM unnest(CAST(:ids AS uuid[]), CAST(:positions AS integer[]),"
    " CAST(:offsets AS bigint[])) AS d(id, position, offset_us)"
    " WHERE v.id = d.id"
)


async def record_draw(
    session: AsyncSession, onsale_id: uuid.UUID, drawn: int, last_offset_us: int
) -> None:
    await session.execute(
        update(QueueDraw)
        .where(QueueDraw.onsale_id == onsale_id)
        .values(drawn=drawn, last_position=drawn, last_offset_us=last_offset_us)
    )


async def next_place(session: AsyncSession, onsale_id: uuid.UUID, now_us: int) -> tuple[int, int]:
    """The next place after the last one given: (position, offset), in one UPDATE that holds
    the draw's row until the caller commits (so places are handed out one after another)."""
    spaced = QueueDraw.last_offset_us + QueueDraw.step_us
    statement = (
        update(QueueDraw)
        .where(QueueDraw.onsale_id == onsale_id)
        .values(
            last_position=QueueDraw.last_position + 1,
            last_offset_us=case((spaced > now_us, spaced), else_=now_us),
        )
        .returning(QueueDraw.last_position, QueueDraw.last_offset_us)
    )
    row = (await session.execute(statement)).one()
    return int(row[0]), int(row[1])


async def add_visitor(
    session: AsyncSession,
    visitor_id: uuid.UUID,
    onsale_id: uuid.UUID,
    now: datetime,
    place: tuple[int, int] | None = None,
) -> QueueVisitor:
    position, offset_us = place if place is not None else (None, None)
    visitor = QueueVisitor(
        id=visitor_id,
        onsale_id=onsale_id,
        joined_at=now,
        position=position,
        offset_us=offset_us,
    )
    session.add(visitor)
    await session.flush()
    return visitor


async def get_visitor(session: AsyncSession, visitor_id: uuid.UUID) -> QueueVisitor | None:
    return await session.scalar(
        select(QueueVisitor)
        .where(QueueVisitor.id == visitor_id)
        .execution_options(populate_existing=True)
    )


async def visitor_with_draw(
    session: AsyncSession, visitor_id: uuid.UUID
) -> tuple[QueueVisitor, QueueDraw | None] | None:
    """The visitor and its on-sale's draw (None before it), in one statement."""
    query = (
        select(QueueVisitor, QueueDraw)
        .outerjoin(QueueDraw, QueueDraw.onsale_id == QueueVisitor.onsale_id)
        .where(QueueVisitor.id == visitor_id)
    )
    row = (await session.execute(query)).one_or_none()
    return None if row is None else (row[0], row[1])


async def mark_admitted(session: AsyncSession, visitor_id: uuid.UUID, now: datetime) -> datetime:
    """Records the visitor's admission, the first time only; when it was admitted."""
    statement = (
        update(QueueVisitor)
        .where(QueueVisitor.id == visitor_id)
        .values(admitted_at=func.coalesce(QueueVisitor.admitted_at, literal(now, UTCDateTime())))
        .returning(QueueVisitor.admitted_at)
    )
    admitted_at: datetime | None = (await session.execute(statement)).scalar_one()
    assert admitted_at is not None
    return admitted_at


async def drawn_places(
    session: AsyncSession, onsale_id: uuid.UUID, limit: int, offset: int
) -> list[tuple[int, uuid.UUID]]:
    """(position, visitor) of the draw's visitors, by position."""
    query = (
        select(QueueVisitor.position, QueueVisitor.id)
        .join(QueueDraw, QueueDraw.onsale_id == QueueVisitor.onsale_id)
        .where(QueueVisitor.onsale_id == onsale_id, QueueVisitor.position <= QueueDraw.drawn)
        .order_by(QueueVisitor.position)
        .limit(limit)
        .offset(offset)
    )
    return [(int(p or 0), v) for p, v in (await session.execute(query)).all()]


# The lane's statements (PostgreSQL, on an autocommit connection), by the door a visitor came
# by: a show (routed to the on-sale it sells through) or an on-sale. `_SALE`: the on-sale to
# join there, in force (the show, or one show of it, still on sale at `{now}`), with its
# opening; `{door}` names the door's id (a parameter, or a column of the joins of a batch).
_SALE = {
    "shows": """
        SELECT l.onsale_id AS id, s.queue_opens_at AS opens_at
        FROM shows s JOIN onsale_shows l ON l.show_id = s.id
        WHERE s.id = {door} AND s.status = 'SCHEDULED' AND s.starts_at > {now}
          AND s.queue_opens_at IS NOT NULL
    """,
    "onsales": """
        SELECT o.id, o.opens_at FROM onsales o
        WHERE o.id = {door} AND o.lifted_at IS NULL AND EXISTS (
            SELECT 1 FROM onsale_shows l JOIN shows s ON s.id = l.show_id
            WHERE l.onsale_id = o.id AND s.status = 'SCHEDULED' AND s.starts_at > {now}
        )
    """,
}
# The on-sale a door leads to ($2), lifted or not.
_ONSALE = {
    "shows": "(SELECT onsale_id FROM onsale_shows WHERE show_id = $2)",
    "onsales": "$2",
}

# Joins before the opening in one round trip, a batch of them (`queue.batches`): ($1, $2, $3)
# the doors' ids, the visitors and the times they came, one each a join. Those whose door
# leads to no on-sale to join so are left out, with nothing written for them.
_JOIN_BEFORE_OPENING = """
WITH asked AS (
    SELECT a.visitor_id, a.at, sale.id AS onsale_id, sale.opens_at
    FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) AS a(door_id, visitor_id, at)
    CROSS JOIN LATERAL ({sale}) AS sale
    WHERE sale.opens_at > a.at
), joined AS (
    INSERT INTO queue_visitors (id, onsale_id, joined_at)
    SELECT visitor_id, onsale_id, at FROM asked
    RETURNING id
)
SELECT asked.visitor_id, asked.onsale_id, asked.opens_at
FROM asked JOIN joined ON joined.id = asked.visitor_id
"""
_JOINS_BEFORE_OPENING = {
    door: _JOIN_BEFORE_OPENING.format(sale=sale.format(door="a.door_id", now="a.at"))
    for door, sale in _SALE.items()
}


async def join_before_opening(
    connection: Any, door: str, joins: Sequence[tuple[uuid.UUID, uuid.UUID, datetime]]
) -> dict[uuid.UUID, tuple[uuid.UUID, datetime]]:
    """New places in the draw on a driver connection (`db.engine.autocommit_connection`), for
    (door id, visitor, now) joins by `door` ("shows" or "onsales"), in one statement: by
    visitor, the on-sale and when it opens. A visitor left out has nothing written: its door
    leads to no queue to join so (not queued, opened, started, cancelled, no such show or
    on-sale), and the route then answers."""
    statement = _JOINS_BEFORE_OPENING[door]
    door_ids, visitor_ids, times = (list(column) for column in zip(*joins, strict=True))
    rows = await connection.fetch(statement, door_ids, visitor_ids, times)
    return {row["visitor_id"]: (row["onsale_id"], row["opens_at"]) for row in rows}


_PLACED = """
SELECT v.onsale_id, v.position, v.offset_us, v.admitted_at, d.opens_at, d.step_us
FROM queue_visitors v JOIN queue_draws d ON d.onsale_id = v.onsale_id
WHERE v.id = $1 AND v.onsale_id = {onsale} AND v.position IS NOT NULL
"""
_ADMITTED = """
UPDATE queue_visitors SET admitted_at = coalesce(admitted_at, $2) WHERE id = $1
RETURNING admitted_at
"""


async def placed_visitor(
    connection: Any, door: str, door_id: uuid.UUID, visitor_id: uuid.UUID
) -> tuple[QueueVisitor, QueueDraw] | None:
    """A visitor with a place in the queue `door` leads to, and its draw, on a driver
    connection (one round trip); None for anything else (no draw yet, no place yet, another
    on-sale's): the route then answers."""
    row = await connection.fetchrow(_PLACED.format(onsale=_ONSALE[door]), visitor_id, door_id)
    return None if row is None else _visitor_and_draw(row, visitor_id)


def _visitor_and_draw(row: Any, visitor_id: uuid.UUID) -> tuple[QueueVisitor, QueueDraw]:
    """A place and its draw from a row of `_PLACED`'s columns (`_JOIN_AFTER_DRAW`'s too)."""
    onsale_id = row["onsale_id"]
    visitor = QueueVisitor(
        id=visitor_id,
        onsale_id=onsale_id,
        position=row["position"],
        offset_us=row["offset_us"],
        admitted_at=row["admitted_at"],
    )
    draw = QueueDraw(onsale_id=onsale_id, opens_at=row["opens_at"], step_us=row["step_us"])
    return visitor, draw


async def mark_admitted_on(connection: Any, visitor_id: uuid.UUID, now: datetime) -> datetime:
    """`mark_admitted` on a driver connection."""
    admitted_at: datetime = await connection.fetchval(_ADMITTED, visitor_id, now)
    return admitted_at


# A join after the draw in one round trip: the next place, held by the draw row's lock until
# the statement commits, as `next_place` does.
_JOIN_AFTER_DRAW = """
WITH sale AS ({sale}), placed AS (
    UPDATE queue_draws AS d SET
        last_position = d.last_position + 1,
        last_offset_us = greatest(
            d.last_offset_us + d.step_us,
            floor(extract(epoch FROM ($3 - d.opens_at)) * 1000000)::bigint
        )
    FROM sale
    WHERE d.onsale_id = sale.id AND sale.opens_at <= $3
    RETURNING d.onsale_id, d.opens_at, d.step_us, d.last_position, d.last_offset_us
), joined AS (
    INSERT INTO queue_visitors (id, onsale_id, joined_at, position, offset_us)
    SELECT $2, onsale_id, $3, last_position, last_offset_us FROM placed
    RETURNING id
)
SELECT onsale_id, last_position AS position, last_offset_us AS offset_us,
    NULL::timestamptz AS admitted_at, opens_at, step_us
FROM placed, joined
"""
_JOINS_AFTER_DRAW = {
    door: _JOIN_AFTER_DRAW.format(sale=sale.format(door="$1", now="$3"))
    for door, sale in _SALE.items()
}


async def join_after_draw(
    connection: Any, door: str, door_id: uuid.UUID, visitor_id: uuid.UUID, now: datetime
) -> tuple[QueueVisitor, QueueDraw] | None:
    """A new place after the drawn ones on a driver connection; None, with nothing written,
    when there is no draw yet or the door leads to no queue to join (the route then answers)."""
    row = await connection.fetchrow(_JOINS_AFTER_DRAW[door], door_id, visitor_id, now)
    return None if row is None else _visitor_and_draw(row, visitor_id)
