"""The sale path: a hold (of named seats, or the best available) and a cancel, answered.

The one path both front doors take: the routes (`bookings.endpoints`) and the lane in front of
the router (`SalePathLane`, which spares the on-sale's hottest requests FastAPI's routing and
dependency solving). Each request queues for a slot of the process's admission first (within
its customer's and its address's share of it), then:

- Without an Idempotency-Key a hold needs no transaction of ours: the store claims it on its
  own (PostgreSQL: one statement in autocommit, one round trip), and the answer is encoded
  once, straight from the booking. With a key, the key's record must commit with the hold, so
  both go through one unit of work.
- A cancel of a live hold is one step of the store's on its own while nothing reacts to it
  (`lifecycle.hold_cancel_reacts`); anything else goes through the general cancel in a unit
  of work, and is answered with what domains above bookings add (`Sale.answer`: a paid
  booking's payment and refunds).

Every write is announced once committed (`announce_seat_changes` via the engine): this
process's seat maps at once, the others' through the seat channel, at no round trip of ours.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.responses import Response

from boxoffice.accounts.principal import Principal
from boxoffice.bookings import holds, lifecycle, repository
from boxoffice.bookings.charges import ChargeTable, ChargeTables
from boxoffice.bookings.chooser import BestSeatsWanted, SeatChooser, hold_best_seats
from boxoffice.bookings.errors import ChargesChanged
from boxoffice.bookings.holds import HoldStore, SaleSeats
from boxoffice.bookings.reads import BookingView
from boxoffice.bookings.schemas import (
    BookingOut,
    ChosenBookingOut,
    HoldRequest,
    booking_document,
)
from boxoffice.catalogue.seatmap import SeatMaps, announce_seat_changes
from boxoffice.catalogue.summaries import ShowSummary, summaries_and_onsales
from boxoffice.clock import Clock
from boxoffice.config import Settings
from boxoffice.db.admission import Admission
from boxoffice.errors import InvalidInput
from boxoffice.idempotency import request_fingerprint, respond_once

HOLD_ENDPOINT = "POST /bookings"  # what an Idempotency-Key's record names
UnitOfWork = Callable[[], AbstractAsyncContextManager[AsyncSession]]


class ShowSizes:
    """How many seats each show has (fixed when it is scheduled), read once per show by each
    process: the address's share of a show (`MAX_HELD_SHARE_PER_ADDRESS`) costs the holds after
    the first no round trip. The cap itself is enforced in the claim, with the address's count."""

    KEPT = 10_000  # shows remembered; past it the memory starts again

    def __init__(self) -> None:
        self._seats: dict[uuid.UUID, int] = {}

    async def of(self, show_id: uuid.UUID, unit_of_work: UnitOfWork) -> int:
        """The show's seats; 0 for no such show (the claim then says so)."""
        seats = self._seats.get(show_id)
        if seats is None:
            async with unit_of_work() as session:
                show = await repository.get_show(session, show_id)
            seats = show.seat_count if show is not None else 0
            if seats:
                if len(self._seats) >= self.KEPT:
                    self._seats.clear()
                self._seats[show_id] = seats
        return seats


class ShowSummaries:
    """Each show's summary as a booking's answer names it (`catalogue.summaries`), and the
    on-sale whose queue it sells through (None: not queued), kept by each process for
    `KEPT_SECONDS`: the holds after the first cost no round trip for them, and a renamed movie
    or theatre shows in new holds' answers within a minute (every read of a booking reads it
    afresh); a queue set or lifted (a show added to an on-sale or taken out) takes as long to
    reach the holds of a process that kept the show."""

    KEPT = 10_000  # shows remembered; past it the memory starts again
    KEPT_SECONDS = 60

    def __init__(self) -> None:
        self._summaries: dict[uuid.UUID, tuple[datetime, ShowSummary, uuid.UUID | None]] = {}

    async def of(
        self,
        show_id: uuid.UUID,
        now: datetime,
        unit_of_work: UnitOfWork,
        session: AsyncSession | None = None,
    ) -> ShowSummary | None:
        """The show's summary, read (in `session` when one is open, else in a unit of work of
        its own) when this process has none younger than `KEPT_SECONDS`."""
        kept = await self._kept(show_id, now, unit_of_work, session)
        return None if kept is None else kept[1]

    async def queue_onsale(
        self, show_id: uuid.UUID, now: datetime, unit_of_work: UnitOfWork
    ) -> uuid.UUID | None:
        """The on-sale whose queue the show sells through; None when it is not queued (or no
        show)."""
        kept = await self._kept(show_id, now, unit_of_work)
        return None if kept is None else kept[2]

    async def _kept(
        self,
        show_id: uuid.UUID,
        now: datetime,
        unit_of_work: UnitOfWork,
        session: AsyncSession | None = None,
    ) -> tuple[datetime, ShowSummary, uuid.UUID | None] | None:
        kept = self._summaries.get(show_id)
        if kept is not None and (now - kept[0]).total_seconds() < self.KEPT_SECONDS:
            return kept
        if session is None:
            async with unit_of_work() as own:
                found = await summaries_and_onsales(own, [show_id])
        else:
            found = await summaries_and_onsales(session, [show_id])
        if show_id not in found:
            return None
        if len(self._summaries) >= self.KEPT:
            self._summaries.clear()
        kept = self._summaries[show_id] = (now, *found[show_id])
        return kept


# A booking's answer (JSON-ready) with what the domains above bookings know of it, read in the
# caller's session: `boxoffice.views.bookings.answer`, which the app factory gives.
Answer = Callable[[AsyncSession, BookingView, datetime], Awaitable[dict[str, Any]]]
# A queued show's holds need the admission its on-sale's queue gave (`boxoffice.queue`, above
# bookings, checks the token of `X-Admission-Token` in memory; the app factory gives it): the
# show's on-sale, the token (None: none sent), now. Raises the problem that refuses the hold.
QueueCheck = Callable[[uuid.UUID, str | None, datetime], Awaitable[None]]


@dataclass(frozen=True)
class Sale:
    """What the sale path works with, made once by the app factory (the store for its engine)."""

    settings: Settings
    clock: Clock
    engine: AsyncEngine
    store: HoldStore
    chooser: SeatChooser
    admission: Admission
    seat_maps: SeatMaps
    unit_of_work: UnitOfWork
    answer: Answer
    charges: ChargeTables
    show_sizes: ShowSizes = field(default_factory=ShowSizes)
    show_summaries: ShowSummaries = field(default_factory=ShowSummaries)
    queue_check: QueueCheck | None = None


async def hold(
    sale: Sale,
    body: HoldRequest,
    principal: Principal,
    client_ip: str,
    idempotency_key: str | None,
    admission_token: str | None = None,
) -> Response:
    """Holds the seats asked for (or the best `quantity`): 201 with the booking, each seat with
    its charges as the show's charge table has them. A table the claim finds stale (nothing was
    held) is built again and the hold tried once more. A show sold through the on-sale queue
    needs its on-sale's `admission_token` (checked in memory: a show that is not queued costs
    nothing more, its summary being read for the answer anyway)."""
    now = sale.clock.now()
    _check_size(body, sale.settings)
    if sale.queue_check is not None:
        onsale_id = await sale.show_summaries.queue_onsale(body.show_id, now, sale.unit_of_work)
        if onsale_id is not None:
            await sale.queue_check(onsale_id, admission_token, now)
    try:
        response = await _hold_at(sale, body, principal, client_ip, idempotency_key, now)
    except ChargesChanged:
        sale.charges.forget(body.show_id)
        response = await _hold_at(sale, body, principal, client_ip, idempotency_key, now)
    await announce_seat_changes([body.show_id], sale.engine)
    return response


async def _hold_at(
    sale: Sale,
    body: HoldRequest,
    principal: Principal,
    client_ip: str,
    idempotency_key: str | None,
    now: datetime,
) -> Response:
    settings = sale.settings
    show_seats = 0
    if holds.address_caps_apply(settings, client_ip):
        show_seats = await sale.show_sizes.of(body.show_id, sale.unit_of_work)
    caps = holds.caps_of(principal, settings, client_ip, show_seats)
    charges = await sale.charges.of(body.show_id, now)
    best = None
    if body.wanted is not None:
        seat_map = sale.seat_maps.current(body.show_id, now)
        best = BestSeatsWanted(
            principal, body.show_id, body.wanted, now, settings, caps, seat_map, charges
        )
    admitted = sale.admission.slot(principal.actor, client_ip)
    if idempotency_key is None:
        async with admitted, sale.store.seats() as seats:
            view, adjacent = await _hold(sale, seats, body, principal, now, caps, charges, best)
        view.show = await sale.show_summaries.of(body.show_id, now, sale.unit_of_work)
        return _booking_response(view, now, 201, adjacent)
    async with admitted, sale.unit_of_work() as session:

        async def hold_once() -> tuple[int, BaseModel]:
            async with sale.store.seats(session) as seats:
                view, adjacent = await _hold(sale, seats, body, principal, now, caps, charges, best)
            summaries = sale.show_summaries
            view.show = await summaries.of(body.show_id, now, sale.unit_of_work, session)
            if adjacent is None:
                return 201, BookingOut.of(view, now)
            document = {**booking_document(view, now), "adjacent": adjacent}
            return 201, ChosenBookingOut.model_validate(document)

        return await respond_once(
            session,
            customer=principal.actor,
            endpoint=HOLD_ENDPOINT,
            key=idempotency_key,
            fingerprint=request_fingerprint(body),
            now=now,
            operation=hold_once,
        )


async def _hold(
    sale: Sale,
    seats: SaleSeats,
    body: HoldRequest,
    principal: Principal,
    now: datetime,
    caps: holds.HoldCaps,
    charges: ChargeTable,
    best: BestSeatsWanted | None,
) -> tuple[BookingView, bool | None]:
    """The booking held, and for best available whether its seats are side by side."""
    if best is not None:
        chosen = await hold_best_seats(seats, sale.chooser, best)
        return chosen.view, chosen.adjacent
    assert body.seat_ids is not None
    view = await holds.hold(
        seats, principal, body.show_id, body.seat_ids, now, sale.settings, caps, charges
    )
    return view, None


async def cancel(
    sale: Sale,
    booking_id: uuid.UUID,
    principal: Principal,
    client_ip: str,
    seat_ids: Sequence[uuid.UUID] | None = None,
) -> Response:
    """Cancels the booking: a hold frees its seats; a paid booking gives back all of them, or
    `seat_ids` of them, refunded by its policy."""
    now = sale.clock.now()
    async with sale.admission.slot(principal.actor, client_ip):
        alone = seat_ids is None and not lifecycle.hold_cancel_reacts()
        released = None
        if alone:
            release = lifecycle.release_of(principal, booking_id, now)
            released = await sale.store.release(release)
        if released is not None:
            view = holds.released_view(booking_id, released, now)
            show_id = view.booking.show_id
            view.show = await sale.show_summaries.of(show_id, now, sale.unit_of_work)
            document = booking_document(view, now)
        else:
            async with sale.unit_of_work() as session:
                view = await lifecycle.cancel_booking(
                    session,
                    sale.store,
                    principal,
                    booking_id,
                    now,
                    sale.settings,
                    seat_ids=seat_ids,
                    release_tried=alone,
                )
                document = await sale.answer(session, view, now)
    await announce_seat_changes([view.booking.show_id], sale.engine)
    return _response(document)


def _check_size(body: HoldRequest, settings: Settings) -> None:
    limit = settings.max_seats_per_booking
    if body.seat_ids is not None and len(set(body.seat_ids)) != len(body.seat_ids):
        raise InvalidInput("seat_ids lists a seat more than once.")
    if body.most_seats > limit:
        raise InvalidInput(
            f"At most {limit} seats can be held in one booking.", max_seats_per_booking=limit
        )


def _booking_response(
    view: BookingView, now: datetime, status: int = 200, adjacent: bool | None = None
) -> Response:
    """A new hold's answer; with `adjacent` when the server chose its seats (best available)."""
    document = booking_document(view, now)
    if adjacent is not None:
        document["adjacent"] = adjacent
    return _response(document, status)


def _response(document: dict[str, Any], status: int = 200) -> Response:
    """The booking encoded once, straight from plain data (orjson: no model layers)."""
    return Response(orjson.dumps(document), status_code=status, media_type="application/json")
