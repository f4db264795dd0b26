"""The on-sale queue's tables: an on-sale's draw (once, at its opening) and its visitors."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from boxoffice.db.base import Base


class QueueDraw(Base):
    """An on-sale's draw, made once by the first request after its queue opened (the insert of
    this row decides which). `seed` (64 hex digits) is published with it. The pace is fixed
    here for the life of the queue: admission times are `opens_at + offset`, offsets in
    microseconds `step_us` apart at least; `last_position` and `last_offset_us` are those of
    the last visitor given a place (late arrivals take the next one, in one UPDATE)."""

    __tablename__ = "queue_draws"

    onsale_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("onsales.id"), primary_key=True)
    opens_at: Mapped[datetime]
    drawn_at: Mapped[datetime]
    seed: Mapped[str] = mapped_column(String(64))
    drawn: Mapped[int] = mapped_column(Integer)  # visitors in the draw
    step_us: Mapped[int] = mapped_column(BigInteger)
    last_position: Mapped[int] = mapped_column(Integer)
    last_offset_us: Mapped[int] = mapped_column(BigInteger)


class QueueVisitor(Base):
    """One place in an on-sale's queue, whichever of its shows the visitor came by. Before the
    draw `position` and `offset_us` are null; the draw (or, for a late arrival, the join) sets
    both: admitted from `opens_at + offset_us`. `admitted_at`: when the visitor was first told
    so (and given a token), once."""

    __tablename__ = "queue_visitors"
    __table_args__ = (UniqueConstraint("onsale_id", "position"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    onsale_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("onsales.id"))
    joined_at: Mapped[datetime]
    position: Mapped[int | None] = mapped_column(Integer)
    offset_us: Mapped[int | None] = mapped_column(BigInteger)
    admitted_at: Mapped[datetime | None]
