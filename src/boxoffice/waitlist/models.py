"""The waiting list of a show: who waits for which seats, and the worker's bookkeeping of it."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from boxoffice.db.base import Base, IdMixin, TimestampMixin, str_enum


class EntryStatus(enum.StrEnum):
    WAITING = "WAITING"  # in the queue, no offer
    OFFERED = "OFFERED"  # holds seats for it until the offer's hold runs out (`booking_id`)
    BOOKED = "BOOKED"  # paid for the offer: an ordinary booking now
    DECLINED = "DECLINED"  # gave the offer back
    LAPSED = "LAPSED"  # let the offer run out (or it was cancelled elsewhere)
    LEFT = "LEFT"  # left the list
    CLOSED = "CLOSED"  # the show was cancelled or started


ACTIVE = (EntryStatus.WAITING, EntryStatus.OFFERED)
_ACTIVE_SQL = "status IN ('WAITING', 'OFFERED')"


class WaitlistEntry(IdMixin, TimestampMixin, Base):
    """A party waiting for seats of one show: how many, of which type, up to which price, and
    whether side by side. One active entry per customer and show (partial unique indexes)."""

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        CheckConstraint("user_id IS NOT NULL OR guest_id IS NOT NULL", name="has_customer"),
        CheckConstraint("party >= 1", name="party_positive"),
        Index("ix_waitlist_entries_show_id_status_created_at", "show_id", "status", "created_at"),
        Index(
            "uq_waitlist_entries_active_user",
            "show_id",
            "user_id",
            unique=True,
            postgresql_where=text(f"{_ACTIVE_SQL} AND user_id IS NOT NULL"),
            sqlite_where=text(f"{_ACTIVE_SQL} AND user_id IS NOT NULL"),
        ),
        Index(
            "uq_waitlist_entries_active_guest",
            "show_id",
            "guest_id",
            unique=True,
            postgresql_where=text(f"{_ACTIVE_SQL} AND user_id IS NULL"),
            sqlite_where=text(f"{_ACTIVE_SQL} AND user_id IS NULL"),
        ),
    )

    show_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shows.id"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    guest_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("guests.id"))
    party: Mapped[int] = mapped_column(Integer)
    seat_type: Mapped[str | None] = mapped_column(String(20))
    max_price: Mapped[int | None] = mapped_column(Integer)
    together: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[EntryStatus] = mapped_column(str_enum(EntryStatus))
    # Times a later entry was offered seats while this one could not be (the anti-starvation
    # rule: `waitlist.offers`).
    passed_over: Mapped[int] = mapped_column(Integer, default=0)
    # The current (or last) offer: a PENDING booking held for the entry, and until when.
    booking_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("bookings.id"))
    offer_expires_at: Mapped[datetime | None]
    offered_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class WaitlistShow(Base):
    """A show with a waiting list, as the worker schedules it: due for a look at `due_at`
    (NULL: nobody waits). Its row is what a worker locks while it offers the show's seats, so
    one worker at a time walks a show's queue."""

    __tablename__ = "waitlist_shows"

    show_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shows.id"), primary_key=True)
    due_at: Mapped[datetime | None] = mapped_column(index=True)


class WaitlistWake(IdMixin, TimestampMixin, Base):
    """The outbox: seats of the show came back, written in the transaction that freed them
    (append only, so it never waits for a lock); the worker takes and deletes it."""

    __tablename__ = "waitlist_wakes"
    __table_args__ = (Index("ix_waitlist_wakes_show_id", "show_id"),)

    show_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shows.id"))
