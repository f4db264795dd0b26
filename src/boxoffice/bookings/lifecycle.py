"""A booking's life after its hold: cancel, expire, confirm, and the cancellation of a show.

Services never commit: the request's unit of work (or the worker's) does. Every status change
goes through `transition`, a compare-and-set on the status plus a history row, so two requests
racing on one booking (cancel vs. payment, two sweepers) cannot both win.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice import events, metrics
from boxoffice.accounts.principal import Principal
from boxoffice.bookings import policy, repository, rules
from boxoffice.bookings.errors import (
    IllegalTransition,
    NotCancellable,
    SeatsAlreadyCancelled,
    SeatsNotInBooking,
    SoldAtCounter,
)
from boxoffice.bookings.events import BookingSeatsCancelling, BookingStatusChanged, SeatsCancelled
from boxoffice.bookings.holds import (
    CANCEL_REASON,
    HoldStore,
    Release,
    history_row,
    released_view,
)
from boxoffice.bookings.models import Booking, BookingChannel, BookingSeat, BookingStatus
from boxoffice.bookings.reads import BookingView, load_views, owned_booking
from boxoffice.config import Settings
from boxoffice.money import cancellation

SHOW_CANCELLED = "show cancelled"


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
    seat_ids: Sequence[uuid.UUID] | None = None,
    release_tried: bool = False,
) -> BookingView:
    """PENDING: releases the seats. BOOKED: gives back all its seats, or `seat_ids` of them,
    refunded by its policy (`give_back`). `release_tried`: the store's one-step release was
    just tried on its own, and found no live hold of the caller's."""
    if seat_ids is None and not release_tried:
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
    # The booking's row first, then its seats: the lock order of every change of a booking.
    booking = await owned_booking(session, principal, booking_id, for_update=True)
    status = rules.effective_status(booking.status, booking.expires_at, now)
    if status is BookingStatus.BOOKED:
        if booking.channel is BookingChannel.COUNTER:
            raise SoldAtCounter(
                "This booking was sold at the theatre's counter: it is refunded there, in the "
                "way it was paid."
            )
        await give_back(session, booking, principal, now, settings, seat_ids)
    else:
        if seat_ids is not None:
            await _chosen_seats(session, booking, seat_ids)  # 422 for seats not in it, first
            raise IllegalTransition(
                f"Only a BOOKED booking can give back some of its seats; this one is "
                f"{status.value}.",
                current_status=status.value,
            )
        await transition(
            session, booking, BookingStatus.CANCELLED, now, CANCEL_REASON, principal.actor
        )
        await repository.release_seats(session, [booking.id])
    return (await load_views(session, [booking]))[0]


async def give_back(
    session: AsyncSession,
    booking: Booking,
    principal: Principal,
    now: datetime,
    settings: Settings,
    seat_ids: Sequence[uuid.UUID] | None,
) -> None:
    """A BOOKED booking (its row locked) gives back all its seats, or those of `seat_ids`: its
    customer gets back what its policy's tier gives now (409 `not-cancellable` after the last
    tier); an admin cancels for the theatre, everything back. Giving back every seat it still
    holds cancels it."""
    giving = await plan_give_back(
        session, booking, now, settings, seat_ids, by_theatre=principal.is_admin
    )
    await complete_give_back(session, booking, giving, now, principal.actor)


@dataclass(frozen=True)
class Giving:
    """Seats a BOOKED booking is about to give back, and what each gives back."""

    given: policy.GivenBack
    whole: bool  # every seat it still holds: the booking becomes CANCELLED


async def plan_give_back(
    session: AsyncSession,
    booking: Booking,
    now: datetime,
    settings: Settings,
    seat_ids: Sequence[uuid.UUID] | None,
    *,
    by_theatre: bool,
) -> Giving:
    """What giving back `seat_ids` (all it holds, when None) of a BOOKED booking (its row
    locked) gives back now: by its policy (409 `not-cancellable` after the last tier), or
    everything `by_theatre`; refused (409) when another domain forbids it (a checked-in
    ticket). Changes nothing: `complete_give_back` does."""
    held, chosen = await _chosen_seats(session, booking, seat_ids)
    if by_theatre:
        given = policy.by_theatre(chosen)
    else:
        show = await repository.get_show(session, booking.show_id)
        assert show is not None
        quote = cancellation.quote(policy.policy_of(booking, settings), show.starts_at, now)
        if not quote.allowed:
            until = quote.cancellable_until
            raise NotCancellable(
                "This booking can no longer be cancelled: its cancellation policy allowed it "
                + (f"until {until.isoformat()}." if until else "at no time."),
                cancellable_until=until.isoformat() if until else None,
            )
        given = policy.by_customer(quote, chosen)
    whole = len(chosen) == len(held)
    await ensure_seats_cancellable(session, booking, None if whole else [s.seat_id for s in chosen])
    return Giving(given, whole)


async def complete_give_back(
    session: AsyncSession, booking: Booking, giving: Giving, now: datetime, actor: str
) -> None:
    """Gives back the seats of `giving` (`plan_give_back`): recorded, refunded (the payments
    domain reacts), the seats freed."""
    chosen, whole = giving.given.seats, giving.whole
    reason = CANCEL_REASON if whole else "seats cancelled: " + ", ".join(s.label for s in chosen)
    await record_given_back(session, booking, giving.given, now, reason, actor, whole=whole)
    await repository.release_seats(
        session, [booking.id], None if whole else [seat.seat_id for seat in chosen]
    )


async def record_given_back(
    session: AsyncSession,
    booking: Booking,
    given: policy.GivenBack,
    now: datetime,
    reason: str,
    actor: str | None,
    *,
    whole: bool,
) -> None:
    """Writes down what each seat gave back and has it refunded (`SeatsCancelled`: the
    payments domain refunds the sum, invoicing credits it); then the booking is CANCELLED when
    it gave back `whole` of what it held, else its history records the partial cancellation.
    The caller frees the seats."""
    await repository.record_given_back(
        session,
        booking.id,
        {seat.seat_id: r.total for seat, r in zip(given.seats, given.reversals, strict=True)},
        None if whole else now,
    )
    await events.publish(
        session, SeatsCancelled(booking, given.by_seat(), now, reason, whole=whole)
    )
    if whole:
        await transition(session, booking, BookingStatus.CANCELLED, now, reason, actor)
    else:
        booked = BookingStatus.BOOKED
        await repository.insert_transitions(
            session, [history_row(booking.id, booked, booked, now, reason, actor)]
        )


async def _chosen_seats(
    session: AsyncSession, booking: Booking, seat_ids: Sequence[uuid.UUID] | None
) -> tuple[list[BookingSeat], list[BookingSeat]]:
    """The seats the booking still holds, and those of them `seat_ids` names (all, without).
    Seat ids not of the booking: 422; seats it gave back already: 409 (another cancellation of
    them won)."""
    seats = (await repository.seats_of(session, [booking.id]))[booking.id]
    held = [seat for seat in seats if seat.cancelled_at is None]
    if seat_ids is None:
        return held, held
    wanted = set(seat_ids)
    unknown = wanted - {seat.seat_id for seat in seats}
    if unknown:
        raise SeatsNotInBooking(
            "These seat ids are not seats of this booking.",
            unknown_seat_ids=sorted(str(seat_id) for seat_id in unknown),
        )
    gone = [seat for seat in seats if seat.seat_id in wanted and seat.cancelled_at is not None]
    if gone:
        raise SeatsAlreadyCancelled(
            "These seats were given back already: " + ", ".join(s.label for s in gone) + ".",
            cancelled_seat_ids=[str(seat.seat_id) for seat in gone],
        )
    return held, [seat for seat in held if seat.seat_id in wanted]


async def ensure_seats_cancellable(
    session: AsyncSession, booking: Booking, seat_ids: Sequence[uuid.UUID] | None = None
) -> None:
    """Refuses a customer's (or an admin's) cancel of a BOOKED booking's seats (all of them
    when `seat_ids` is None) that another domain forbids: 409 `checked-in` once a ticket of them
    was used at the door. Called with the booking locked, so no scan slips in before the cancel
    commits (the tickets' check locks their rows too)."""
    chosen = None if seat_ids is None else tuple(seat_ids)
    await events.publish(session, BookingSeatsCancelling(booking, chosen))


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
    domain), and their seats freed. Its caller commits each batch (`boxoffice.db.unit_of_work.
    in_batches`), so a show of any size is cancelled in short transactions, by several processes
    at once if need be, and a crash loses at most the batch in flight.
    """
    batch = await repository.live_bookings_of_show(session, show_id, now, batch_size)
    booked = [booking for booking in batch if booking.status is BookingStatus.BOOKED]
    held = await repository.seats_of(session, [booking.id for booking in booked])
    for booking in batch:
        if booking.status is BookingStatus.BOOKED:
            # The theatre cancels: every seat the booking still holds back, fees included.
            seats = [seat for seat in held[booking.id] if seat.cancelled_at is None]
            given = policy.by_theatre(seats)
            await record_given_back(session, booking, given, now, SHOW_CANCELLED, actor, whole=True)
        else:
            await transition(session, booking, BookingStatus.CANCELLED, now, SHOW_CANCELLED, actor)
    await repository.release_seats(session, [booking.id for booking in batch])
    return len(batch)


async def shows_left_cancelling(session: AsyncSession, now: datetime) -> list[uuid.UUID]:
    """Cancelled shows whose cancellation did not reach every booking (its process died)."""
    return await repository.cancelled_shows_with_live_bookings(session, now, 50)
