from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String
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


class Payment(IdMixin, TimestampMixin, Base):
    """One provider order for a booking, and the payment made against it."""

    __tablename__ = "payments"
    __table_args__ = (CheckConstraint("amount >= 0", name="amount_not_negative"),)

    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id"), unique=True)
    provider: Mapped[str] = mapped_column(String(20))
    order_id: Mapped[str] = mapped_column(String(64), unique=True)
    payment_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[PaymentStatus] = mapped_column(str_enum(PaymentStatus))
    captured_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class Refund(IdMixin, TimestampMixin, Base):
    __tablename__ = "refunds"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    payment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payments.id"), index=True)
    # The provider payment this refund returns: the booking's own, or a second payment captured
    # for an order that was already paid. Unique: "never refund a payment twice" holds even
    # when two processes race to refund it.
    provider_payment_id: Mapped[str] = mapped_column(String(64), unique=True)
    provider_refund_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    amount: Mapped[int] = mapped_column(Integer)
    status: Mapped[RefundStatus] = mapped_column(str_enum(RefundStatus))
    reason: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime]


class ProviderEvent(Base):
    """Every webhook delivery we accepted, by the provider's event id: a repeat is a no-op."""

    __tablename__ = "provider_events"

    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    event_type: Mapped[str] = mapped_column(String(50))
    payload: Mapped[Any] = mapped_column(JSON)
    received_at: Mapped[datetime]
