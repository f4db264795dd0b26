"""The counter's tables: a cashier's shifts, and the money each took or gave back."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from boxoffice.db.base import Base, IdMixin, str_enum


class ShiftStatus(enum.StrEnum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"


class Method(enum.StrEnum):
    """How a customer paid at the counter; a refund goes back the same way."""

    CASH = "CASH"
    CARD = "CARD"
    UPI = "UPI"


class MovementKind(enum.StrEnum):
    SALE = "SALE"
    REFUND = "REFUND"


_OPEN = "status = 'OPEN'"


class Shift(IdMixin, Base):
    """A cashier's turn at a theatre's counter: opened with a cash float, closed once, with the
    cash the drawer should then hold. Every counter sale and refund belongs to one."""

    __tablename__ = "counter_shifts"
    __table_args__ = (
        # One open shift per cashier (migration 0023).
        Index(
            "uq_counter_shifts_open_cashier",
            "cashier_id",
            unique=True,
            postgresql_where=text(_OPEN),
            sqlite_where=text(_OPEN),
        ),
        Index("ix_counter_shifts_theatre_id_opened_at", "theatre_id", "opened_at"),
        CheckConstraint("opening_float >= 0", name="float_not_negative"),
    )

    theatre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("theatres.id"))
    cashier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    status: Mapped[ShiftStatus] = mapped_column(str_enum(ShiftStatus))
    opening_float: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    expected_cash: Mapped[int | None] = mapped_column(Integer)  # set when it closes


class Movement(IdMixin, Base):
    """Money taken at the counter for a booking (a sale) or given back for its seats (a
    refund), in the method the customer paid with, within a shift. `amount` is positive."""

    __tablename__ = "counter_movements"
    __table_args__ = (
        Index("ix_counter_movements_shift_id", "shift_id"),
        Index("ix_counter_movements_booking_id", "booking_id"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
    )

    shift_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("counter_shifts.id"))
    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id"))
    kind: Mapped[MovementKind] = mapped_column(str_enum(MovementKind))
    method: Mapped[Method] = mapped_column(str_enum(Method))
    amount: Mapped[int] = mapped_column(Integer)
    tendered: Mapped[int | None] = mapped_column(Integer)  # cash handed over, for a cash sale
    change: Mapped[int | None] = mapped_column(Integer)
    reference: Mapped[str | None] = mapped_column(String(100))  # the terminal's or UPI's
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
