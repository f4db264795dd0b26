"""Reading bookings: a booking with all that its answer shows, whose it is, the lists."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.accounts.dependencies import Principal
from boxoffice.bookings import repository
from boxoffice.bookings.errors import BookingNotFound, ShowNotFound
from boxoffice.bookings.models import Booking, BookingSeat, BookingTransition
from boxoffice.catalogue.seat_labels import seat_order
from boxoffice.money.charges import frozen_charge
from boxoffice.money.tax import SeatCharge, untaxed
from boxoffice.payments import repository as payments_repository
from boxoffice.payments.models import Payment, Refund


@dataclass
class BookingView:
    """A booking with everything its API shape shows."""

    booking: Booking
    seats: list[BookingSeat]
    history: list[BookingTransition]
    payment: Payment | None = None
    refunds: list[Refund] = field(default_factory=list)


def seat_line(seat: BookingSeat) -> SeatCharge:
    """The seat's line as its hold froze it (a seat from before charges were frozen: its price,
    untaxed, no fee, as migration 0014 wrote them)."""
    return frozen_charge(seat) or SeatCharge(seat.price, untaxed(seat.price), untaxed(0))


def line_total(seat: BookingSeat) -> int:
    """What the seat cost: its ticket and its fee, GST included."""
    return seat_line(seat).total


def in_seat_order(seats: Iterable[BookingSeat]) -> list[BookingSeat]:
    """A booking's seats as every answer lists them: by row, then number (H8 before H10)."""
    return sorted(seats, key=lambda seat: seat_order(seat.label))


async def get_booking(
    session: AsyncSession, principal: Principal, booking_id: uuid.UUID
) -> BookingView:
    booking = await owned_booking(session, principal, booking_id)
    return (await load_views(session, [booking]))[0]


async def owned_booking(
    session: AsyncSession, principal: Principal, booking_id: uuid.UUID, *, for_update: bool = False
) -> Booking:
    """The booking if the caller owns it or is an admin; otherwise 404, revealing nothing."""
    booking = await repository.get_booking(session, booking_id, for_update=for_update)
    if booking is None or not (principal.is_admin or owns(principal, booking)):
        raise BookingNotFound()
    return booking


def owns(principal: Principal, booking: Booking) -> bool:
    if principal.is_guest:
        return booking.guest_id == principal.id and booking.user_id is None
    return booking.user_id == principal.id


async def load_views(session: AsyncSession, bookings: Sequence[Booking]) -> list[BookingView]:
    """Seats, history and payments for a page of bookings: three queries, whatever the page."""
    ids = [booking.id for booking in bookings]
    if not ids:
        return []
    seats = await repository.seats_of(session, ids)
    history = await repository.history_of(session, ids)
    payments = await payments_repository.payments_of(session, ids)
    views = []
    for booking in bookings:
        payment, refunds = payments.get(booking.id, (None, []))
        views.append(BookingView(booking, seats[booking.id], history[booking.id], payment, refunds))
    return views


async def list_my_bookings(
    session: AsyncSession, principal: Principal, limit: int, offset: int
) -> list[BookingView]:
    bookings = await repository.list_for_customer(
        session, principal.kind.value, principal.id, limit, offset
    )
    return await load_views(session, bookings)


async def list_show_bookings(
    session: AsyncSession, show_id: uuid.UUID, limit: int, offset: int
) -> list[BookingView]:
    if await repository.get_show(session, show_id) is None:
        raise ShowNotFound()
    return await load_views(
        session, await repository.list_for_show(session, show_id, limit, offset)
    )
