"""The counter's request and response shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict

from boxoffice.accounts.schemas import Email, Name, Phone
from boxoffice.bookings.schemas import BookingOut, HoldRequest, ShowSummaryOut
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


class SaleRequest(HoldRequest):
    """These seats (`seat_ids`), or the best `quantity` (optionally of a `seat_type`, at most
    `max_price` each), as a hold asks for them, paid at once. `shift_id`: the caller's open
    shift (the one it has, when left out)."""

    payment: Payment
    customer: Customer | None = None
    shift_id: uuid.UUID | None = None


class RefundRequest(BaseModel):
    """Refund these seats of a counter sale (all that it still holds, without); a sale of a
    cancelled show is paid back whole (no `seat_ids`)."""

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


class CounterSaleOut(BookingOut):
    """A counter sale: the booking (`channel: "counter"`, its `show`), what was paid and given
    back at the counter (`movements`), the `change` handed back; with `quantity`, whether its
    seats are side by side; what the counter `owed` its customer back, its show cancelled (paid
    back through its refund)."""

    movements: list[MovementOut]
    change: int | None = None
    adjacent: bool | None = None
    owed: int = 0


class OwedOut(BaseModel):
    """A counter sale of a cancelled show not yet paid back: its `seats` (labels) as the show's
    cancellation gave them back, the `amount` owed, to be paid back by `method`."""

    booking_id: uuid.UUID
    code: str
    show_id: uuid.UUID
    show: ShowSummaryOut | None
    seats: list[str]
    amount: int
    currency: str
    method: Method
    cancelled_at: datetime | None


class OwedList(BaseModel):
    items: list[OwedOut]


def movement_document(movement: Any) -> dict[str, Any]:
    return MovementOut.model_validate(movement, from_attributes=True).model_dump(mode="json")
