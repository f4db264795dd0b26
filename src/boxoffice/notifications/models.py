from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from boxoffice.db.base import Base, IdMixin, TimestampMixin, str_enum


class EmailStatus(enum.StrEnum):
    PENDING = "PENDING"  # waiting for `next_attempt_at`
    SENDING = "SENDING"  # claimed by a worker until `next_attempt_at` (a lease)
    SENT = "SENT"
    FAILED = "FAILED"  # gave up after the last attempt


class OutboxEmail(IdMixin, TimestampMixin, Base):
    """An email decided by a committed change, waiting to be sent by `boxoffice worker`.

    Written in the transaction of the change it tells about, so a rolled-back change leaves no
    email; (booking, kind) is unique, so one change never queues two (emails of no booking are
    not held to it: NULLs are distinct).
    """

    __tablename__ = "outbox_emails"
    __table_args__ = (
        UniqueConstraint("booking_id", "kind"),
        Index("ix_outbox_emails_status_next_attempt_at", "status", "next_attempt_at"),
    )

    # The booking it tells about; none for an account's email (a password reset link).
    booking_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("bookings.id"))
    kind: Mapped[str] = mapped_column(String(20))  # BOOKED, CANCELLED, REFUNDED, PASSWORD_RESET
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    message: Mapped[str] = mapped_column(Text)  # the whole RFC 5322 message, but for:
    # the QR images its HTML part refers to ([{"cid", "qr", "filename"}]), drawn when sending
    inline_qr: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
    status: Mapped[EmailStatus] = mapped_column(str_enum(EmailStatus))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None]
