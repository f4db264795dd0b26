"""Which N seats to give a buyer who asked for "the best N" (SPEC "Choosing seats: best
available"): pure functions over a show's seat grid, no I/O.

In order of preference:
1. N seats side by side in one row: consecutive numbers with no aisle between them (an aisle is
   a gap in `x` or in the numbering between two neighbours). Among those, first the ones that
   strand no single free seat (a free seat left between taken seats, an aisle or the row's
   end), then the one whose centre is nearest the sweet spot in straight-line `x`/`y` distance.
2. Only when no row has N side by side: the N seats nearest the sweet spot (the least sum of
   squared distances) in as few rows as possible; `adjacent` is then False.

The sweet spot is the screen's own (a row and a seat number), or by default the middle of the
row about two thirds of the way back (rows with the smallest `y` are nearest the screen).

Accessible seats (SPEC "Back office": wheelchair spaces and the companion seats next to them) are
never part of those choices: to them they are like an aisle. They are handed out only when asked
(`Wanted.accessible`): then `quantity` counts wheelchair places, nearest the sweet spot first,
each with a free companion seat next to it (same row, the next column) when one is free. Places
whose companion is free come before places whose companion is taken; a place whose companion is
taken (or that has none) is still given, alone, when too few places with a free companion are
left, and `adjacent` is then False. Fewer free places than asked: no choice.

Every tie is broken by the grid itself (further back, then further left), so one grid, one
request and one set of free seats always give the same choice. Distances are compared exactly,
as integers in half grid units.

`SeatLayout` is the part of a show that does not change while it is on sale (positions, types,
the sweet spot), prepared once; each choice then only looks at which seats are free now and
their prices.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate, pairwise
from typing import Any

SeatId = Hashable
Free = Mapping[Any, int]  # the free seats: seat id -> price now


@dataclass(frozen=True, slots=True)
class GridSeat:
    """One seat of the show's grid as the layout has it (never changes during a sale)."""

    seat_id: SeatId
    row: str
    number: int
    x: int
    y: int
    seat_type: str
    accessibility: str | None = None  # WHEELCHAIR, COMPANION or None


WHEELCHAIR = "WHEELCHAIR"
COMPANION = "COMPANION"


@dataclass(frozen=True, slots=True)
class Wanted:
    quantity: int  # seats; with `accessible`, wheelchair places (each with its companion)
    seat_type: str | None = None
    max_price: int | None = None
    accessible: bool = False


@dataclass(frozen=True, slots=True)
class _Place:
    """A wheelchair space and the companion seats next to it (id, type, x), nearest the sweet
    spot first."""

    seat_id: SeatId
    seat_type: str
    y: int
    x: int
    companions: tuple[tuple[SeatId, str, int], ...]


@dataclass(frozen=True, slots=True)
class Choice:
    seat_ids: tuple[SeatId, ...]  # by row, then left to right
    adjacent: bool


@dataclass(frozen=True, slots=True)
class _Run:
    """Seats side by side in one row (no aisle between any two), left to right."""

    ids: tuple[SeatId, ...]
    types: tuple[str, ...]
    x_sums: tuple[int, ...]  # x_sums[i] = x of the first i seats, summed


@dataclass(frozen=True, slots=True)
class _Row:
    label: str
    y: int
    runs: tuple[_Run, ...]
    dy: int  # 2y minus the sweet spot's, in half units


class SeatLayout:
    """A show's grid prepared for many choices: rows nearest the sweet spot first."""

    def __init__(self, seats: Iterable[GridSeat], sweet_spot: tuple[str, int] | None = None):
        by_row: dict[str, list[GridSeat]] = {}
        for seat in seats:
            by_row.setdefault(seat.row, []).append(seat)
        for row_seats in by_row.values():
            row_seats.sort(key=lambda s: s.x)
        self.seat_ids = frozenset(s.seat_id for row in by_row.values() for s in row)
        self.sweet_x2, self.sweet_y2 = _sweet_spot(by_row, sweet_spot)
        # Accessible seats are left out of the rows' runs: a gap, like an aisle.
        general = {
            label: [s for s in seats if s.accessibility is None] for label, seats in by_row.items()
        }
        rows = [
            _Row(label, seats[0].y, _runs(seats), 2 * seats[0].y - self.sweet_y2)
            for label, seats in general.items()
            if seats
        ]
        # Nearest the sweet spot's row first; of two as near, the one further back.
        self.rows = sorted(rows, key=lambda r: (abs(r.dy), -r.y, r.label))
        self.places = self._places(by_row)

    def _places(self, by_row: Mapping[str, Sequence[GridSeat]]) -> tuple[_Place, ...]:
        """Every wheelchair space with its companion seats, nearest the sweet spot first (of two
        as near, the one further back, then the left one)."""
        places = []
        for seats in by_row.values():
            companions = {s.x: s for s in seats if s.accessibility == COMPANION}
            for seat in seats:
                if seat.accessibility != WHEELCHAIR:
                    continue
                beside = [companions[x] for x in (seat.x - 1, seat.x + 1) if x in companions]
                beside.sort(key=lambda c: (self._distance(c), c.x))
                places.append(
                    _Place(
                        seat.seat_id,
                        seat.seat_type,
                        seat.y,
                        seat.x,
                        tuple((c.seat_id, c.seat_type, c.x) for c in beside),
                    )
                )
        return tuple(sorted(places, key=lambda p: (self._distance(p), -p.y, p.x)))

    def _distance(self, seat: GridSeat | _Place) -> int:
        return (2 * seat.x - self.sweet_x2) ** 2 + (2 * seat.y - self.sweet_y2) ** 2

    def __contains__(self, seat_id: object) -> bool:
        return seat_id in self.seat_ids


def _sweet_spot(
    by_row: Mapping[str, Sequence[GridSeat]], chosen: tuple[str, int] | None
) -> tuple[int, int]:
    """(2x, 2y) of the sweet spot: the screen's seat if it has one, else the default."""
    if chosen is not None:
        row, number = chosen
        for seat in by_row.get(row, ()):
            if seat.number == number:
                return 2 * seat.x, 2 * seat.y
    ys = sorted({seats[0].y for seats in by_row.values()})
    front, back = ys[0], ys[-1]
    # The row whose y is nearest two thirds of the way back (of two as near, the one behind):
    # compared as 3y against 3 front + 2 (back - front), exactly.
    target3 = 3 * front + 2 * (back - front)
    y = min(ys, key=lambda v: (abs(3 * v - target3), -v))
    row_seats = [s for seats in by_row.values() if seats[0].y == y for s in seats]
    return min(s.x for s in row_seats) + max(s.x for s in row_seats), 2 * y


def _runs(row: Sequence[GridSeat]) -> tuple[_Run, ...]:
    runs: list[list[GridSeat]] = [[row[0]]]
    for left, right in pairwise(row):
        side_by_side = right.x == left.x + 1 and abs(right.number - left.number) == 1
        if side_by_side:
            runs[-1].append(right)
        else:
            runs.append([right])
    return tuple(
        _Run(
            tuple(s.seat_id for s in run),
            tuple(s.seat_type for s in run),
            (0, *accumulate(s.x for s in run)),
        )
        for run in runs
    )


def _xs(run: _Run) -> list[int]:
    return [after - before for before, after in pairwise(run.x_sums)]


def matches(layout_type: str, price: int, wanted: Wanted) -> bool:
    return (wanted.seat_type is None or layout_type == wanted.seat_type) and (
        wanted.max_price is None or price <= wanted.max_price
    )


def count_matching(layout: SeatLayout, free: Free, wanted: Wanted) -> int:
    """How many free seats are of the type and within the price (the 409's `available`); with
    `accessible`, how many wheelchair places."""
    if wanted.accessible:
        return len(_free_places(layout, free, wanted))
    return sum(
        1
        for row in layout.rows
        for run in row.runs
        for seat_id, seat_type in zip(run.ids, run.types, strict=True)
        if seat_id in free and matches(seat_type, free[seat_id], wanted)
    )


def choose(layout: SeatLayout, free: Free, wanted: Wanted) -> Choice | None:
    """The best `wanted.quantity` seats among `free` (seat id -> current price), or None when
    fewer than that many match; with `accessible`, that many wheelchair places."""
    if wanted.accessible:
        return _accessible(layout, free, wanted)
    found = _side_by_side(layout, free, wanted)
    if found is not None:
        return Choice(found, True)
    spread = _fewest_rows(layout, free, wanted)
    return None if spread is None else Choice(spread, False)


def strands(layout: SeatLayout, free: Free, seat_ids: Iterable[SeatId]) -> bool:
    """Whether taking `seat_ids` out of `free` leaves a free seat alone that was not alone
    before: one whose neighbours in its row (no aisle between) are taken, an aisle or the
    row's end. The waiting list offers no choice that does (`boxoffice.waitlist.offers`)."""
    taking = set(seat_ids)
    for row in layout.rows:
        for run in row.runs:
            if taking.isdisjoint(run.ids):
                continue
            before = [seat_id in free for seat_id in run.ids]
            pairs = zip(run.ids, before, strict=True)
            after = [was and seat_id not in taking for seat_id, was in pairs]
            for index, is_free in enumerate(after):
                if is_free and _alone(after, index) and not _alone(before, index):
                    return True
    return False


def _alone(is_free: Sequence[bool], index: int) -> bool:
    left = index > 0 and is_free[index - 1]
    right = index + 1 < len(is_free) and is_free[index + 1]
    return not (left or right)


def _side_by_side(layout: SeatLayout, free: Free, wanted: Wanted) -> tuple[SeatId, ...] | None:
    n = wanted.quantity
    any_free_seat = wanted.seat_type is None and wanted.max_price is None
    best: tuple[bool, int, int, int] | None = None  # strands, distance, -y, x of the first
    best_ids: tuple[SeatId, ...] | None = None
    for row in layout.rows:
        dy2 = (n * row.dy) ** 2
        if best is not None and not best[0] and dy2 > best[1]:
            break  # rows come nearest first: none further on can be nearer
        for run in row.runs:
            if len(run.ids) < n:
                continue
            if best is not None and not best[0] and _nearest(run, n, layout) + dy2 > best[1]:
                continue  # no window of this run can beat the tidy choice found
            is_free = [seat_id in free for seat_id in run.ids]
            streak = 0
            for end, (seat_id, seat_type) in enumerate(zip(run.ids, run.types, strict=True)):
                ok = is_free[end] and (any_free_seat or matches(seat_type, free[seat_id], wanted))
                streak = streak + 1 if ok else 0
                if streak < n:
                    continue
                start = end + 1 - n
                dx = 2 * (run.x_sums[end + 1] - run.x_sums[start]) - n * layout.sweet_x2
                if best is not None and not best[0] and dx * dx + dy2 > best[1]:
                    continue  # farther than a tidy choice: whether it strands does not matter
                key = (
                    _strands(is_free, start - 1, -1) or _strands(is_free, end + 1, 1),
                    dx * dx + dy2,
                    -row.y,
                    run.x_sums[start + 1] - run.x_sums[start],
                )
                if best is None or key < best:
                    best, best_ids = key, run.ids[start : end + 1]
    return best_ids


def _nearest(run: _Run, n: int, layout: SeatLayout) -> int:
    """The least squared x distance (scaled as in `_side_by_side`) of any n seats of the run:
    a window starting at x has 2 * its x sum = n (2x + n - 1), so clamp the best start."""
    first, last = run.x_sums[1], run.x_sums[-1] - run.x_sums[-2]
    ideal2 = layout.sweet_x2 - n + 1  # twice the start that centres a window on the spot
    start2 = min(max(ideal2, 2 * first), 2 * (last - n + 1))
    dx = n * (start2 - ideal2)
    return dx * dx


def _strands(is_free: Sequence[bool], neighbour: int, away: int) -> bool:
    """Whether taking the seats next to `neighbour` leaves it a lone free seat: it is free, and
    the seat beyond it (`away`) is taken, or there is none (an aisle or the row's end)."""
    if not 0 <= neighbour < len(is_free) or not is_free[neighbour]:
        return False
    beyond = neighbour + away
    return not (0 <= beyond < len(is_free) and is_free[beyond])


def _fewest_rows(layout: SeatLayout, free: Free, wanted: Wanted) -> tuple[SeatId, ...] | None:
    """The N matching seats in as few rows as possible, and of those the set with the least
    sum of squared distances to the sweet spot (rows in a fixed order, so ties are stable)."""
    n = wanted.quantity
    # Per row, its matching seats nearest first (of two as near, the left one): (distance, x, id).
    rows: list[tuple[_Row, list[tuple[int, int, SeatId]]]] = []
    for row in sorted(layout.rows, key=lambda r: (-r.y, r.label)):
        dy2 = row.dy * row.dy
        candidates = sorted(
            ((2 * x - layout.sweet_x2) ** 2 + dy2, x, sid)
            for run in row.runs
            for sid, seat_type, x in zip(run.ids, run.types, _xs(run), strict=True)
            if sid in free and matches(seat_type, free[sid], wanted)
        )
        if candidates:
            rows.append((row, candidates))
    sizes = sorted((len(c) for _, c in rows), reverse=True)
    if sum(sizes) < n:
        return None
    fewest = next(k for k in range(1, len(sizes) + 1) if sum(sizes[:k]) >= n)
    # best[j][m]: least cost of m seats from exactly j of the rows seen so far, and how many
    # seats each of those rows gave.
    inf = None
    best: list[list[tuple[int, tuple[int, ...]] | None]] = [
        [inf] * (n + 1) for _ in range(fewest + 1)
    ]
    best[0][0] = (0, ())
    for index, (_, candidates) in enumerate(rows):
        costs = [0, *accumulate(c[0] for c in candidates[:n])]
        for j in range(min(fewest, index + 1), 0, -1):
            for m in range(n, 0, -1):
                for take in range(1, min(m, len(candidates)) + 1):
                    before = best[j - 1][m - take]
                    if before is None:
                        continue
                    cost = before[0] + costs[take]
                    current = best[j][m]
                    if current is None or cost < current[0]:
                        best[j][m] = (cost, (*before[1], index, take))
    found = best[fewest][n]
    assert found is not None  # the `fewest` fullest rows hold n
    plan = found[1]
    chosen: list[tuple[int, int, SeatId]] = []
    for index, take in zip(plan[::2], plan[1::2], strict=True):
        row, candidates = rows[index]
        chosen += [(row.y, x, sid) for _, x, sid in candidates[:take]]
    return tuple(sid for _, _, sid in sorted(chosen, key=lambda c: (c[0], c[1])))


def _free_places(layout: SeatLayout, free: Free, wanted: Wanted) -> list[_Place]:
    """The free wheelchair places that match (type, price), nearest the sweet spot first."""
    return [
        place
        for place in layout.places
        if place.seat_id in free and matches(place.seat_type, free[place.seat_id], wanted)
    ]


def _accessible(layout: SeatLayout, free: Free, wanted: Wanted) -> Choice | None:
    """`wanted.quantity` wheelchair places, nearest the sweet spot first, each with a free
    companion seat when one is left (see the module docstring)."""
    places = _free_places(layout, free, wanted)
    if len(places) < wanted.quantity:
        return None
    companion_of: dict[SeatId, tuple[int, SeatId]] = {}  # place -> (x, companion seat)
    for place in places:
        companion = next(
            (
                (x, seat_id)
                for seat_id, seat_type, x in place.companions
                if seat_id in free
                and all(seat_id != c for _, c in companion_of.values())
                and matches(seat_type, free[seat_id], wanted)
            ),
            None,
        )
        if companion is not None:
            companion_of[place.seat_id] = companion
            if len(companion_of) == wanted.quantity:
                break
    alone = [p for p in places if p.seat_id not in companion_of]
    chosen = [p for p in places if p.seat_id in companion_of]
    chosen += alone[: wanted.quantity - len(chosen)]
    seats = [(p.y, p.x, p.seat_id) for p in chosen]
    seats += [(p.y, *companion_of[p.seat_id]) for p in chosen if p.seat_id in companion_of]
    ordered = tuple(seat_id for _, _, seat_id in sorted(seats, key=lambda s: (s[0], s[1])))
    return Choice(ordered, all(p.seat_id in companion_of for p in chosen))
