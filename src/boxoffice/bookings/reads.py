"""Reading bookings: a booking with its seats and history, whose it is, the lists. (A booking's
answer adds its payment and refunds from above both domains: `boxoffice.views.bookings`.)"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.accounts.principal import Principal
from boxoffice.bookings import repository
from boxoffice.bookings.errors import BookingNotFound, ShowNotFound
from boxoffice.bookings.models import Booking, BookingSeat, BookingStatus, BookingTransition
from boxoffice.bookings.policy import policy_of
from boxoffice.catalogue.seat_labels import seat_order
from boxoffice.catalogue.summaries import ShowSummary, show_summaries
from boxoffice.db.engine import session_settings
from boxoffice.money.cancellation import Tier


@dataclass
class BookingView:
    """A booking with what the bookings domain knows of it: of a BOOKED one, also its show's
    start and its cancellation policy, for the quote of what cancelling it gives back; and its
    show as the answer names it (`catalogue.summaries`)."""

    booking: Booking
    seats: list[BookingSeat]
    history: list[BookingTransition]
    starts_at: datetime | None = None
    policy: tuple[Tier, ...] = ()
    show: ShowSummary | None = None


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
    """Seats, history and shows for a page of bookings: three queries, whatever the page (a
    BOOKED one's show start, for its cancellation quote, is the summary's)."""
    ids = [booking.id for booking in bookings]
    if not ids:
        return []
    seats = await repository.seats_of(session, ids)
    history = await repository.history_of(session, ids)
    shows = await show_summaries(session, {booking.show_id for booking in bookings})
    settings = session_settings(session)
    views = []
    for booking in bookings:
        view = BookingView(booking, seats[booking.id], history[booking.id])
        view.show = shows[booking.show_id]
        if booking.status is BookingStatus.BOOKED:
            view.starts_at = datetime.fromisoformat(view.show["starts_at"])
            view.policy = policy_of(booking, settings)
        views.append(view)
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
