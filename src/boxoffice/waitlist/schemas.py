"""Request and response shapes of the waiting list."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from boxoffice.text import Text20
from boxoffice.waitlist.models import WaitlistEntry
from boxoffice.waitlist.service import EntryView, JoinRequest


class JoinIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    party: int = Field(ge=1, le=100, description="seats wanted (at most MAX_SEATS_PER_BOOKING)")
    seat_type: Text20 | None = Field(default=None, description="only seats of this type")
    max_price: int | None = Field(default=None, ge=0, description="per seat, minor units")
    together: bool = Field(default=True, description="side by side in one row")

    def ask(self) -> JoinRequest:
        return JoinRequest(self.party, self.seat_type, self.max_price, self.together)


class OfferOut(BaseModel):
    booking_id: uuid.UUID = Field(description="a PENDING booking: pay it as any booking")
    expires_at: datetime | None
    offered_at: datetime | None


class CustomerOut(BaseModel):
    kind: str  # user | guest
    id: uuid.UUID


class EntryOut(BaseModel):
    id: uuid.UUID
    show_id: uuid.UUID
    status: str = Field(description="WAITING, OFFERED, BOOKED, DECLINED, LAPSED, LEFT, CLOSED")
    party: int
    seat_type: str | None
    max_price: int | None
    together: bool
    position: int | None = Field(
        description="while waiting: 1 + the entries ahead that want the same seats"
    )
    passed_over: int = Field(description="times a later entry was offered seats first")
    offer: OfferOut | None
    customer: CustomerOut
    created_at: datetime

    @classmethod
    def of(cls, view: EntryView) -> EntryOut:
        entry: WaitlistEntry = view.entry
        offer = (
            None
            if entry.booking_id is None
            else OfferOut(
                booking_id=entry.booking_id,
                expires_at=entry.offer_expires_at,
                offered_at=entry.offered_at,
            )
        )
        customer = (
            CustomerOut(kind="user", id=entry.user_id)
            if entry.user_id is not None
            else CustomerOut(kind="guest", id=entry.guest_id)
        )
        return cls(
            id=entry.id,
            show_id=entry.show_id,
            status=entry.status.value,
            party=entry.party,
            seat_type=entry.seat_type,
            max_price=entry.max_price,
            together=entry.together,
            position=view.position,
            passed_over=entry.passed_over,
            offer=offer,
            customer=customer,
            created_at=entry.created_at,
        )


class EntryList(BaseModel):
    show_id: uuid.UUID
    items: list[EntryOut]
    total: int
    limit: int
    offset: int
