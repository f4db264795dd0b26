"""Best available: the seats chosen for a buyer who asked for "the best N", then held.

`bookings.best_available` chooses (pure functions over the show's grid); this reads what it
chooses from, through the hold store's `SaleSeats`, claims the choice as any hold (`holds.hold`,
all or nothing), and chooses again when other buyers took some of it first. `SeatChooser`
keeps, per process, what makes that cheap during an on-sale.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from boxoffice import metrics
from boxoffice.accounts.principal import Principal
from boxoffice.bookings import best_available, holds
from boxoffice.bookings.best_available import GridSeat, SeatLayout, Wanted
from boxoffice.bookings.charges import ChargeTable
from boxoffice.bookings.errors import NotEnoughSeats, SeatsUnavailable, ShowNotFound, ShowNotOnSale
from boxoffice.bookings.holds import HoldCaps, SaleSeats
from boxoffice.bookings.reads import BookingView
from boxoffice.catalogue.models import ShowStatus
from boxoffice.catalogue.seatmap import RenderedMap, row_status
from boxoffice.config import Settings
from boxoffice.errors import BoxofficeError

# Choices tried when other buyers take chosen seats first. Three were too few once: 50 buyers
# at one instant through two processes, on a machine busy with two more test runs, seated 39
# where tests/bookings/test_best_available_concurrency.py wants 40 (lost races refused with
# seats still free). A lost race costs only its loser one more read and claim.
ATTEMPTS = 5
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
    """Per process (`bookings.sale.Sale.chooser`): each show's grid, read once, and the seats this
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
class BestSeatsWanted:
    """One best-available request: who wants which seats of which show, now."""

    principal: Principal
    show_id: uuid.UUID
    wanted: Wanted
    now: datetime
    settings: Settings
    caps: HoldCaps
    seat_map: RenderedMap | None  # this process's map of the show, when known current
    charges: ChargeTable  # the show's, for a hold now


async def hold_best_seats(
    seats: SaleSeats, chooser: SeatChooser, ask: BestSeatsWanted
) -> ChosenHold:
    """Reads the free seats (none when this process's seat map is known current, or a read of
    a moment ago reused), chooses and holds them under every rule of a hold. When other buyers
    took some of the chosen seats first (the claim kept nothing), reads again and chooses
    without them, up to ATTEMPTS times in all."""
    show_id, wanted, seat_map, now = ask.show_id, ask.wanted, ask.seat_map, ask.now

    def read_free() -> Awaitable[dict[Any, int]]:
        return seats.free_seats(show_id, now)

    async def read_grid() -> SeatLayout | None:
        return layout_of(await seats.grid(show_id))

    if seat_map is not None:
        # The rows as SeatMaps keeps them (`catalogue.seatmap.SeatRow`): seat_id, ..., price.
        read_at = seat_map.checked
        free = {
            row[0]: row[7]
            for row in seat_map.snapshot.seats
            if row_status(row, ask.now) == "AVAILABLE"
        }
        reused = False
    else:
        reuse_for = ask.settings.best_available_read_reuse_seconds
        free, read_at, reused = await chooser.free_seats(show_id, read_free, reuse_for)
    grid = await chooser.grid(show_id, free, read_grid)
    lost: list[str] = []

    def choose(free: dict[Any, int], read_at: float) -> best_available.Choice | None:
        return best_available.choose(
            grid, chooser.hint(show_id, free, read_at), wanted
        ) or best_available.choose(grid, free, wanted)

    for attempt in range(ATTEMPTS):
        if attempt:  # what else other processes took meanwhile, not only what we lost
            free, read_at, reused = await chooser.free_seats(show_id, read_free, 0)
            free = {k: v for k, v in free.items() if str(k) not in lost}
        choice = choose(free, read_at)
        if choice is None and reused:  # seats may have come free since that read
            free, read_at, reused = await chooser.free_seats(show_id, read_free, 0)
            choice = choose(free, read_at)
        if choice is None:
            available = best_available.count_matching(grid, free, wanted)
            raise await _short_of_seats(seats, show_id, now, available)
        with chooser.claiming(show_id, choice.seat_ids):
            try:
                view = await holds.hold(
                    seats,
                    ask.principal,
                    show_id,
                    choice.seat_ids,
                    now,
                    ask.settings,
                    ask.caps,
                    ask.charges,
                    may_retry=True,
                )
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


def layout_of(rows: Sequence[Sequence[Any]]) -> SeatLayout | None:
    """The show's grid as best available chooses from it, from `SaleSeats.grid`'s rows."""
    if not rows:
        return None
    spot_row, spot_number = rows[0][6], rows[0][7]
    spot = None if spot_row is None or spot_number is None else (spot_row, spot_number)
    seats = (
        GridSeat(seat_id, row, number, x, y, seat_type, accessibility)
        for seat_id, row, number, x, y, seat_type, _, _, accessibility in rows
    )
    return SeatLayout(seats, spot)


async def _short_of_seats(
    seats: SaleSeats, show_id: uuid.UUID, now: datetime, available: int
) -> BoxofficeError:
    """Why no choice could be made: the show, or too few matching seats (the cold path)."""
    show = await seats.sale_state(show_id)
    if show is None:
        return ShowNotFound()
    status, starts_at = show
    if status is not ShowStatus.SCHEDULED:
        return ShowNotOnSale("This show was cancelled.")
    if starts_at <= now:
        return ShowNotOnSale("This show has already started.")
    metrics.HOLDS.labels("not_enough_seats").inc()
    return NotEnoughSeats(f"Only {available} free seats match the request.", available=available)
