"""Rules of the booking lifecycle: hold, read, cancel, expire, confirm.

Services never commit: the request's unit of work (or the worker's) does. Every status change
goes through `_transition`, a compare-and-set on the status plus a history row, so two requests
racing on one booking (cancel vs. payment, two sweepers) cannot both win.
"""

from __future__ import annotations

import math
import time
import uuid
from collections import Counter, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from boxoffice import events, metrics
from boxoffice.accounts.dependencies import SPENT_GUEST_TOKEN, Principal
from boxoffice.bookings import best_available, repository, rules
from boxoffice.bookings.best_available import GridSeat, SeatLayout, Wanted
from boxoffice.bookings.errors import (
    BookingNotFound,
    CancellationClosed,
    IllegalTransition,
    NotEnoughSeats,
    SeatsUnavailable,
    ShowNotFound,
    ShowNotOnSale,
    TooManyHeldSeats,
    TooManyHolds,
    UnknownSeats,
)
from boxoffice.bookings.events import BookingStatusChanged
from boxoffice.bookings.models import Booking, BookingSeat, BookingStatus, BookingTransition
from boxoffice.catalogue.models import ShowStatus
from boxoffice.catalogue.seatmap import RenderedMap, seat_status
from boxoffice.clock import Clock
from boxoffice.config import Settings
from boxoffice.db.engine import driver_connection_of, is_postgres, sale_connection
from boxoffice.errors import BoxofficeError, Unauthenticated
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
    client_ip: str | None = None,
) -> BookingView:
    """Holds all of `seat_ids` for the caller, or none (SPEC invariants 1 and 2), inside the
    session's transaction (with an Idempotency-Key, whose record must commit with the hold).

    Within every cap: live holds in the show, seats held over all shows, seats held from the
    address in the show. On PostgreSQL it is one statement (`boxoffice_hold`); on SQLite,
    whose writers are serialised anyway, three plain ones (`_hold_statement_by_statement`).
    """
    caps = _caps(principal, settings, client_ip)
    if is_postgres(session):
        connection = await repository.driver_connection(session)
        return await _hold(connection, principal, show_id, seat_ids, now, settings, caps)
    return await _hold_statement_by_statement(
        session, principal, show_id, seat_ids, now, settings, caps
    )


async def hold_seats_at_once(
    engine: AsyncEngine,
    principal: Principal,
    show_id: uuid.UUID,
    seat_ids: Sequence[uuid.UUID],
    now: datetime,
    settings: Settings,
    client_ip: str | None = None,
) -> BookingView:
    """`hold_seats` on PostgreSQL without a transaction of ours: `boxoffice_hold` is one
    statement, so in autocommit the whole hold is one round trip (the on-sale's hot path)."""
    caps = _caps(principal, settings, client_ip)
    async with driver_connection_of(engine) as driver:
        return await _hold(driver, principal, show_id, seat_ids, now, settings, caps)


def _caps(principal: Principal, settings: Settings, client_ip: str | None) -> repository.HoldCaps:
    return repository.HoldCaps(
        kind=principal.kind.value,
        customer_id=principal.id,
        pending_bookings=settings.max_pending_bookings_per_customer,
        held_seats=settings.max_held_seats_per_customer,
        client_ip=client_ip,
        # Keyed by address like the rate limits, and off with them (load tests from one host).
        held_seats_per_address=(
            settings.max_held_seats_per_address_per_show if settings.rate_limit_enabled else 0
        ),
    )


async def _hold(
    connection: Any,
    principal: Principal,
    show_id: uuid.UUID,
    seat_ids: Sequence[uuid.UUID],
    now: datetime,
    settings: Settings,
    caps: repository.HoldCaps,
) -> BookingView:
    booking_id = uuid.uuid4()
    expires_at = now + timedelta(seconds=settings.hold_ttl_seconds)
    try:
        currency, seats = await repository.hold_in_one_statement(
            connection, booking_id, show_id, seat_ids, caps, now, expires_at, principal.actor
        )
    except repository.Refusal as refusal:
        raise _refused(refusal, caps, len(seat_ids), now) from None
    return _held(principal, booking_id, show_id, seats, currency, now, expires_at)


def _held(
    principal: Principal,
    booking_id: uuid.UUID,
    show_id: uuid.UUID,
    held: Sequence[Any],
    currency: str,
    now: datetime,
    expires_at: datetime,
) -> BookingView:
    """The new PENDING booking as the API shows it (the same on both engines); `held` are the
    claimed seats, anything with `seat_id`, `label`, `seat_type` and `price`."""
    metrics.HOLDS.labels("held").inc()
    seats = [
        BookingSeat(
            booking_id=booking_id,
            seat_id=seat.seat_id,
            label=seat.label,
            seat_type=seat.seat_type,
            price=seat.price,
        )
        for seat in held
    ]
    is_user = principal.kind.value == "user"
    booking = Booking(
        id=booking_id,
        show_id=show_id,
        user_id=principal.id if is_user else None,
        guest_id=None if is_user else principal.id,
        status=BookingStatus.PENDING,
        amount_total=sum(seat.price for seat in seats),
        currency=currency,
        expires_at=expires_at,
        created_at=now,
        updated_at=now,
    )
    first = _history_row(
        booking_id, None, BookingStatus.PENDING, now, "seats held", principal.actor
    )
    return BookingView(booking, sorted(seats, key=lambda s: s.label), [first])


def _refused(
    refusal: repository.Refusal, caps: repository.HoldCaps, requested: int, now: datetime
) -> BoxofficeError:
    """The problem for a refused hold: what each refusal code means to a customer."""
    details = refusal.details
    match refusal.code:
        case "customer-gone":
            return Unauthenticated(SPENT_GUEST_TOKEN)
        case "show-not-found":
            return ShowNotFound()
        case "show-cancelled":
            return ShowNotOnSale("This show was cancelled.")
        case "show-started":
            return ShowNotOnSale("This show has already started.")
        case "too-many-holds":
            return _too_many_holds(details["held"], caps.pending_bookings)
        case "too-many-seats-customer":
            held, first = details["held"], _instant(details["first_expiry"])
            return _too_many_seats(held, first, caps.held_seats, "customer", now)
        case "too-many-seats-address":
            held, first = details["held"], _instant(details["first_expiry"])
            return _too_many_seats(held, first, caps.held_seats_per_address, "address", now)
        case "seats-not-held" if details["unknown"]:
            return _unknown_seats(details["unknown"])
        case "seats-not-held":
            return _unavailable(details["unavailable"])
    raise AssertionError(f"unknown refusal {refusal.code!r}")


def _instant(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _too_many_holds(live_holds: int, cap: int) -> BoxofficeError:
    metrics.HOLDS.labels("too_many_holds").inc()
    return TooManyHolds(
        f"You already hold seats in {live_holds} pending bookings for this show; "
        "pay for or cancel one first.",
        max_pending_bookings=cap,
    )


_HOLDERS = {"customer": "you hold", "address": "your network address holds in this show"}


def _too_many_seats(
    held: int, first_expiry: datetime | None, cap: int, scope: str, now: datetime
) -> BoxofficeError:
    """429 over a held-seats cap, with Retry-After until the first of those holds runs out."""
    metrics.HOLDS.labels(f"too_many_seats_{scope}").inc()
    metrics.RATE_LIMITED.labels(f"bookings.held_seats_per_{scope}").inc()
    retry_after = max(1, math.ceil(((first_expiry or now) - now).total_seconds()))
    return TooManyHeldSeats(
        retry_after,
        f"At most {cap} seats can be held at once; {_HOLDERS[scope]} {held}. Pay for or cancel "
        "a booking, or wait for a hold to run out.",
        max_held_seats=cap,
        held_seats=held,
    )


def _unknown_seats(unknown: Sequence[object]) -> BoxofficeError:
    metrics.HOLDS.labels("unknown_seats").inc()
    return UnknownSeats(
        "These seat ids are not seats of this show.",
        unknown_seat_ids=[str(seat_id) for seat_id in unknown],
    )


def _unavailable(unavailable: Sequence[object]) -> BoxofficeError:
    metrics.HOLDS.labels("conflict").inc()
    return SeatsUnavailable(
        "Some of the seats are held or booked by someone else; nothing was held.",
        unavailable_seat_ids=[str(seat_id) for seat_id in unavailable],
    )


async def _hold_statement_by_statement(
    session: AsyncSession,
    principal: Principal,
    show_id: uuid.UUID,
    seat_ids: Sequence[uuid.UUID],
    now: datetime,
    settings: Settings,
    caps: repository.HoldCaps,
) -> BookingView:
    """The hold through the ORM (SQLite): lock the customer and read the show; claim the seats
    while within every cap; write the booking. Refusals as `boxoffice_hold` makes them."""
    show = await repository.lock_customer_and_get_show(
        session, caps.kind, principal.id, show_id, caps.client_ip
    )
    if show is None:
        if not await repository.customer_can_hold(session, caps.kind, principal.id):
            raise Unauthenticated(SPENT_GUEST_TOKEN)
        raise ShowNotFound()
    if show.status is not ShowStatus.SCHEDULED:
        raise ShowNotOnSale("This show was cancelled.")
    if show.starts_at <= now:
        raise ShowNotOnSale("This show has already started.")

    booking_id = uuid.uuid4()
    expires_at = now + timedelta(seconds=settings.hold_ttl_seconds)
    claimed = await repository.claim_seats(
        session, show_id, seat_ids, booking_id, expires_at, now, caps=caps
    )
    if len(claimed) != len(seat_ids):
        # Raising rolls the whole transaction back, so the seats we did get are not kept.
        raise await _why_short(
            session, show_id, seat_ids, {row.seat_id for row in claimed}, now, caps
        )
    view = _held(principal, booking_id, show_id, claimed, show.currency, now, expires_at)
    view.booking.client_ip = caps.client_ip
    await repository.insert_booking(session, view.booking, view.seats, view.history[0])
    return view


async def _why_short(
    session: AsyncSession,
    show_id: uuid.UUID,
    seat_ids: Sequence[uuid.UUID],
    claimed: set[uuid.UUID],
    now: datetime,
    caps: repository.HoldCaps,
) -> BoxofficeError:
    """Why a claim came back short (the cold path: a few more queries are fine here)."""
    live_holds = await repository.live_holds(session, show_id, caps.kind, caps.customer_id, now)
    if live_holds >= caps.pending_bookings:
        return _too_many_holds(live_holds, caps.pending_bookings)
    scopes = [
        ("customer", caps.held_seats, [repository.customer_filter(caps.kind, caps.customer_id)])
    ]
    if caps.held_seats_per_address and caps.client_ip:
        scopes.append(("address", caps.held_seats_per_address, caps.address_filter(show_id)))
    for scope, cap, conditions in scopes:
        held, first_expiry = await repository.held_seats(session, now, conditions)
        if cap and held + len(seat_ids) > cap:
            return _too_many_seats(held, first_expiry, cap, scope, now)
    existing = await repository.existing_seat_ids(session, show_id, seat_ids)
    unknown = [seat_id for seat_id in seat_ids if seat_id not in existing]
    if unknown:
        return _unknown_seats(unknown)
    return _unavailable([seat_id for seat_id in seat_ids if seat_id not in claimed])


# --- best available (bookings.best_available chooses; this reads, claims and retries) ----------

ATTEMPTS = 3  # choices tried when other buyers take chosen seats first
GRIDS_KEPT = 512  # shows whose grid (and last free-seat read) a process keeps in memory
TAKEN_REMEMBERED_FOR = 5.0  # seconds: far longer than a request's read takes


@dataclass(frozen=True)
class ChosenHold:
    view: BookingView
    adjacent: bool


@dataclass
class _ShowClaims:
    in_flight: Counter[Any] = field(default_factory=Counter)
    taken: deque[tuple[float, Sequence[Any]]] = field(default_factory=deque)  # (when, seat ids)


class SeatChooser:
    """Per process (`app.state.seat_chooser`): each show's grid, read once, and the seats this
    process is claiming or saw taken lately.

    Choices are deterministic, so requests that read the same free seats at once would all pick
    the same ones and all but one would lose and retry. So a request's choice leaves out the
    seats of this process's claims in flight and the seats it saw taken after that request read
    (a hint only: when that leaves too few, it chooses without it and the claim decides).
    """

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic  # as the seat maps' `checked`; a test may stop it
        self._grids: dict[uuid.UUID, SeatLayout] = {}
        self._claims: dict[uuid.UUID, _ShowClaims] = {}
        self._free: dict[uuid.UUID, tuple[float, dict[Any, int]]] = {}  # (read at, seat -> price)
        # The free-seat read each grid was last checked against: a reused read (most requests
        # during an on-sale) needs no second look.
        self._checked: dict[uuid.UUID, dict[Any, int]] = {}

    async def grid(
        self,
        show_id: uuid.UUID,
        free: dict[Any, int],
        read: Callable[[], Awaitable[SeatLayout | None]],
    ) -> SeatLayout:
        """The show's grid; read again when a free seat is not in it (a new layout)."""
        layout = self._grids.get(show_id)
        if layout is not None and self._checked.get(show_id) is free:
            return layout
        if layout is None or not free.keys() <= layout.seat_ids:
            layout = await read()
            if layout is None:
                raise ShowNotFound()
            _keep_newest(self._grids, show_id, layout)
        _keep_newest(self._checked, show_id, free)
        return layout

    async def free_seats(
        self, show_id: uuid.UUID, read: Callable[[], Awaitable[dict[Any, int]]], reuse_for: float
    ) -> tuple[dict[Any, int], float, bool]:
        """The show's free seats, when they were read, and whether that is a reused read.

        During an on-sale the read was half the cost of a best-available hold (profiled), so a
        read up to `reuse_for` seconds old is chosen from again (`reuse_for=0`: always read). A
        choice from it is only a guess: the seats this process took since are left out (`hint`),
        the claim decides, and a lost race or an empty choice reads afresh."""
        kept = self._free.get(show_id)
        if kept is not None and self._monotonic() - kept[0] < reuse_for:
            return kept[1], kept[0], True
        read_at = self._monotonic()
        free = await read()
        _keep_newest(self._free, show_id, (read_at, free))
        return free, read_at, False

    def hint(self, show_id: uuid.UUID, free: dict[Any, int], read_at: float) -> dict[Any, int]:
        """`free` without what this process is claiming or saw taken since `read_at`."""
        claims = self._claims.get(show_id)
        if claims is None:
            return free
        too_old = self._monotonic() - TAKEN_REMEMBERED_FOR
        while claims.taken and claims.taken[0][0] < too_old:
            claims.taken.popleft()
        skip = set(claims.in_flight)
        for at, seat_ids in reversed(claims.taken):
            if at < read_at:
                break
            skip.update(seat_ids)
        if not claims.taken and not claims.in_flight:
            del self._claims[show_id]
        return {k: v for k, v in free.items() if k not in skip} if skip else free

    @contextmanager
    def claiming(self, show_id: uuid.UUID, seat_ids: Sequence[Any]) -> Iterator[None]:
        claims = self._claims.setdefault(show_id, _ShowClaims())
        claims.in_flight.update(seat_ids)
        try:
            yield
        finally:
            claims.in_flight -= Counter(seat_ids)

    def saw_taken(self, show_id: uuid.UUID, seat_ids: Sequence[Any]) -> None:
        claims = self._claims.setdefault(show_id, _ShowClaims())
        claims.taken.append((self._monotonic(), seat_ids))


def _keep_newest(kept: dict[uuid.UUID, Any], show_id: uuid.UUID, value: Any) -> None:
    """Keeps `value` for the show, forgetting the show kept longest when GRIDS_KEPT are kept."""
    kept.pop(show_id, None)
    if len(kept) >= GRIDS_KEPT:
        kept.pop(next(iter(kept)))
    kept[show_id] = value


@dataclass(frozen=True)
class _Seats:
    """How a best-available hold reads and claims, on its engine and connection."""

    free: Callable[[], Awaitable[dict[Any, int]]]  # the free seats now: seat id -> price
    grid: Callable[[], Awaitable[SeatLayout | None]]
    claim: Callable[[Sequence[Any]], Awaitable[BookingView]]  # all or nothing
    short: Callable[[int], Awaitable[BoxofficeError]]  # why no choice: the show, or too few


@dataclass(frozen=True)
class BestSeatsWanted:
    """One best-available request: who wants which seats of which show, now."""

    principal: Principal
    show_id: uuid.UUID
    wanted: Wanted
    now: datetime
    settings: Settings
    client_ip: str | None
    seat_map: RenderedMap | None  # this process's map of the show, when known current


async def hold_best_seats(
    session: AsyncSession, chooser: SeatChooser, ask: BestSeatsWanted
) -> ChosenHold:
    """Chooses the best seats and holds them under every rule of `hold_seats`, inside the
    session's transaction (SQLite; an Idempotency-Key). Each claim is in a savepoint, so a
    claim that lost a race leaves nothing behind when the next choice is tried."""
    show_id, now = ask.show_id, ask.now

    async def claim(seat_ids: Sequence[Any]) -> BookingView:
        async with session.begin_nested():
            return await hold_seats(
                session, ask.principal, show_id, seat_ids, now, ask.settings, ask.client_ip
            )

    async def short(available: int) -> BoxofficeError:
        return await _short_of_seats(session, show_id, now, available)

    seats = _Seats(
        free=lambda: repository.free_seats(session, show_id, now),
        grid=lambda: _read_grid(session, show_id),
        claim=claim,
        short=short,
    )
    return await _choose_and_hold(chooser, ask, seats)


async def hold_best_seats_at_once(
    engine: AsyncEngine, chooser: SeatChooser, ask: BestSeatsWanted
) -> ChosenHold:
    """`hold_best_seats` on PostgreSQL without a transaction of ours (the sale path, as
    `hold_seats_at_once`): one read of the free seats (none when this process's seat map is
    known current), then the claim: one `boxoffice_hold` in autocommit, all or nothing."""
    show_id, now = ask.show_id, ask.now
    caps = _caps(ask.principal, ask.settings, ask.client_ip)
    async with sale_connection(engine) as (connection, driver):

        async def claim(seat_ids: Sequence[Any]) -> BookingView:
            return await _hold(driver, ask.principal, show_id, seat_ids, now, ask.settings, caps)

        async def short(available: int) -> BoxofficeError:
            async with _reading(connection):
                return await _short_of_seats(connection, show_id, now, available)

        async def read_grid() -> SeatLayout | None:
            async with _reading(connection):
                return await _read_grid(connection, show_id)

        seats = _Seats(
            free=lambda: repository.free_seats_on(driver, show_id, now),
            grid=read_grid,
            claim=claim,
            short=short,
        )
        return await _choose_and_hold(chooser, ask, seats)


async def _choose_and_hold(chooser: SeatChooser, ask: BestSeatsWanted, seats: _Seats) -> ChosenHold:
    """Reads the free seats (or reuses this process's read of a moment ago), chooses and
    claims. When other buyers took some of the chosen seats first (the claim kept nothing),
    reads again and chooses without them, up to ATTEMPTS times in all."""
    show_id, wanted, seat_map = ask.show_id, ask.wanted, ask.seat_map
    if seat_map is not None:
        # The rows as SeatMaps keeps them: seat_id, ..., price, booking_id, held_until.
        read_at = seat_map.checked
        free = {
            row[0]: row[7]
            for row in seat_map.snapshot.seats
            if seat_status(row[8], row[9], ask.now) == "AVAILABLE"
        }
        reused = False
    else:
        reuse_for = ask.settings.best_available_read_reuse_seconds
        free, read_at, reused = await chooser.free_seats(show_id, seats.free, reuse_for)
    grid = await chooser.grid(show_id, free, seats.grid)
    lost: list[str] = []

    def choose(free: dict[Any, int], read_at: float) -> best_available.Choice | None:
        return best_available.choose(
            grid, chooser.hint(show_id, free, read_at), wanted
        ) or best_available.choose(grid, free, wanted)

    for attempt in range(ATTEMPTS):
        if attempt:  # what else other processes took meanwhile, not only what we lost
            free, read_at, reused = await chooser.free_seats(show_id, seats.free, 0)
            free = {k: v for k, v in free.items() if str(k) not in lost}
        choice = choose(free, read_at)
        if choice is None and reused:  # seats may have come free since that read
            free, read_at, reused = await chooser.free_seats(show_id, seats.free, 0)
            choice = choose(free, read_at)
        if choice is None:
            raise await seats.short(best_available.count_matching(grid, free, wanted))
        with chooser.claiming(show_id, choice.seat_ids):
            try:
                view = await seats.claim(choice.seat_ids)
            except SeatsUnavailable as raced:
                lost = raced.extensions["unavailable_seat_ids"]
                chooser.saw_taken(show_id, [s for s in choice.seat_ids if str(s) in lost])
                continue
        chooser.saw_taken(show_id, choice.seat_ids)
        return ChosenHold(view, choice.adjacent)
    raise SeatsUnavailable(
        f"Other buyers took the chosen seats first, {ATTEMPTS} times in a row; nothing was "
        "held. Try again.",
        unavailable_seat_ids=lost,
    )


async def _read_grid(
    executor: AsyncSession | AsyncConnection, show_id: uuid.UUID
) -> SeatLayout | None:
    rows = await repository.seat_grid(executor, show_id)
    if not rows:
        return None
    spot_row, spot_number = rows[0][6], rows[0][7]
    spot = None if spot_row is None or spot_number is None else (spot_row, spot_number)
    return SeatLayout((GridSeat(*row[:6]) for row in rows), spot)


async def _short_of_seats(
    executor: AsyncSession | AsyncConnection, show_id: uuid.UUID, now: datetime, available: int
) -> BoxofficeError:
    """Why no choice could be made: the show, or too few matching seats (the cold path)."""
    show = await repository.sale_state(executor, show_id)
    if show is None:
        return ShowNotFound()
    status, starts_at = show
    if status is not ShowStatus.SCHEDULED:
        return ShowNotOnSale("This show was cancelled.")
    if starts_at <= now:
        return ShowNotOnSale("This show has already started.")
    metrics.HOLDS.labels("not_enough_seats").inc()
    return NotEnoughSeats(f"Only {available} free seats match the request.", available=available)


@asynccontextmanager
async def _reading(connection: AsyncConnection) -> AsyncIterator[None]:
    """A read through SQLAlchemy on the sale path's connection, whose transaction is ended
    right after, so the next hold runs in autocommit again."""
    try:
        yield
    finally:
        await connection.rollback()


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
    *,
    live_hold_ruled_out: bool = False,
) -> BookingView:
    """PENDING: releases the seats. BOOKED: releases them and refunds (until the cut-off).
    `live_hold_ruled_out`: `cancel_hold_at_once` just found no live hold of the caller's."""
    if is_postgres(session) and not live_hold_ruled_out:
        # The on-sale case, a live hold given up, is one statement; anything else (a paid
        # booking and its refund, or a refusal to explain) goes the general way below.
        released = await _release_hold(session, principal, booking_id, now)
        if released is not None:
            return released
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


def cancels_holds_at_once() -> bool:
    """Whether `cancel_hold_at_once` may run: nothing reacts to a hold's cancellation, so it
    needs no transaction of ours for a reaction to join (see `boxoffice.events.reacts`)."""
    return not events.reacts(
        BookingStatusChanged, previous=BookingStatus.PENDING, status=BookingStatus.CANCELLED
    )


async def cancel_hold_at_once(
    engine: AsyncEngine, principal: Principal, booking_id: uuid.UUID, now: datetime
) -> BookingView | None:
    """The cancel of a live hold of the caller's on PostgreSQL without a transaction of ours:
    `boxoffice_release_hold` is one statement, so in autocommit one round trip (a unit of work
    adds BEGIN and COMMIT). Only when `cancels_holds_at_once`. None, with nothing changed, for
    anything but a live hold of the caller's: `cancel_booking` handles or explains it."""
    async with driver_connection_of(engine) as driver:
        released = await repository.release_hold_in_one_statement(
            driver, booking_id, *_release_arguments(principal, now)
        )
    return None if released is None else _released_view(booking_id, released, now)


_CANCEL_REASON = "booking cancelled"


def _release_arguments(principal: Principal, now: datetime) -> tuple[Any, ...]:
    return (
        principal.kind.value,
        principal.id,
        principal.is_admin,
        now,
        _CANCEL_REASON,
        principal.actor,
    )


async def _release_hold(
    session: AsyncSession, principal: Principal, booking_id: uuid.UUID, now: datetime
) -> BookingView | None:
    released = await repository.release_hold_in_one_statement(
        await repository.driver_connection(session),
        booking_id,
        *_release_arguments(principal, now),
    )
    if released is None:
        return None
    view = _released_view(booking_id, released, now)
    await events.publish(
        session,
        BookingStatusChanged(
            view.booking, BookingStatus.PENDING, BookingStatus.CANCELLED, now, _CANCEL_REASON
        ),
    )
    return view


def _released_view(
    booking_id: uuid.UUID, released: repository.ReleasedHold, now: datetime
) -> BookingView:
    booking = Booking(
        id=booking_id,
        show_id=released.show_id,
        user_id=released.user_id,
        guest_id=released.guest_id,
        status=BookingStatus.CANCELLED,
        amount_total=released.amount_total,
        currency=released.currency,
        expires_at=None,
        created_at=released.created_at,
        updated_at=now,
    )
    seats = [
        BookingSeat(booking_id=booking_id, **{**seat, "seat_id": uuid.UUID(seat["seat_id"])})
        for seat in released.seats
    ]
    history = [
        BookingTransition(
            booking_id=booking_id,
            from_status=BookingStatus(entry["from"]) if entry["from"] else None,
            to_status=BookingStatus(entry["to"]),
            at=datetime.fromisoformat(entry["at"]),
            reason=entry["reason"],
            actor=entry["actor"],
        )
        for entry in released.history
    ]
    return BookingView(booking, seats, history)


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
