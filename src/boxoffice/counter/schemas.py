"""The counter's request and response shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, model_validator

from boxoffice.accounts.schemas import Email, Name, Phone
from boxoffice.bookings.best_available import Wanted
from boxoffice.bookings.schemas import BookingOut
from boxoffice.catalogue.schemas import SeatTypeCode
from boxoffice.counter.models import Method
from boxoffice.text import Text100

Paise = Annotated[int, Strict(), Field(ge=0, le=100_000_000)]


class ShiftOpen(BaseModel):
    """A shift at a theatre's counter, with the cash in the drawer at its start (`float`)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    theatre_id: uuid.UUID
    opening_float: Paise = Field(alias="float")


class MethodTotals(BaseModel):
    CASH: int = 0
    CARD: int = 0
    UPI: int = 0


class ShiftOut(BaseModel):
    """A shift: `totals` per method are its sales minus its refunds; `expected_cash` what the
    drawer should hold (the float and the cash net), final once it is CLOSED."""

    model_config = ConfigDict(populate_by_name=True)

    id: uuid.UUID
    theatre_id: uuid.UUID
    cashier_id: uuid.UUID
    status: Literal["OPEN", "CLOSED"]
    opening_float: int = Field(serialization_alias="float")
    currency: str
    opened_at: datetime
    closed_at: datetime | None
    expected_cash: int
    totals: MethodTotals
    sales: MethodTotals
    refunds: MethodTotals
    sales_count: int
    refunds_count: int


class ShiftList(BaseModel):
    items: list[ShiftOut]


class Payment(BaseModel):
    """`CASH` with the cash `tendered` (the total when left out); `CARD` or `UPI` with the
    terminal's or the UPI app's `reference`."""

    model_config = ConfigDict(extra="forbid")

    method: Method
    reference: Text100 | None = None
    tendered: Paise | None = None


class Customer(BaseModel):
    """Who bought, when they say (a walk-in need not): named on the invoice, emailed if any."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None


class SaleRequest(BaseModel):
    """These seats (`seat_ids`), or the best `quantity` (optionally of a `seat_type`, at most
    `max_price` each), paid at once. `shift_id`: the caller's open shift (the one it has, when
    left out)."""

    model_config = ConfigDict(extra="forbid")

    show_id: uuid.UUID
    seat_ids: list[uuid.UUID] | None = Field(None, min_length=1, max_length=100)
    quantity: Annotated[int, Strict(), Field(ge=1, le=100)] | None = None
    seat_type: SeatTypeCode | None = None
    max_price: Paise | None = None
    payment: Payment
    customer: Customer | None = None
    shift_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _seats_or_quantity(self) -> SaleRequest:
        if (self.seat_ids is None) == (self.quantity is None):
            raise ValueError("give either seat_ids or quantity (exactly one of them)")
        if self.seat_ids is not None and (self.seat_type or self.max_price is not None):
            raise ValueError("seat_type and max_price go with quantity, not with seat_ids")
        return self

    @property
    def wanted(self) -> Wanted | None:
        return (
            None if self.quantity is None else Wanted(self.quantity, self.seat_type, self.max_price)
        )


class RefundRequest(BaseModel):
    """Refund these seats of a counter sale (all that it still holds, without)."""

    model_config = ConfigDict(extra="forbid")

    seat_ids: list[uuid.UUID] | None = Field(None, min_length=1, max_length=100)
    shift_id: uuid.UUID | None = None


class MovementOut(BaseModel):
    id: uuid.UUID
    shift_id: uuid.UUID
    kind: Literal["SALE", "REFUND"]
    method: Method
    amount: int
    tendered: int | None
    change: int | None
    reference: str | None
    at: datetime


class ShowSummary(BaseModel):
    movie_title: str
    theatre_name: str
    screen_name: str
    starts_at: datetime
    timezone: str


class CounterSaleOut(BookingOut):
    """A counter sale: the booking (`channel: "counter"`), what was paid and given back at the
    counter (`movements`), its show; with `quantity`, whether its seats are side by side."""

    movements: list[MovementOut]
    change: int | None = None
    show: ShowSummary
    adjacent: bool | None = None


def movement_document(movement: Any) -> dict[str, Any]:
    return MovementOut.model_validate(movement, from_attributes=True).model_dump(mode="json")
