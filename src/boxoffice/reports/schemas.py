from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel


class SeatTypeReport(BaseModel):
    seat_type: str
    capacity: int
    booked: int
    held: int
    available: int
    net: int


class ShowReport(BaseModel):
    show_id: uuid.UUID
    capacity: int
    booked: int
    held: int
    available: int
    occupancy: float
    gross: int
    refunded: int
    net: int
    checked_in: int
    by_seat_type: list[SeatTypeReport]


class SalesDay(BaseModel):
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


class SalesTotals(BaseModel):
    tickets: int
    gross: int
    refunded: int
    net: int


class SalesReport(BaseModel):
    theatre_id: uuid.UUID
    days: list[SalesDay]
    by_movie: list[MovieSales]
    totals: SalesTotals
