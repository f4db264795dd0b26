from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from boxoffice.bookings.codes import CODE_INDEX, id_prefix_of
from boxoffice.db.base import Base, IdMixin, TimestampMixin, str_enum


class BookingChannel(enum.StrEnum):
    """Where a booking was sold: the shop (a hold, then a payment) or the theatre's counter."""

    ONLINE = "online"
    COUNTER = "counter"


class BookingStatus(enum.StrEnum):
    PENDING = "PENDING"
    BOOKED = "BOOKED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"


_LIVE = "status = 'PENDING'"


def _partial(name: str, columns: tuple[str, ...], where: str) -> Index:
    return Index(name, *columns, postgresql_where=text(where), sqlite_where=text(where))


class Booking(IdMixin, TimestampMixin, Base):
    """A customer's seats in one show. The customer is a user, or a guest until linked."""

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("user_id IS NOT NULL OR guest_id IS NOT NULL", name="has_customer"),
        CheckConstraint("amount_total >= 0", name="amount_not_negative"),
        # A customer's bookings, newest first (each index without the NULL half).
        _partial(
            "ix_bookings_user_id_created_at", ("user_id", "created_at"), "user_id IS NOT NULL"
        ),
        _partial(
            "ix_bookings_guest_id_created_at", ("guest_id", "created_at"), "guest_id IS NOT NULL"
        ),
        Index("ix_bookings_show_id_status", "show_id", "status"),
        # The sweeper's scan: pending bookings by expiry, and only those (migration 0032): an
        # index of every booking's status grew with history, and each expiry wrote its entry.
        _partial("ix_bookings_pending_expires_at", ("expires_at",), _LIVE),
        # What every hold's caps count: live holds only, however long a customer's history
        # (migration 0009).
        _partial("ix_bookings_live_user_id", ("user_id",), f"{_LIVE} AND user_id IS NOT NULL"),
        _partial("ix_bookings_live_guest_id", ("guest_id",), f"{_LIVE} AND user_id IS NULL"),
        _partial(
            "ix_bookings_live_show_id_client_ip",
            ("show_id", "client_ip"),
            f"{_LIVE} AND client_ip IS NOT NULL",
        ),
    )

    show_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shows.id"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    guest_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("guests.id"))
    status: Mapped[BookingStatus] = mapped_column(str_enum(BookingStatus))
    amount_total: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    expires_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    # Who held the seats, as far as the network can tell: for the held-seats cap per address.
    client_ip: Mapped[str | None] = mapped_column(String(45))
    # The theatre's cancellation tiers when the seats were held (SPEC "Money"; migration 0017).
    cancellation_policy: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # Online (held, then paid) or sold at the theatre's counter (migration 0023).
    channel: Mapped[BookingChannel] = mapped_column(
        str_enum(BookingChannel), default=BookingChannel.ONLINE, server_default="online"
    )


class BookingSeat(Base):
    """The seats a booking asked for, with the price frozen when they were held, and what the
    price comes to (SPEC "Shapes"; `money.charges`, migration 0017): the ticket's taxable value,
    rate and GST, its convenience fee and the fee's GST. NULL: a seat whose hold froze no charges
    (`taxes.service.booking_lines` works them out)."""

    __tablename__ = "booking_seats"

    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id"), primary_key=True)
    seat_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("seats.id"), primary_key=True)
    label: Mapped[str] = mapped_column(String(10))
    seat_type: Mapped[str] = mapped_column(String(20))
    price: Mapped[int] = mapped_column(Integer)
    taxable: Mapped[int | None] = mapped_column(Integer)
    tax_rate_bp: Mapped[int | None] = mapped_column(Integer)
    cgst: Mapped[int | None] = mapped_column(Integer)
    sgst: Mapped[int | None] = mapped_column(Integer)
    ticket_total: Mapped[int | None] = mapped_column(Integer)
    fee: Mapped[int | None] = mapped_column(Integer)
    fee_rate_bp: Mapped[int | None] = mapped_column(Integer)
    fee_cgst: Mapped[int | None] = mapped_column(Integer)
    fee_sgst: Mapped[int | None] = mapped_column(Integer)
    # When the seat was given back by a partial cancellation, the booking staying BOOKED with
    # the rest (NULL: it was not); what cancelling it gave back, set for each seat of a paid
    # booking that is cancelled, whole or in part (migration 0018).
    cancelled_at: Mapped[datetime | None]
    refunded: Mapped[int | None] = mapped_column(Integer)


class BookingTransition(IdMixin, Base):
    """One status change of a booking: from, to, when, and by whom or which event."""

    __tablename__ = "booking_transitions"
    __table_args__ = (Index("ix_booking_transitions_booking_id_at", "booking_id", "at"),)

    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id"))
    from_status: Mapped[BookingStatus | None] = mapped_column(str_enum(BookingStatus))
    to_status: Mapped[BookingStatus] = mapped_column(str_enum(BookingStatus))
    at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(200))
    actor: Mapped[str | None] = mapped_column(String(100))  # "user:<id>", "guest:<id>", "worker"


# One short code per booking (`bookings.codes`): no two ids begin with the same 40 bits
# (migration 0020).
Index(CODE_INDEX, id_prefix_of(Booking.id), unique=True)
