from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, model_validator

from boxoffice.bookings import rules
from boxoffice.bookings.best_available import Wanted
from boxoffice.bookings.charges import seat_line
from boxoffice.bookings.codes import booking_code
from boxoffice.bookings.models import BookingSeat
from boxoffice.bookings.policy import quote_now
from boxoffice.bookings.reads import BookingView
from boxoffice.catalogue.schemas import SeatTypeCode
from boxoffice.money.charges import columns_of
from boxoffice.money.tax import Subtotal, charges_of


class HoldRequest(BaseModel):
    """These seats (`seat_ids`), or the best `quantity` seats the server finds, or the best
    `accessible` wheelchair places, each with its companion seat when that is free (SPEC "Back
    office"; `bookings.best_available`); the last two optionally of one `seat_type` and at most
    `max_price` each. Exactly one of `seat_ids`, `quantity` and `accessible`."""

    model_config = ConfigDict(extra="forbid")

    show_id: uuid.UUID
    # The upper bounds here only stop absurd bodies; MAX_SEATS_PER_BOOKING is checked by the
    # route.
    seat_ids: list[uuid.UUID] | None = Field(None, min_length=1, max_length=100)
    quantity: Annotated[int, Strict(), Field(ge=1, le=100)] | None = None
    accessible: Annotated[int, Strict(), Field(ge=1, le=50)] | None = Field(
        None,
        description="wheelchair places, each held with a companion seat next to it when one is "
        "free (a place whose companion is taken is still held, alone: `adjacent` is then false)",
    )
    seat_type: SeatTypeCode | None = None
    max_price: Annotated[int, Strict(), Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _seats_or_quantity(self) -> HoldRequest:
        forms = (self.seat_ids, self.quantity, self.accessible)
        if sum(form is not None for form in forms) != 1:
            raise ValueError("give one of seat_ids, quantity and accessible (exactly one of them)")
        if self.seat_ids is not None and (self.seat_type or self.max_price is not None):
            raise ValueError("seat_type and max_price go with quantity, not with seat_ids")
        return self

    @property
    def wanted(self) -> Wanted | None:
        """What best available is asked for; None for the seat ids form."""
        if self.accessible is not None:
            return Wanted(self.accessible, self.seat_type, self.max_price, accessible=True)
        if self.quantity is None:
            return None
        return Wanted(self.quantity, self.seat_type, self.max_price)

    @property
    def most_seats(self) -> int:
        """The most seats the hold may take: a wheelchair place comes with its companion."""
        if self.seat_ids is not None:
            return len(self.seat_ids)
        if self.accessible is not None:
            return 2 * self.accessible
        assert self.quantity is not None
        return self.quantity


class CancelRequest(BaseModel):
    """Cancel only these seats of a BOOKED booking (the booking stays BOOKED with the rest;
    all that it still holds cancels it); without a body, the whole booking."""

    model_config = ConfigDict(extra="forbid")

    seat_ids: list[uuid.UUID] = Field(min_length=1, max_length=100)


class BookedSeat(BaseModel):
    """A seat with its price and what it comes to (SPEC "Shapes"): the ticket's taxable value,
    GST rate and halves, its total, and the convenience fee with the fee's GST on top."""

    seat_id: str
    label: str
    seat_type: str
    price: int
    taxable: int
    tax_rate_bp: int
    cgst: int
    sgst: int
    ticket_total: int
    fee: int
    fee_rate_bp: int
    fee_cgst: int
    fee_sgst: int


class CancelledSeat(BookedSeat):
    """A seat given back while the booking stayed BOOKED: when, and what it gave back."""

    cancelled_at: datetime
    refund: int


class SubtotalOut(BaseModel):
    taxable: int
    cgst: int
    sgst: int
    total: int


class ChargesOut(BaseModel):
    """The booking's sums of its seats' lines, tickets apart from fees; `grand_total` is what
    it costs (= `amount_total`, what the payment order asks)."""

    tickets: SubtotalOut
    fees: SubtotalOut
    grand_total: int


class PolicyTierOut(BaseModel):
    """A tier of the cancellation policy the booking froze when its seats were held: its
    customer gets `refund_bp` of the tickets back until `until_minutes_before` the show."""

    until_minutes_before: int
    refund_bp: int


class CancellationOut(BaseModel):
    """What cancelling the whole booking now gives back by its policy: `refund_now` while
    `allowed`, until `until` (the current tier's end); after `cancellable_until` it cannot be
    cancelled by its customer."""

    allowed: bool
    refund_now: int
    until: datetime | None
    cancellable_until: datetime | None
    refund_bp: int


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


class ShowSummaryOut(BaseModel):
    """The booking's show as a ticket names it: `starts_at` in the theatre's own offset."""

    movie_title: str
    theatre_name: str
    screen_name: str
    starts_at: datetime
    timezone: str
    format: str
    language: str
    subtitles: str | None = None


class BookingOut(BaseModel):
    id: str
    code: str = Field(description="the short code a customer reads out (`bookings.codes`)")
    status: str
    show_id: str
    show: ShowSummaryOut | None = None
    expires_at: datetime | None
    seats: list[BookedSeat]
    cancelled_seats: list[CancelledSeat] = []
    amount_total: int
    charges: ChargesOut
    currency: str
    customer: Customer
    created_at: datetime
    history: list[HistoryEntry]
    payment: PaymentInfo | None = None
    refunds: list[RefundInfo] = []
    cancellation_policy: list[PolicyTierOut] | None = None
    cancellation: CancellationOut | None = None

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
        "show": view.show,
        "expires_at": iso(booking.expires_at) if status is rules.PENDING else None,
        "seats": [_seat(s) for s in view.seats if s.cancelled_at is None],
        "cancelled_seats": [
            {**_seat(s), "cancelled_at": iso(s.cancelled_at), "refund": s.refunded or 0}
            for s in view.seats
            if s.cancelled_at is not None
        ],
        "amount_total": booking.amount_total,
        "charges": _charges(view.seats),
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
        "cancellation_policy": booking.cancellation_policy,
        "cancellation": _cancellation(view, now) if status is rules.BOOKED else None,
    }


def _cancellation(view: BookingView, now: datetime) -> dict[str, Any] | None:
    """What its customer cancelling the whole booking now would get back, by its policy."""
    if view.starts_at is None:
        return None
    held = [seat for seat in view.seats if seat.cancelled_at is None]
    quote, refund = quote_now(view.policy, view.starts_at, now, held)
    return {
        "allowed": quote.allowed,
        "refund_now": refund,
        "until": iso(quote.refund_until),
        "cancellable_until": iso(quote.cancellable_until),
        "refund_bp": quote.refund_bp,
    }


def _seat(seat: BookingSeat) -> dict[str, Any]:
    return {
        "seat_id": str(seat.seat_id),
        "label": seat.label,
        "seat_type": seat.seat_type,
        "price": seat.price,
        **columns_of(seat_line(seat)),
    }


def _charges(seats: Sequence[BookingSeat]) -> dict[str, Any]:
    """The sums of every seat's line as sold (seats given back since included: the booking's
    invoice; its credit notes and refunds say what went back)."""
    charges = charges_of([seat_line(seat) for seat in seats])
    return {
        "tickets": _subtotal(charges.tickets),
        "fees": _subtotal(charges.fees),
        "grand_total": charges.grand_total,
    }


def _subtotal(subtotal: Subtotal) -> dict[str, int]:
    return {
        "taxable": subtotal.taxable,
        "cgst": subtotal.cgst,
        "sgst": subtotal.sgst,
        "total": subtotal.total,
    }


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 as Pydantic writes it, so every route renders instants alike (UTC as "Z")."""
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


class BookingList(BaseModel):
    items: list[BookingOut]
    limit: int
    offset: int
