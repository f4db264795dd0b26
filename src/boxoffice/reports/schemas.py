from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, Field


class SeatTypeReport(BaseModel):
    seat_type: str
    capacity: int
    booked: int
    held: int
    blocked: int = Field(description="off sale in this show (never also held or booked)")
    available: int
    net: int


class GrossSplit(BaseModel):
    """`gross` as the invoices (and receipts) split it: `taxable` (the tickets' taxable value)
    + `cgst` + `sgst` (on tickets and fees) + `fees` (the fees' taxable value). Money captured
    that booked nothing (refunded on arrival) is in `gross` only."""

    taxable: int
    cgst: int
    sgst: int
    fees: int


class ShowReport(GrossSplit):
    show_id: uuid.UUID
    currency: str
    capacity: int
    booked: int
    held: int
    blocked: int = Field(description="off sale in this show (never also held or booked)")
    available: int = Field(description="capacity - booked - held - blocked")
    occupancy: float
    gross: int
    refunded: int
    net: int
    checked_in: int
    by_seat_type: list[SeatTypeReport]


class SalesDay(GrossSplit):
    date: dt.date
    shows: int
    tickets: int
    gross: int
    refunded: int
    net: int
    occupancy: float


class MovieSales(BaseModel):
    movie_id: uuid.UUID
    title: str
    tickets: int
    net: int


class SalesTotals(GrossSplit):
    tickets: int
    gross: int
    refunded: int
    net: int


class SalesReport(BaseModel):
    theatre_id: uuid.UUID
    currency: str
    days: list[SalesDay]
    by_movie: list[MovieSales]
    totals: SalesTotals


class Tax(BaseModel):
    taxable: int
    cgst: int
    sgst: int


class CreditedTax(BaseModel):
    tickets: Tax
    fees: Tax


class GstRate(BaseModel):
    """One rate's supplies of the month, credit notes subtracted (`credited` says by how much)."""

    rate_bp: int
    tickets: Tax
    fees: Tax
    credited: CreditedTax


class NumberRangeOut(BaseModel):
    series: str  # TAX_INVOICE, RECEIPT, CREDIT_NOTE
    first: str
    last: str
    count: int


class GstReport(BaseModel):
    """A month's GST on a theatre's sales, as a GSTR-1 summary for consumers (B2C) wants it."""

    theatre_id: uuid.UUID
    month: str
    gstin: str | None
    currency: str
    rates: list[GstRate]
    totals: Tax
    documents: list[NumberRangeOut]
