"""Tables of the offline Razorpay sandbox (`boxoffice.sandbox`): a test double's own
state, not part of the booking logic. Ids and statuses are Razorpay's (`order_...`, `captured`).

They have a metadata of their own (`SandboxBase`), not the application's, and migrations of their
own (`boxoffice.sandbox.migrations`), run only where the sandbox is on: a database built with
real keys has none of them. On PostgreSQL they live in the application database; on SQLite in a
file of the sandbox's own next to it (see `boxoffice.sandbox.store`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from boxoffice.db.base import NAMING_CONVENTION, TYPE_ANNOTATIONS


class SandboxBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = TYPE_ANNOTATIONS


class SandboxOrder(SandboxBase):
    __tablename__ = "razorpay_sandbox_orders"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    amount: Mapped[int] = mapped_column(Integer)
    amount_paid: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    receipt: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))  # created | attempted | paid
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime]


class SandboxPayment(SandboxBase):
    __tablename__ = "razorpay_sandbox_payments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("razorpay_sandbox_orders.id"), index=True)
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20))  # captured | refunded | failed
    method: Mapped[str] = mapped_column(String(20))
    captured: Mapped[bool] = mapped_column(Boolean)
    amount_refunded: Mapped[int] = mapped_column(Integer, default=0)
    email: Mapped[str | None] = mapped_column(String(200))
    contact: Mapped[str | None] = mapped_column(String(30))
    error_code: Mapped[str | None] = mapped_column(String(50))
    error_description: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime]


class SandboxRefund(SandboxBase):
    __tablename__ = "razorpay_sandbox_refunds"
    # Razorpay's X-Refund-Idempotency: one refund per (payment, key).
    __table_args__ = (UniqueConstraint("payment_id", "idempotency_key"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("razorpay_sandbox_payments.id"), index=True)
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20))  # pending | processed | failed
    receipt: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[Any] = mapped_column(JSON)
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]


class SandboxEvent(SandboxBase):
    """A webhook the sandbox generated, with the exact body it signs and sends every time."""

    __tablename__ = "razorpay_sandbox_events"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # X-Razorpay-Event-Id
    event: Mapped[str] = mapped_column(String(50))
    order_id: Mapped[str | None] = mapped_column(String(40), index=True)
    payment_id: Mapped[str | None] = mapped_column(String(40), index=True)
    refund_id: Mapped[str | None] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    deliveries: Mapped[int] = mapped_column(Integer, default=0)
    last_status: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(index=True)


class SandboxConfig(SandboxBase):
    """One row (id 1) of knobs for tests; no row means the defaults."""

    __tablename__ = "razorpay_sandbox_config"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    refund_status: Mapped[str] = mapped_column(String(20))  # processed | pending
    auto_deliver_webhooks: Mapped[bool] = mapped_column(Boolean)
    fail_next_requests: Mapped[int] = mapped_column(Integer)
    fail_after_applying: Mapped[bool] = mapped_column(Boolean)
    auto_capture: Mapped[bool] = mapped_column(Boolean, default=True)
    fail_matching: Mapped[str] = mapped_column(String(200), default="", server_default="")


class SandboxCredentials(SandboxBase):
    """One row (id 1): the key id and secrets of a sandbox without configured keys, random and
    made once per database, so no secret that signs a payment is a constant in the code."""

    __tablename__ = "razorpay_sandbox_credentials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    key_id: Mapped[str] = mapped_column(String(40))
    key_secret: Mapped[str] = mapped_column(String(100))
    webhook_secret: Mapped[str] = mapped_column(String(100))
