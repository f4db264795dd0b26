from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from boxoffice.db.base import Base, IdMixin, TimestampMixin, str_enum


class TicketStatus(enum.StrEnum):
    VALID = "VALID"
    CHECKED_IN = "CHECKED_IN"
    REVOKED = "REVOKED"


class SigningKey(TimestampMixin, Base):
    """An Ed25519 key that signs tickets. The newest `generation` not retired signs; the others
    verify (and are published) until the last show they signed a ticket for has ended.

    `generation` is unique: processes that race to create the first (or the next) key insert the
    same generation, one insert wins and every process reads the winner back.
    """

    __tablename__ = "ticket_signing_keys"

    kid: Mapped[str] = mapped_column(String(40), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, unique=True)
    # The raw 32-byte private key, base64url, or sealed with TICKET_KEY_ENCRYPTION_KEY
    # (`tickets.keys`); the public key, base64url. The private half never leaves the domain.
    private_key: Mapped[str] = mapped_column(String(200))
    public_key: Mapped[str] = mapped_column(String(64))
    # Withdrawn at once (a leak: `rotate-ticket-key --retire-old`): it neither signs nor
    # verifies any more, and its tickets were signed again with the next key.
    retired_at: Mapped[datetime | None]


class Ticket(IdMixin, TimestampMixin, Base):
    """One seat of a BOOKED booking, with the signed string a scanner verifies offline."""

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("booking_id", "seat_id"),
        Index("ix_tickets_show_id_revoked_at", "show_id", "revoked_at"),
        Index("ix_tickets_show_id_status", "show_id", "status"),
        # Which keys still have tickets that open a door (the published keys).
        Index("ix_tickets_kid_valid_until", "kid", "valid_until"),
    )

    booking_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bookings.id"))
    show_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shows.id"))
    seat_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("seats.id"))
    seat_label: Mapped[str] = mapped_column(String(10))
    seat_type: Mapped[str] = mapped_column(String(20))
    status: Mapped[TicketStatus] = mapped_column(str_enum(TicketStatus))
    kid: Mapped[str] = mapped_column(String(40))
    qr: Mapped[str] = mapped_column(String(600))
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime]
    checked_in_at: Mapped[datetime | None]
    gate: Mapped[str | None] = mapped_column(String(40))
    checked_in_by: Mapped[str | None] = mapped_column(String(100))
    revoked_at: Mapped[datetime | None]


class CheckinAnswer(Base):
    """The first answer to a scan carrying a nonce: an offline scanner uploading the same scan
    again gets exactly this back."""

    __tablename__ = "checkin_answers"

    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(100), primary_key=True)
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime]
