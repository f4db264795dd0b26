"""The waiting list's rules for its customers and the theatre: join, read, leave, decline, and
the manager's view. Offers are made by the worker (`waitlist.offers`).

- Join only when the party does not fit the show's free seats now (by the offer's own rules,
  `offers.fits`): otherwise 409 `seats-available`, hold them instead. A party the screen could
  never seat as asked (too few seats of the type and price, or no row with that many side by
  side) is refused (422 `party-never-fits`): it would wait, and hold up the list, for ever. A
  guest needs a contact email (the offer is emailed). One active entry per customer and show.
- Position: 1 + the entries still waiting that joined earlier and want the same seats (of the
  same type, or either of any type).
- Leaving is one request: the entry is over, and a live offer's hold is cancelled with it (an
  ordinary release), its seats going to the next entry that fits. Declining is the same for
  an entry holding an offer. An offer that was paid cannot be declined: it is a booking now.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.accounts import repository as accounts_repository
from boxoffice.accounts.principal import Principal
from boxoffice.bookings import best_available, lifecycle
from boxoffice.bookings import repository as bookings_repository
from boxoffice.bookings.best_available import Wanted
from boxoffice.bookings.chooser import layout_of
from boxoffice.bookings.errors import IllegalTransition, ShowNotFound, ShowNotOnSale
from boxoffice.bookings.holds import HoldStore
from boxoffice.catalogue.models import ShowStatus
from boxoffice.catalogue.seatmap import announce_seat_changes
from boxoffice.config import Settings
from boxoffice.errors import InvalidInput
from boxoffice.waitlist import offers, repository
from boxoffice.waitlist.errors import (
    AlreadyWaiting,
    ContactRequired,
    EntryNotFound,
    EntryOver,
    NoOffer,
    PartyNeverFits,
    SeatsAvailable,
)
from boxoffice.waitlist.models import ACTIVE, EntryStatus, WaitlistEntry


@dataclass(frozen=True)
class JoinRequest:
    party: int
    seat_type: str | None
    max_price: int | None
    together: bool


@dataclass
class EntryView:
    entry: WaitlistEntry
    position: int | None  # while waiting


async def join(
    session: AsyncSession,
    store: HoldStore,
    principal: Principal,
    show_id: uuid.UUID,
    ask: JoinRequest,
    now: datetime,
    settings: Settings,
) -> EntryView:
    show = await bookings_repository.get_show(session, show_id)
    if show is None:
        raise ShowNotFound()
    if show.status is not ShowStatus.SCHEDULED:
        raise ShowNotOnSale("This show was cancelled.")
    if show.starts_at <= now:
        raise ShowNotOnSale("This show has already started.")
    if ask.party > settings.max_seats_per_booking:
        raise InvalidInput(
            f"A party is at most {settings.max_seats_per_booking} seats, as a booking is.",
            max_seats_per_booking=settings.max_seats_per_booking,
        )
    if principal.is_guest:
        guest = await accounts_repository.get_guest(session, principal.id)
        if guest is None or not guest.email:
            raise ContactRequired(
                "Give a contact email first (PATCH /api/v1/me): the offer is sent there."
            )
    is_user = not principal.is_guest
    entry = WaitlistEntry(
        id=uuid.uuid4(),
        show_id=show_id,
        user_id=principal.id if is_user else None,
        guest_id=None if is_user else principal.id,
        party=ask.party,
        seat_type=ask.seat_type,
        max_price=ask.max_price,
        together=ask.together,
        status=EntryStatus.WAITING,
        passed_over=0,
        created_at=now,
        updated_at=now,
    )
    async with store.seats(session) as seats:
        layout = layout_of(await seats.grid(show_id))
        free = await seats.free_seats(show_id, now)
    if layout is None:
        raise ShowNotFound()
    seat_types = {t for row in layout.rows for run in row.runs for t in run.types}
    if ask.seat_type is not None and ask.seat_type not in seat_types:
        raise InvalidInput(
            f"This show has no {ask.seat_type} seats.", seat_types=sorted(seat_types)
        )
    wanted = Wanted(ask.party, ask.seat_type, ask.max_price)
    ever = best_available.choose(layout, await repository.seat_prices(session, show_id), wanted)
    if ever is None or (ask.together and not ever.adjacent):
        raise PartyNeverFits(
            "No choice of this screen's seats could ever seat the party as asked (its size, "
            "seat type, price and side by side)."
        )
    if offers.fits(layout, free, entry) is not None:
        raise SeatsAvailable(
            "Seats for the party are free now: hold them instead of waiting.",
            available=best_available.count_matching(layout, free, wanted),
        )
    if not await repository.add_entry(session, entry):
        raise AlreadyWaiting("You already wait for this show; leave that entry first.")
    recheck = now + timedelta(seconds=settings.waitlist_recheck_seconds)
    await repository.schedule_show(session, show_id, recheck)
    return EntryView(entry, await repository.waiting_ahead(session, entry) + 1)


async def own_entry(
    session: AsyncSession, principal: Principal, entry_id: uuid.UUID, *, for_update: bool = False
) -> WaitlistEntry:
    """The caller's entry (an admin's: any); 404 for another customer's, not revealed."""
    entry = await repository.get_entry(session, entry_id, for_update=for_update)
    if entry is None:
        raise EntryNotFound()
    mine = (
        entry.guest_id == principal.id and entry.user_id is None
        if principal.is_guest
        else entry.user_id == principal.id
    )
    if not (mine or principal.is_admin):
        raise EntryNotFound()
    return entry


async def view_of(session: AsyncSession, entry: WaitlistEntry, now: datetime) -> EntryView:
    """The entry as it stands now (an offer paid or run out is settled as it is read)."""
    await offers.settle_entry(session, entry, now)
    waiting = entry.status is EntryStatus.WAITING
    return EntryView(entry, await repository.waiting_ahead(session, entry) + 1 if waiting else None)


async def leave(
    session: AsyncSession,
    store: HoldStore,
    principal: Principal,
    entry_id: uuid.UUID,
    now: datetime,
    settings: Settings,
    *,
    decline: bool = False,
) -> EntryView:
    """Leaves the list (`decline`: gives back the entry's offer, which it must have); a live
    offer's hold is cancelled, its seats freed for the next entry that fits (a wake row)."""
    entry = await own_entry(session, principal, entry_id, for_update=True)
    status = await offers.settle_entry(session, entry, now)
    if status is EntryStatus.BOOKED:
        raise EntryOver(
            "This entry's offer was paid: it is a booking now, cancelled as any booking is.",
            booking_id=str(entry.booking_id),
        )
    if status not in ACTIVE:
        raise EntryOver(f"This entry is over ({status.value}).", status=status.value)
    if decline and status is not EntryStatus.OFFERED:
        raise NoOffer("This entry holds no offer to decline; leave the list instead.")
    if status is EntryStatus.OFFERED and entry.booking_id is not None:
        try:
            await lifecycle.cancel_booking(
                session, store, principal, entry.booking_id, now, settings
            )
        except IllegalTransition:
            pass  # it ran out this instant: its seats are free all the same
        await announce_seat_changes([entry.show_id], session)
    target = EntryStatus.DECLINED if decline else EntryStatus.LEFT
    if not await repository.set_status(session, entry.id, target, now, [status]):
        raise EntryOver("This entry was changed meanwhile; read it again.")
    entry.status = target
    await repository.wake(session, entry.show_id, now)
    return EntryView(entry, None)


async def show_list(
    session: AsyncSession, show_id: uuid.UUID, now: datetime, limit: int, offset: int
) -> tuple[list[EntryView], int]:
    """The show's entries in join order, for its theatre's managers: each with its position
    while waiting, and its offer."""
    entries = await repository.entries_of_show(session, show_id, limit=limit, offset=offset)
    views = [await view_of(session, entry, now) for entry in entries]
    return views, await repository.count_entries(session, show_id)
