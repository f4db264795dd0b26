from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, model_validator

from boxoffice.bookings import rules
from boxoffice.bookings.best_available import Wanted
from boxoffice.bookings.codes import booking_code
from boxoffice.bookings.reads import BookingView
from boxoffice.catalogue.schemas import SeatTypeCode


class HoldRequest(BaseModel):
    """These seats (`seat_ids`), or the best `quantity` seats the server finds, optionally of
    one `seat_type` and at most `max_price` each: exactly one of `seat_ids` and `quantity`."""

    model_config = ConfigDict(extra="forbid")

    show_id: uuid.UUID
    # The upper bounds here only stop absurd bodies; MAX_SEATS_PER_BOOKING is checked by the
    # route.
    seat_ids: list[uuid.UUID] | None = Field(None, min_length=1, max_length=100)
    quantity: Annotated[int, Strict(), Field(ge=1, le=100)] | None = None
    seat_type: SeatTypeCode | None = None
    max_price: Annotated[int, Strict(), Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _seats_or_quantity(self) -> HoldRequest:
        if (self.seat_ids is None) == (self.quantity is None):
            raise ValueError("give either seat_ids or quantity (exactly one of them)")
        if self.seat_ids is not None and (self.seat_type or self.max_price is not None):
            raise ValueError("seat_type and max_price go with quantity, not with seat_ids")
        return self

    @property
    def wanted(self) -> Wanted | None:
        """What best available is asked for; None for the seat ids form."""
        if self.quantity is None:
            return None
        return Wanted(self.quantity, self.seat_type, self.max_price)


class BookedSeat(BaseModel):
    seat_id: str
    label: str
    seat_type: str
    price: int


class Customer(BaseModel):
    kind: Literal["user", "guest"]
    id: str


class HistoryEntry(BaseModel):
    model_config = ConfigDict(serialize_by_alias=True, populate_by_name=True)

    from_: str | None = Field(alias="from")
    to: str
    at: datetime
    reason: str


class PaymentInfo(BaseModel):
    provider: str
    order_id: str
    payment_id: str | None
    amount: int
    currency: str
    status: str


class RefundInfo(BaseModel):
    id: str
    amount: int
    status: str
    created_at: datetime
    attempts: int = 0
    last_error: str | None = None


class BookingOut(BaseModel):
    id: str
    code: str = Field(description="the short code a customer reads out (`bookings.codes`)")
    status: str
    show_id: str
    expires_at: datetime | None
    seats: list[BookedSeat]
    amount_total: int
    currency: str
    customer: Customer
    created_at: datetime
    history: list[HistoryEntry]
    payment: PaymentInfo | None = None
    refunds: list[RefundInfo] = []

    @classmethod
    def of(cls, view: BookingView, now: datetime) -> BookingOut:
        return cls.model_validate(booking_document(view, now))


class ChosenBookingOut(BookingOut):
    """A hold of the best available seats: the booking, and whether its seats are side by side
    in one row (false: no row had that many together)."""

    adjacent: bool


def booking_document(view: BookingView, now: datetime) -> dict[str, Any]:
    """The booking's API shape (`BookingOut`) as plain JSON-ready data, as far as bookings know
    it: the one place that does. The sale path encodes it directly; `boxoffice.views.bookings`
    adds the payment and refunds to it."""
    booking = view.booking
    status = rules.effective_status(booking.status, booking.expires_at, now)
    return {
        "id": str(booking.id),
        "code": booking_code(booking.id),
        "status": status.value,
        "show_id": str(booking.show_id),
        "expires_at": iso(booking.expires_at) if status is rules.PENDING else None,
        "seats": [
            {
                "seat_id": str(s.seat_id),
                "label": s.label,
                "seat_type": s.seat_type,
                "price": s.price,
            }
            for s in view.seats
        ],
        "amount_total": booking.amount_total,
        "currency": booking.currency,
        "customer": {"kind": "user", "id": str(booking.user_id)}
        if booking.user_id
        else {"kind": "guest", "id": str(booking.guest_id)},
        "created_at": iso(booking.created_at),
        "history": [
            {
                "from": t.from_status.value if t.from_status else None,
                "to": t.to_status.value,
                "at": iso(t.at),
                "reason": t.reason,
            }
            for t in view.history
        ],
        # What payments know of it (`boxoffice.views.bookings` fills them in, above both domains).
        "payment": None,
        "refunds": [],
    }


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 as Pydantic writes it, so every route renders instants alike (UTC as "Z")."""
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


class BookingList(BaseModel):
    items: list[BookingOut]
    limit: int
    offset: int
