"""Offers: seats that came back, held for the waiting parties that fit them (issue 29).

Run by `boxoffice worker` (`run`), a show at a time, each show in one transaction:

1. The show's row of `waitlist_shows` is locked (SKIP LOCKED: another worker takes another
   show), when its time came (`due_at`) or a wake row names it. Wake rows are the outbox: the
   transaction that gives seats back writes one (`handlers`; an INSERT alone, never waiting for
   this lock). Seats also come back with no transaction to write one (a hold running out, a
   hold given up by the sale path's single statement, a block lifted): the show is looked at
   again every `WAITLIST_RECHECK_SECONDS` while anyone waits, and when its first offer runs out.
2. Offers already made are settled: paid -> BOOKED; cancelled or run out -> LAPSED (their seats
   are free again, for the next entry that fits).
3. The waiting entries are walked in join order against the show's free seats, with best
   available's own rules (`bookings.best_available.choose`): the party's size, seat type and
   price; side by side when `together`; and no choice that leaves a single free seat stranded
   (`best_available.strands`). The first entry that fits gets a hold through the ordinary hold
   path (`holds.hold`: the database's claim decides, so a seat is never held twice), lasting
   `WAITLIST_OFFER_MINUTES`, and the offer email is queued (`OfferMade`, notifications).
4. **Anti-starvation.** An entry that does not fit while a later one is offered seats is
   *passed over* once. After `WAITLIST_PASS_OVER_LIMIT` (default 3) passes, no entry behind it
   is offered anything until it is: the seats that come back stay free for it (they are still
   on public sale; the list keeps them from later entries only), unless what a later entry
   takes leaves the earlier one fitting what is left (then both are offered). A larger party
   is therefore passed over a bounded number of times, however many smaller ones join behind.
5. The wake rows read in 1. are deleted, and the show is due again at the earliest of the next
   recheck and the next offer's expiry (NULL once nobody waits or holds an offer).

A process that dies anywhere before the commit leaves nothing: no hold, no offer, no email,
and the wake rows are still there for the next pass.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from boxoffice import events
from boxoffice.accounts.principal import Principal
from boxoffice.accounts.tokens import PrincipalKind
from boxoffice.bookings import best_available, holds, rules
from boxoffice.bookings import repository as bookings_repository
from boxoffice.bookings.best_available import SeatLayout, Wanted
from boxoffice.bookings.charges import ChargeTable, ChargeTables
from boxoffice.bookings.chooser import layout_of
from boxoffice.bookings.errors import SeatsUnavailable, ShowNotOnSale
from boxoffice.bookings.holds import HoldCaps, HoldStore, SaleSeats
from boxoffice.bookings.models import BookingStatus
from boxoffice.catalogue.models import ShowStatus
from boxoffice.catalogue.seatmap import announce_seat_changes
from boxoffice.clock import Clock
from boxoffice.config import Settings
from boxoffice.errors import BoxofficeError
from boxoffice.logs import get_logger
from boxoffice.waitlist import repository
from boxoffice.waitlist.events import OfferMade
from boxoffice.waitlist.models import ACTIVE, EntryStatus, WaitlistEntry

log = get_logger("boxoffice.waitlist")

SHOWS_PER_PASS = 50
CLAIM_ATTEMPTS = 3  # re-reads of the free seats when a buyer took chosen seats first


async def run(
    sessionmaker: async_sessionmaker[Any], settings: Settings, clock: Clock, store: HoldStore
) -> int:
    """One pass of the worker: every due show's offers, a show a transaction (each show once a
    pass); how many offers were made. A show whose offers fail is logged and looked at again
    at its next recheck, not at once: the others are not held up by it."""
    charges = ChargeTables(sessionmaker, settings)
    recheck = timedelta(seconds=settings.waitlist_recheck_seconds)
    made = 0
    seen: list[uuid.UUID] = []
    for _ in range(SHOWS_PER_PASS):
        show_id = None
        try:
            async with sessionmaker() as session, session.begin():
                now = clock.now()
                show_id = await repository.claim_due_show(session, now, seen)
                if show_id is None:
                    break
                seen.append(show_id)
                made += await offer_show(session, store, charges, settings, show_id, now)
        except Exception:
            if show_id is None:
                raise
            log.exception("waitlist_show_failed", show_id=str(show_id))
            async with sessionmaker() as session, session.begin():
                await repository.set_due(session, show_id, clock.now() + recheck)
    return made


def fits(layout: SeatLayout, free: dict[Any, int], entry: WaitlistEntry) -> tuple[Any, ...] | None:
    """The seats best available gives the entry's party now, or None when it does not fit:
    too few matching seats, not side by side when it wants them together, or a choice that
    would strand a single seat."""
    choice = best_available.choose(layout, free, _wanted(entry))
    if choice is None or (entry.together and not choice.adjacent):
        return None
    if best_available.strands(layout, free, choice.seat_ids):
        return None
    return choice.seat_ids


def leaving_room(
    layout: SeatLayout, free: dict[Any, int], entry: WaitlistEntry, kept_for: list[WaitlistEntry]
) -> tuple[Any, ...] | None:
    """Seats for `entry` that leave every entry of `kept_for` (ahead of it, passed over enough)
    fitting what is left, or None. Tried: its own best choice, then for each kept entry its best
    block (side by side when it asked; it may strand a seat, which is why it does not fit) and
    `entry`'s best choice among the seats that block leaves: four of five free seats strand the
    fifth, a single taking that fifth seat leaves the family four."""
    wanted = _wanted(entry)
    tries = [fits(layout, free, entry)]
    for earlier in kept_for:
        theirs = best_available.choose(layout, free, _wanted(earlier))
        if theirs is None or (earlier.together and not theirs.adjacent):
            continue
        rest = {k: v for k, v in free.items() if k not in set(theirs.seat_ids)}
        mine = best_available.choose(layout, rest, wanted)
        if mine is not None and (mine.adjacent or not entry.together):
            tries.append(mine.seat_ids)
    for chosen in tries:
        if chosen is None or best_available.strands(layout, free, chosen):
            continue
        left = {k: v for k, v in free.items() if k not in set(chosen)}
        if all(fits(layout, left, earlier) is not None for earlier in kept_for):
            return chosen
    return None


def _wanted(entry: WaitlistEntry) -> Wanted:
    return Wanted(entry.party, entry.seat_type, entry.max_price)


async def offer_show(
    session: AsyncSession,
    store: HoldStore,
    charges: ChargeTables,
    settings: Settings,
    show_id: uuid.UUID,
    now: datetime,
) -> int:
    """Steps 2 to 5 of the module's docstring for one show, its row locked; offers made."""
    wakes = await repository.wakes_of(session, show_id)
    made = 0
    async with store.seats(session) as seats:
        state = await seats.sale_state(show_id)
        if state is None or state[0] is not ShowStatus.SCHEDULED or state[1] <= now:
            await _close(session, show_id, now)
        else:
            await _settle(session, show_id, now)
            waiting = await repository.entries_of_show(session, show_id, [EntryStatus.WAITING])
            if waiting:
                made = await _offer(session, seats, charges, settings, show_id, waiting, now)
    active = await repository.entries_of_show(session, show_id, ACTIVE)
    due: datetime | None = None
    if active:
        due = now + timedelta(seconds=settings.waitlist_recheck_seconds)
        expiries = [e.offer_expires_at for e in active if e.offer_expires_at is not None]
        expiries = [at for at in expiries if at > now]
        due = min([due, *expiries])
    await repository.set_due(session, show_id, due)
    await repository.delete_wakes(session, wakes)
    if made:
        await announce_seat_changes([show_id], session)
    return made


async def _close(session: AsyncSession, show_id: uuid.UUID, now: datetime) -> None:
    """The show was cancelled or has started: its list is over (offers' holds are the
    bookings domain's to cancel with the show, or run out)."""
    for entry in await repository.entries_of_show(session, show_id, ACTIVE):
        await repository.set_status(session, entry.id, EntryStatus.CLOSED, now, ACTIVE)


async def settle_entry(session: AsyncSession, entry: WaitlistEntry, now: datetime) -> EntryStatus:
    """An OFFERED entry as its hold now stands: BOOKED once paid, LAPSED once the hold is over
    (cancelled or run out), OFFERED while it lives. Recorded; the status returned."""
    if entry.status is not EntryStatus.OFFERED or entry.booking_id is None:
        return entry.status
    booking = await bookings_repository.get_booking(session, entry.booking_id)
    status = (
        BookingStatus.CANCELLED
        if booking is None
        else rules.effective_status(booking.status, booking.expires_at, now)
    )
    target = {
        BookingStatus.BOOKED: EntryStatus.BOOKED,
        BookingStatus.PENDING: EntryStatus.OFFERED,
    }.get(status, EntryStatus.LAPSED)
    if target is not EntryStatus.OFFERED:
        await repository.set_status(session, entry.id, target, now, [EntryStatus.OFFERED])
        entry.status = target
    return target


async def _settle(session: AsyncSession, show_id: uuid.UUID, now: datetime) -> None:
    for entry in await repository.entries_of_show(session, show_id, [EntryStatus.OFFERED]):
        await settle_entry(session, entry, now)


@dataclass
class _Round:
    """What a pass over a show's queue works with: its grid, its free seats now (less what it
    offered), the charges of a hold (built when first needed)."""

    seats: SaleSeats
    layout: SeatLayout
    free: dict[Any, int]
    table: ChargeTable | None = None


async def _offer(
    session: AsyncSession,
    seats: SaleSeats,
    charges: ChargeTables,
    settings: Settings,
    show_id: uuid.UUID,
    waiting: list[WaitlistEntry],
    now: datetime,
) -> int:
    """Walks the queue until a walk offers nothing (an offer to a later entry can make an
    earlier one fit what is left: see `_walk`)."""
    layout = layout_of(await seats.grid(show_id))
    if layout is None:
        return 0
    state = _Round(seats, layout, await seats.free_seats(show_id, now))
    made = 0
    while True:
        queue = [entry for entry in waiting if entry.status is EntryStatus.WAITING]
        walked = await _walk(session, state, charges, settings, queue, now)
        if walked is None:
            return made  # the show went off sale meanwhile
        made += walked
        if not walked:
            return made


async def _walk(
    session: AsyncSession,
    state: _Round,
    charges: ChargeTables,
    settings: Settings,
    queue: list[WaitlistEntry],
    now: datetime,
) -> int | None:
    """One walk of the queue in join order: each entry that fits is offered its seats. Behind
    an entry passed over `WAITLIST_PASS_OVER_LIMIT` times (that does not fit), a later entry is
    offered seats only when that entry fits what is left after it: the strand rule can make a
    smaller choice fit where a larger one did not (four of five free seats in a row would
    strand the fifth; a single behind taking an end seat leaves four for the family), and the
    next walk offers them. Offers made, or None when the show went off sale."""
    limit = settings.waitlist_pass_over_limit
    passed: list[WaitlistEntry] = []  # waiting entries that did not fit, ahead of the next
    made = 0
    for entry in queue:
        kept_for = [earlier for earlier in passed if earlier.passed_over >= limit]
        held = None
        for _ in range(CLAIM_ATTEMPTS):
            chosen = (
                fits(state.layout, state.free, entry)
                if not kept_for
                else leaving_room(state.layout, state.free, entry, kept_for)
            )
            if chosen is None:
                break  # it does not fit, or the seats are kept for an entry passed over enough
            if state.table is None:
                state.table = await charges.build_in(session, entry.show_id, now)
            try:
                held = await _hold_for(state.seats, settings, state.table, entry, chosen, now)
            except SeatsUnavailable:  # a buyer was first: read again
                state.free = await state.seats.free_seats(entry.show_id, now)
                continue
            except ShowNotOnSale:
                return None
            except BoxofficeError as refused:  # the customer's own caps: not this time
                log.info("waitlist_offer_refused", entry_id=str(entry.id), reason=refused.type)
                break
            break
        if held is None:
            if fits(state.layout, state.free, entry) is None:
                passed.append(entry)
            continue
        booking, expires_at, chosen = held
        if not await repository.mark_offered(session, entry.id, booking.id, expires_at, now):
            raise AssertionError("a waiting entry changed under the show's lock")
        entry.status = EntryStatus.OFFERED
        for seat_id in chosen:
            state.free.pop(seat_id, None)
        await repository.pass_over(session, [earlier.id for earlier in passed])
        for earlier in passed:
            earlier.passed_over += 1
        await events.publish(session, OfferMade(booking, entry.party, expires_at, now))
        log.info("waitlist_offer", entry_id=str(entry.id), booking_id=str(booking.id))
        made += 1
    return made


async def _hold_for(
    seats: SaleSeats,
    settings: Settings,
    table: ChargeTable,
    entry: WaitlistEntry,
    chosen: tuple[Any, ...],
    now: datetime,
) -> tuple[Any, datetime, tuple[Any, ...]]:
    """Holds the chosen seats for the entry's customer through the ordinary hold path, for
    `WAITLIST_OFFER_MINUTES`: the booking, its expiry, the seats."""
    is_user = entry.user_id is not None
    customer = entry.user_id if is_user else entry.guest_id
    assert customer is not None
    kind = PrincipalKind.USER if is_user else PrincipalKind.GUEST
    principal = Principal(kind, customer, "customer")
    caps = HoldCaps(
        kind=kind.value,
        customer_id=customer,
        # The offer is one more hold of the customer's in the show, whatever they hold.
        pending_bookings=settings.max_pending_bookings_per_customer + 1,
        held_seats=0,
        client_ip=None,
        held_seats_per_address=0,
    )
    minutes = settings.waitlist_offer_minutes
    offer_settings = settings.model_copy(update={"hold_ttl_seconds": minutes * 60})
    view = await holds.hold(
        seats, principal, entry.show_id, chosen, now, offer_settings, caps, table, may_retry=True
    )
    expires_at = view.booking.expires_at
    assert expires_at is not None
    return view.booking, expires_at, chosen
