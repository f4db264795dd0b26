"""A booking's life after its hold: cancel, expire, confirm, and the cancellation of a show.

Services never commit: the request's unit of work (or the worker's) does. Every status change
goes through `transition`, a compare-and-set on the status plus a history row, so two requests
racing on one booking (cancel vs. payment, two sweepers) cannot both win.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice import events, metrics
from boxoffice.accounts.dependencies import Principal
from boxoffice.bookings import repository, rules
from boxoffice.bookings.errors import IllegalTransition, NotCancellable
from boxoffice.bookings.events import BookingStatusChanged
from boxoffice.bookings.holds import (
    CANCEL_REASON,
    HoldStore,
    Release,
    history_row,
    released_view,
)
from boxoffice.bookings.models import Booking, BookingStatus
from boxoffice.bookings.reads import BookingView, load_views, owned_booking
from boxoffice.config import Settings


def release_of(principal: Principal, booking_id: uuid.UUID, now: datetime) -> Release:
    """The cancel of a hold, as a store's one-step release takes it."""
    return Release(
        booking_id, principal.kind.value, principal.id, principal.is_admin, now, principal.actor
    )


def hold_cancel_reacts() -> bool:
    """Whether anything reacts to a hold's cancellation (see `boxoffice.events.reacts`): when
    nothing does, a store's release needs no transaction of ours for a reaction to join."""
    return events.reacts(
        BookingStatusChanged, previous=BookingStatus.PENDING, status=BookingStatus.CANCELLED
    )


async def cancel_booking(
    session: AsyncSession,
    store: HoldStore,
    principal: Principal,
    booking_id: uuid.UUID,
    now: datetime,
    settings: Settings,
    *,
    release_tried: bool = False,
) -> BookingView:
    """PENDING: releases the seats. BOOKED: releases them and refunds (until the cut-off).
    `release_tried`: the store's one-step release was just tried on its own, and found no live
    hold of the caller's."""
    if not release_tried:
        # The on-sale case, a live hold given up, is one step of the store's; anything else (a
        # paid booking and its refund, or a refusal to explain) goes the general way below.
        released = await store.release(release_of(principal, booking_id, now), session)
        if released is not None:
            view = released_view(booking_id, released, now)
            await events.publish(
                session,
                BookingStatusChanged(
                    view.booking, BookingStatus.PENDING, BookingStatus.CANCELLED, now, CANCEL_REASON
                ),
            )
            return view
    booking = await owned_booking(session, principal, booking_id, for_update=True)
    status = rules.effective_status(booking.status, booking.expires_at, now)
    if status is BookingStatus.BOOKED:
        show = await repository.get_show(session, booking.show_id)
        assert show is not None
        cutoff = show.starts_at - timedelta(minutes=settings.cancellation_cutoff_minutes)
        if now > cutoff and not principal.is_admin:
            raise NotCancellable(
                f"Bookings can be cancelled until {settings.cancellation_cutoff_minutes} "
                "minutes before the show starts.",
                cancellable_until=cutoff.isoformat(),
            )
    # A paid booking's refund is the payments domain's reaction to the transition's event.
    await transition(session, booking, BookingStatus.CANCELLED, now, CANCEL_REASON, principal.actor)
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
        session, [history_row(booking.id, previous, target, at, reason, actor)]
    )
    await events.publish(session, BookingStatusChanged(booking, previous, target, at, reason))


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


async def cancel_show_batch(
    session: AsyncSession, show_id: uuid.UUID, actor: str, now: datetime, batch_size: int
) -> int:
    """Cancels one batch of the live bookings of a cancelled show; returns how many.

    The batch's bookings are locked (skipping rows another process holds: it is cancelling
    them, or a customer is changing one, and the next batch sees it), moved to CANCELLED through
    `transition` (so every reaction happens: a paid booking's refund is recorded by the payments
    domain), and their seats freed. Its caller commits each batch (`boxoffice.dependencies.
    in_batches`), so a show of any size is cancelled in short transactions, by several processes
    at once if need be, and a crash loses at most the batch in flight.
    """
    batch = await repository.live_bookings_of_show(session, show_id, now, batch_size)
    for booking in batch:
        await transition(session, booking, BookingStatus.CANCELLED, now, "show cancelled", actor)
    await repository.release_seats(session, [booking.id for booking in batch])
    return len(batch)


async def shows_left_cancelling(session: AsyncSession, now: datetime) -> list[uuid.UUID]:
    """Cancelled shows whose cancellation did not reach every booking (its process died)."""
    return await repository.cancelled_shows_with_live_bookings(session, now, 50)
