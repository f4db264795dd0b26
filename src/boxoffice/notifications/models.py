from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from boxoffice.db.base import Base, IdMixin, TimestampMixin, str_enum


class EmailStatus(enum.StrEnum):
    PENDING = "PENDING"  # waiting for `next_attempt_at`
    SENDING = "SENDING"  # claimed by a worker until `next_attempt_at` (a lease)
    SENT = "SENT"
    FAILED = "FAILED"  # gave up after the last attempt
    # Not sent, by decision (`last_error` says why): the booking's customer has no address (a
    # walk-in at the counter), known only when the worker composes it.
    SKIPPED = "SKIPPED"


class OutboxEmail(IdMixin, TimestampMixin, Base):
    """An email decided by a committed change, waiting to be sent by `boxoffice worker`.

    Written in the transaction of the change it tells about, so a rolled-back change leaves no
    email; (booking, kind) is unique, so one change never queues two (emails of no booking are
    not held to it: NULLs are distinct). The change writes only what it decided (the kind, the
    time, `params`); the worker composes the message when it sends it, from the booking as it
    then is, and records here what it sent (`recipient`, `subject`, `message`).
    """

    __tablename__ = "outbox_emails"
    __table_args__ = (
        UniqueConstraint("booking_id", "kind"),
        Index("ix_outbox_emails_status_next_attempt_at", "status", "next_attempt_at"),
    )

    # The booking it tells about; none for an account's email (a password reset link).
    booking_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("bookings.id"))
    kind: Mapped[str] = mapped_column(String(20))  # BOOKED, CANCELLED, REFUNDED, PASSWORD_RESET
    # The facts of the change that the database does not keep for the worker to read (a
    # cancellation's reason, a waitlist offer's link); None on rows queued before migration 0029,
    # which were composed when queued.
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Known when queued for an account's email; a booking's is its customer's address when sent.
    recipient: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str | None] = mapped_column(String(300))
    # The RFC 5322 message as sent, but for the tickets' QR images (drawn again from the tickets).
    message: Mapped[str | None] = mapped_column(Text)
    status: Mapped[EmailStatus] = mapped_column(str_enum(EmailStatus))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None]
