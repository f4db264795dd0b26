"""Rules of the booking lifecycle: hold, read, cancel, expire, confirm.

Services never commit: the request's unit of work (or the worker's) does. Every status change
goes through `_transition`, a compare-and-set on the status plus a history row, so two requests
racing on one booking (cancel vs. payment, two sweepers) cannot both win.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from boxoffice import events, metrics
from boxoffice.accounts.dependencies import Principal
from boxoffice.bookings import repository, rules
from boxoffice.bookings.errors import (
    BookingNotFound,
    CancellationClosed,
    IllegalTransition,
    SeatsUnavailable,
    ShowNotFound,
    ShowNotOnSale,
    TooManyHolds,
    UnknownSeats,
)
from boxoffice.bookings.events import BookingStatusChanged
from boxoffice.bookings.models import Booking, BookingSeat, BookingStatus, BookingTransition
from boxoffice.catalogue.models import Show, ShowStatus
from boxoffice.clock import Clock
from boxoffice.config import Settings
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


async def hold_seats(
    session: AsyncSession,
    principal: Principal,
    show_id: uuid.UUID,
    seat_ids: Sequence[uuid.UUID],
    now: datetime,
    settings: Settings,
) -> BookingView:
    """Holds all of `seat_ids` for the caller, or none (SPEC invariants 1 and 2).

    Three statements on the way to a 201: lock the customer and read the show; claim the seats
    (only while the customer is under the live-hold cap); write the booking.
    """
    kind = principal.kind.value
    cap = settings.max_pending_bookings_per_customer
    # The customer's row lock serialises one customer's concurrent holds, so the cap that the
    # claim checks (with a fresh snapshot, after this lock) cannot be raced past.
    show = await repository.lock_customer_and_get_show(session, kind, principal.id, show_id)
    if show is None:
        raise ShowNotFound()
    _ensure_on_sale(show, now)

    booking_id = uuid.uuid4()
    expires_at = now + timedelta(seconds=settings.hold_ttl_seconds)
    claimed = await repository.claim_seats(
        session,
        show_id,
        seat_ids,
        booking_id,
        expires_at,
        now,
        customer=(kind, principal.id, cap),
    )
    if len(claimed) != len(seat_ids):
        # Raising rolls the whole transaction back, so the seats we did get are not kept.
        await _refuse_hold(
            session, show_id, seat_ids, {row.seat_id for row in claimed}, principal, now, cap
        )

    seats = [
        BookingSeat(
            booking_id=booking_id,
            seat_id=row.seat_id,
            label=row.label,
            seat_type=row.seat_type,
            price=row.price,
        )
        for row in claimed
    ]
    booking = Booking(
        id=booking_id,
        show_id=show_id,
        user_id=principal.id if kind == "user" else None,
        guest_id=principal.id if kind == "guest" else None,
        status=BookingStatus.PENDING,
        amount_total=sum(seat.price for seat in seats),
        currency=show.currency,
        expires_at=expires_at,
        created_at=now,
        updated_at=now,
    )
    first = _history_row(
        booking_id, None, BookingStatus.PENDING, now, "seats held", principal.actor
    )
    await repository.insert_booking(session, booking, seats, first)
    metrics.HOLDS.labels("held").inc()
    return BookingView(booking, sorted(seats, key=lambda s: s.label), [first])


def _ensure_on_sale(show: Show, now: datetime) -> None:
    if show.status is not ShowStatus.SCHEDULED:
        raise ShowNotOnSale("This show was cancelled.")
    if show.starts_at <= now:
        raise ShowNotOnSale("This show has already started.")


async def _refuse_hold(
    session: AsyncSession,
    show_id: uuid.UUID,
    seat_ids: Sequence[uuid.UUID],
    claimed: set[uuid.UUID],
    principal: Principal,
    now: datetime,
    cap: int,
) -> None:
    """Says why a claim came back short (the cold path: a few more queries are fine here)."""
    live_holds = await repository.live_holds(
        session, show_id, principal.kind.value, principal.id, now
    )
    if live_holds >= cap:
        metrics.HOLDS.labels("too_many_holds").inc()
        raise TooManyHolds(
            f"You already hold seats in {live_holds} pending bookings for this show; "
            "pay for or cancel one first.",
            max_pending_bookings=cap,
        )
    existing = await repository.existing_seat_ids(session, show_id, seat_ids)
    unknown = [seat_id for seat_id in seat_ids if seat_id not in existing]
    if unknown:
        metrics.HOLDS.labels("unknown_seats").inc()
        raise UnknownSeats(
            "These seat ids are not seats of this show.",
            unknown_seat_ids=[str(seat_id) for seat_id in unknown],
        )
    unavailable = [seat_id for seat_id in seat_ids if seat_id not in claimed]
    metrics.HOLDS.labels("conflict").inc()
    raise SeatsUnavailable(
        "Some of the seats are held or booked by someone else; nothing was held.",
        unavailable_seat_ids=[str(seat_id) for seat_id in unavailable],
    )


async def get_booking(
    session: AsyncSession, principal: Principal, booking_id: uuid.UUID
) -> BookingView:
    booking = await _owned_booking(session, principal, booking_id)
    return (await load_views(session, [booking]))[0]


async def _owned_booking(
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


async def cancel_booking(
    session: AsyncSession,
    principal: Principal,
    booking_id: uuid.UUID,
    now: datetime,
    settings: Settings,
) -> BookingView:
    """PENDING: releases the seats. BOOKED: releases them and refunds (until the cut-off)."""
    booking = await _owned_booking(session, principal, booking_id, for_update=True)
    status = rules.effective_status(booking.status, booking.expires_at, now)
    if status is BookingStatus.BOOKED:
        show = await repository.get_show(session, booking.show_id)
        assert show is not None
        cutoff = show.starts_at - timedelta(minutes=settings.cancellation_cutoff_minutes)
        if now > cutoff and not principal.is_admin:
            raise CancellationClosed(
                f"Bookings can be cancelled until {settings.cancellation_cutoff_minutes} "
                "minutes before the show starts.",
                cancellable_until=cutoff.isoformat(),
            )
    # A paid booking's refund is the payments domain's reaction to the transition's event.
    await transition(
        session, booking, BookingStatus.CANCELLED, now, "booking cancelled", principal.actor
    )
    await repository.release_seats(session, [booking.id])
    return (await load_views(session, [booking]))[0]


async def transition(
    session: AsyncSession,
    booking: Booking,
    target: BookingStatus,
    now: datetime,
    reason: str,
    actor: str | None,
    *,
    expires_at: datetime | None = None,
) -> None:
    """Moves the booking to `target` if that is legal from what it is now; records it.

    The status is compared-and-set in the database, so of two racing changes one wins and the
    other gets 409 with nothing changed.
    """
    current = rules.effective_status(booking.status, booking.expires_at, now)
    if not rules.is_legal(current, target):
        raise IllegalTransition(
            f"A {current.value} booking cannot become {target.value}.",
            current_status=current.value,
        )
    stored = booking.status
    if current is not stored:
        # A hold that ran out but was not swept yet: record its expiry first, as the sweeper would.
        await _set_status(session, booking, current, now, stored, "hold expired", "system")
        stored = current
    await _set_status(session, booking, target, now, stored, reason, actor, expires_at=expires_at)


async def _set_status(
    session: AsyncSession,
    booking: Booking,
    target: BookingStatus,
    now: datetime,
    expected: BookingStatus,
    reason: str,
    actor: str | None,
    *,
    expires_at: datetime | None = None,
) -> None:
    previous = booking.status
    at = now
    if target is BookingStatus.EXPIRED and booking.expires_at is not None:
        # Keep when it ran out; that is also when the expiry happened, whoever records it later.
        expires_at = at = booking.expires_at
    if not await repository.set_status(
        session, booking, target, now, expected=expected, expires_at=expires_at
    ):
        raise IllegalTransition("The booking was changed by another request; reload it.")
    await repository.insert_transitions(
        session, [_history_row(booking.id, previous, target, at, reason, actor)]
    )
    await events.publish(session, BookingStatusChanged(booking, previous, target, at, reason))


def _history_row(
    booking_id: uuid.UUID,
    previous: BookingStatus | None,
    target: BookingStatus,
    now: datetime,
    reason: str,
    actor: str | None,
) -> BookingTransition:
    return BookingTransition(
        id=uuid.uuid4(),
        booking_id=booking_id,
        from_status=previous,
        to_status=target,
        at=now,
        reason=reason,
        actor=actor,
    )


async def confirm_seats(session: AsyncSession, booking: Booking, now: datetime) -> bool:
    """Turns the booking's hold into sold seats; re-claims them if the hold ran out meanwhile.

    False (and nothing kept) when any of its seats now belongs to another booking.
    """
    seat_ids = [
        seat.seat_id for seat in (await repository.seats_of(session, [booking.id]))[booking.id]
    ]
    claimed = await repository.claim_seats(
        session, booking.show_id, seat_ids, booking.id, None, now
    )
    if len(claimed) == len(seat_ids):
        return True
    if claimed:
        # Undo our partial claim: the seats we did get go back to being free.
        await repository.release_seats(session, [booking.id])
    return False


async def record_expiry(session: AsyncSession, booking: Booking, now: datetime) -> None:
    """Writes down that a run-out hold expired (as the sweeper would) and frees its seats."""
    if rules.effective_status(booking.status, booking.expires_at, now) is not BookingStatus.EXPIRED:
        return
    if booking.status is BookingStatus.PENDING:
        await _set_status(
            session,
            booking,
            BookingStatus.EXPIRED,
            now,
            BookingStatus.PENDING,
            "hold expired",
            "system",
        )
    await repository.release_seats(session, [booking.id])


async def sweep_expired(session: AsyncSession, now: datetime, batch_size: int) -> int:
    """Marks one batch of run-out holds EXPIRED and frees their seats: three statements."""
    expired = await repository.expire_batch(session, now, batch_size)
    if not expired:
        return 0
    await repository.record_expiries(session, expired)
    await repository.release_seats(session, expired)
    metrics.EXPIRIES_SWEPT.inc(len(expired))
    return len(expired)


async def cancel_show_bookings(
    sessionmaker: async_sessionmaker[Any],
    show_id: uuid.UUID,
    actor: str,
    clock: Clock,
    batch_size: int,
    after_batch: Callable[[AsyncSession], Awaitable[None]],
) -> int:
    """Cancels every live booking of a cancelled show, in batches that commit as they go.

    Each batch is its own short transaction: its bookings are locked (skipping rows another
    process holds), moved to CANCELLED through `transition` (so every reaction happens: a paid
    booking's refund is recorded by the payments domain), and their seats freed. `after_batch`
    then runs the batch's after-commit work (issuing its refunds) with no transaction open.
    Safe to run from several processes at once and to resume after a crash: what a killed
    process left is found by `boxoffice worker` (`resume_show_cancellations`).
    """
    total = 0
    while True:
        async with sessionmaker() as session:
            async with session.begin():
                now = clock.now()
                batch = await repository.live_bookings_of_show(session, show_id, now, batch_size)
                for booking in batch:
                    await transition(
                        session, booking, BookingStatus.CANCELLED, now, "show cancelled", actor
                    )
                await repository.release_seats(session, [booking.id for booking in batch])
            await after_batch(session)
        total += len(batch)
        if len(batch) < batch_size:
            return total


async def resume_show_cancellations(
    sessionmaker: async_sessionmaker[Any],
    clock: Clock,
    batch_size: int,
    after_batch: Callable[[AsyncSession], Awaitable[None]],
) -> int:
    """The worker's share: finishes cancelling shows whose cancelling process died."""
    async with sessionmaker() as session:
        shows = await repository.cancelled_shows_with_live_bookings(session, clock.now(), 50)
    total = 0
    for show_id in shows:
        total += await cancel_show_bookings(
            sessionmaker, show_id, "worker", clock, batch_size, after_batch
        )
    return total
