from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from boxoffice.text import Text40, Text100, Text1000
from boxoffice.tickets.models import Ticket


class TicketOut(BaseModel):
    id: uuid.UUID
    booking_id: uuid.UUID
    show_id: uuid.UUID
    seat_label: str
    seat_type: str
    starts_at: datetime
    status: Literal["VALID", "CHECKED_IN", "REVOKED"]
    qr: str
    checked_in_at: datetime | None = None
    gate: str | None = None
    revoked_at: datetime | None = None

    @classmethod
    def of(cls, ticket: Ticket, starts_at: datetime) -> TicketOut:
        return cls(
            id=ticket.id,
            booking_id=ticket.booking_id,
            show_id=ticket.show_id,
            seat_label=ticket.seat_label,
            seat_type=ticket.seat_type,
            starts_at=starts_at,
            status=ticket.status.value,
            qr=ticket.qr,
            checked_in_at=ticket.checked_in_at,
            gate=ticket.gate,
            revoked_at=ticket.revoked_at,
        )


class TicketList(BaseModel):
    items: list[TicketOut]


class PublicKey(BaseModel):
    kid: str
    alg: Literal["Ed25519"] = "Ed25519"
    public_key: str  # base64url of the raw 32-byte key


class PublicKeys(BaseModel):
    keys: list[PublicKey]


class CheckinRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    qr: Text1000
    gate: Text40 | None = None
    nonce: Text100 | None = None


class CheckinOut(BaseModel):
    result: Literal["ok"]
    ticket: TicketOut
    checked_in_at: datetime
    gate: str | None
    admitted: int = Field(description="tickets of the show admitted so far, this one included")


class RevokedTicket(BaseModel):
    ticket_id: uuid.UUID
    revoked_at: datetime


class RevokedTickets(BaseModel):
    items: list[RevokedTicket]
