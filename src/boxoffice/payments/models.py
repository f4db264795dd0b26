from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from boxoffice.db.base import Base, IdMixin, TimestampMixin, str_enum


class PaymentStatus(enum.StrEnum):
    CREATED = "CREATED"  # order created, nothing paid yet
    CAPTURED = "CAPTURED"
    FAILED = "FAILED"
    REFUNDED = "REFUNDED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"


class RefundStatus(enum.StrEnum):
    PENDING = "PENDING"
    PROCESSED = "PROCESSED"
    FAILED = "FAILED"


UNSETTLED = "status IN ('CREATED', 'FAILED')"


class Payment(IdMixin, TimestampMixin, Base):
    """One provider order for a booking, and the payment made against it."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        # The worker's reconciliation reads the recent orders not paid yet, every pass: by an
        # index of those alone, not a scan of every payment ever taken (migration 0032).
        Index(
            "ix_payments_unsettled_created_at",
            "created_at",
            postgresql_where=text(UNSETTLED),
            sqlite_where=text(UNSETTLED),
        ),
    )

    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id"), unique=True)
    provider: Mapped[str] = mapped_column(String(20))
    order_id: Mapped[str] = mapped_column(String(64), unique=True)
    payment_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The order's amount and currency; once a payment is captured, what it captured.
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[PaymentStatus] = mapped_column(str_enum(PaymentStatus))
    captured_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class OrderReservation(Base):
    """A request creating a booking's provider order, while it talks to the provider.

    One per booking (the primary key): a concurrent request waits for the order it will record,
    and a reservation whose request died is taken over once `reserved_until` has passed.
    """

    __tablename__ = "order_reservations"

    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id"), primary_key=True)
    token: Mapped[uuid.UUID]
    reserved_until: Mapped[datetime]
    created_at: Mapped[datetime]


class Refund(IdMixin, TimestampMixin, Base):
    """A refund of a payment, asked of the provider in one or more attempts: of seats given
    back (`for_seats`: a cancellation, whole or partial, by the policy; a payment may have
    several), or of the whole payment when it booked nothing (late, second, wrong amount).

    PENDING: an attempt is under way (not yet issued, or issued and not settled). FAILED: the
    last attempt failed; `next_attempt_at` says when the worker tries again, and is NULL once the
    refund failed for good (an admin may still retry it). PROCESSED: the money went back.
    """

    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_refunds_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_refunds_show_id_status", "show_id", "status"),
        # "Never refund a payment twice" for a payment returned whole, even when two processes
        # race to refund it; seats are refunded once each by their cancellation (under the
        # booking's row lock), so a payment may have many of those (migration 0018).
        Index(
            "uq_refunds_provider_payment_id_whole",
            "provider_payment_id",
            unique=True,
            postgresql_where=text("NOT for_seats"),
            sqlite_where=text("NOT for_seats"),
        ),
    )

    payment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payments.id"), index=True)
    # The booking's show, for the reports: they sum a show's refunds by this index.
    show_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shows.id"))
    # The provider payment this refund returns: the booking's own, or a second payment captured
    # for an order that was already paid.
    provider_payment_id: Mapped[str] = mapped_column(String(64))
    for_seats: Mapped[bool] = mapped_column(default=False, server_default=false())
    provider_refund_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    amount: Mapped[int] = mapped_column(Integer)
    status: Mapped[RefundStatus] = mapped_column(str_enum(RefundStatus))
    reason: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime]
    # Attempts started so far; attempt N asks the provider with idempotency key `<id>-N`.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The limit in force when the current attempt was claimed (settings.refund_max_attempts).
    attempts_allowed: Mapped[int] = mapped_column(Integer, default=6, server_default="6")
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(300))


class RefundAttemptStatus(enum.StrEnum):
    STARTED = "STARTED"  # claimed; the provider was (maybe) asked
    PENDING = "PENDING"  # the provider accepted it and has not settled it yet
    PROCESSED = "PROCESSED"
    FAILED = "FAILED"  # the provider failed it, or refused the request
    UNKNOWN = "UNKNOWN"  # no usable answer: the next attempt first looks for it at the provider


class RefundAttempt(IdMixin, Base):
    """The history of a refund's attempts at the provider, one row per attempt."""

    __tablename__ = "refund_attempts"
    __table_args__ = (
        UniqueConstraint("refund_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
    )

    refund_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("refunds.id"))
    number: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(100))
    provider_refund_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[RefundAttemptStatus] = mapped_column(str_enum(RefundAttemptStatus))
    error: Mapped[str | None] = mapped_column(String(300))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class ProviderEvent(Base):
    """Every webhook delivery we accepted, by the provider's event id: a repeat is a no-op."""

    __tablename__ = "provider_events"

    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    event_type: Mapped[str] = mapped_column(String(50))
    payload: Mapped[Any] = mapped_column(JSON)
    received_at: Mapped[datetime]
