"""Properties of the best-available choice (`boxoffice.bookings.best_available`), checked with
hypothesis against a brute force over small random grids: rows with aisles and missing seats,
mixed types and prices, some seats taken."""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from boxoffice.bookings.best_available import (
    Choice,
    GridSeat,
    SeatLayout,
    Wanted,
    choose,
    count_matching,
)

TYPES = ("VIP", "GOLD")
PRICES = (100, 200, 300)


@dataclass(frozen=True)
class Grid:
    seats: list[GridSeat]
    free: dict[str, int]  # seat id -> price, of the free ones
    prices: dict[str, int]
    sweet_spot: tuple[str, int] | None


@st.composite
def grids(draw: st.DrawFn) -> Grid:
    seats: list[GridSeat] = []
    free: dict[str, int] = {}
    prices: dict[str, int] = {}
    rows = draw(st.integers(1, 6))
    for y in range(rows):
        label = "ABCDEF"[y]
        length = draw(st.integers(1, 12))
        aisles = draw(st.sets(st.integers(1, max(1, length - 1)), max_size=3))
        row_type = draw(st.sampled_from(TYPES))
        for number in range(1, length + 1):
            if draw(st.integers(0, 9)) == 0:
                continue  # a missing seat: a gap in the numbering and in x
            gaps = sum(1 for aisle in aisles if aisle < number)
            seat_type = row_type if draw(st.integers(0, 4)) else draw(st.sampled_from(TYPES))
            seat_id = f"{label}{number}"
            seats.append(GridSeat(seat_id, label, number, number - 1 + gaps, y, seat_type))
            prices[seat_id] = draw(st.sampled_from(PRICES))
            if draw(st.integers(0, 2)):
                free[seat_id] = prices[seat_id]
    if not seats:
        seats.append(GridSeat("A1", "A", 1, 0, 0, "VIP"))
        free["A1"] = prices["A1"] = 100
    spot = draw(st.none() | st.sampled_from([(s.row, s.number) for s in seats] + [("Z", 1)]))
    return Grid(seats, free, prices, spot)


wanteds = st.builds(
    Wanted,
    quantity=st.integers(1, 5),
    seat_type=st.none() | st.sampled_from(TYPES),
    max_price=st.none() | st.sampled_from(PRICES),
)


# --- the brute force ------------------------------------------------------------------------------


def matching(grid: Grid, wanted: Wanted) -> list[GridSeat]:
    return [
        s
        for s in grid.seats
        if s.seat_id in grid.free
        and (wanted.seat_type is None or s.seat_type == wanted.seat_type)
        and (wanted.max_price is None or grid.free[s.seat_id] <= wanted.max_price)
    ]


def rows_of(grid: Grid) -> dict[str, list[GridSeat]]:
    rows: dict[str, list[GridSeat]] = {}
    for seat in grid.seats:
        rows.setdefault(seat.row, []).append(seat)
    return {label: sorted(seats, key=lambda s: s.x) for label, seats in rows.items()}


def side_by_side(a: GridSeat, b: GridSeat) -> bool:
    return b.x == a.x + 1 and abs(b.number - a.number) == 1


def windows(grid: Grid, wanted: Wanted) -> list[tuple[GridSeat, ...]]:
    """Every N seats side by side in one row that all match."""
    ok = {s.seat_id for s in matching(grid, wanted)}
    found = []
    for row in rows_of(grid).values():
        for start in range(len(row) - wanted.quantity + 1):
            window = tuple(row[start : start + wanted.quantity])
            if all(s.seat_id in ok for s in window) and all(
                side_by_side(a, b) for a, b in itertools.pairwise(window)
            ):
                found.append(window)
    return found


def strands(grid: Grid, window: tuple[GridSeat, ...]) -> bool:
    """Whether taking `window` leaves a free seat next to it with no free seat on its other side."""
    row = rows_of(grid)[window[0].row]
    first, last = row.index(window[0]), row.index(window[-1])

    def free_neighbour(index: int, towards: int) -> bool:
        beyond = index + towards
        return (
            0 <= beyond < len(row)
            and side_by_side(*sorted((row[index], row[beyond]), key=lambda s: s.x))
            and row[beyond].seat_id in grid.free
        )

    for index, away in ((first, -1), (last, 1)):
        if free_neighbour(index, away) and not free_neighbour(index + away, away):
            return True
    return False


def distance2(layout: SeatLayout, seats: tuple[GridSeat, ...]) -> Fraction:
    cx = Fraction(sum(s.x for s in seats), len(seats)) - Fraction(layout.sweet_x2, 2)
    cy = Fraction(seats[0].y) - Fraction(layout.sweet_y2, 2)
    return cx * cx + cy * cy


def fewest_rows(seats: list[GridSeat], quantity: int) -> int:
    sizes = sorted(
        (len(list(g)) for _, g in itertools.groupby(sorted(s.row for s in seats))), reverse=True
    )
    return next(k for k in range(1, len(sizes) + 1) if sum(sizes[:k]) >= quantity)


def chosen_seats(grid: Grid, choice: Choice) -> list[GridSeat]:
    by_id = {s.seat_id: s for s in grid.seats}
    return [by_id[seat_id] for seat_id in choice.seat_ids]


# --- the properties -------------------------------------------------------------------------------


@settings(max_examples=250, deadline=None)
@given(grids(), wanteds)
def test_the_chosen_seats_are_free_and_match_or_none_is_chosen(grid: Grid, wanted: Wanted) -> None:
    layout = SeatLayout(grid.seats, grid.sweet_spot)
    choice = choose(layout, grid.free, wanted)
    available = matching(grid, wanted)
    assert count_matching(layout, grid.free, wanted) == len(available)
    if choice is None:
        assert len(available) < wanted.quantity
        return
    assert len(choice.seat_ids) == len(set(choice.seat_ids)) == wanted.quantity
    assert set(choice.seat_ids) <= {s.seat_id for s in available}


@settings(max_examples=250, deadline=None)
@given(grids(), wanteds)
def test_side_by_side_whenever_a_row_has_them_not_stranding_when_avoidable_and_nearest(
    grid: Grid, wanted: Wanted
) -> None:
    layout = SeatLayout(grid.seats, grid.sweet_spot)
    choice = choose(layout, grid.free, wanted)
    candidates = windows(grid, wanted)
    if not candidates:
        assert choice is None or not choice.adjacent
        return
    assert choice is not None and choice.adjacent
    picked = tuple(chosen_seats(grid, choice))
    assert picked in candidates
    tidy = [w for w in candidates if not strands(grid, w)]
    if tidy:
        assert not strands(grid, picked), (picked, tidy)
    preferred = tidy or candidates
    assert distance2(layout, picked) == min(distance2(layout, w) for w in preferred)


@settings(max_examples=250, deadline=None)
@given(grids(), wanteds)
def test_spread_seats_use_as_few_rows_as_possible_and_are_nearest(
    grid: Grid, wanted: Wanted
) -> None:
    layout = SeatLayout(grid.seats, grid.sweet_spot)
    choice = choose(layout, grid.free, wanted)
    if choice is None or choice.adjacent:
        return
    available = matching(grid, wanted)
    picked = chosen_seats(grid, choice)
    fewest = fewest_rows(available, wanted.quantity)
    assert len({s.row for s in picked}) == fewest

    def cost(seats: tuple[GridSeat, ...] | list[GridSeat]) -> Fraction:
        return sum((distance2(layout, (s,)) for s in seats), Fraction(0))

    if math.comb(len(available), wanted.quantity) <= 500:
        best = min(
            cost(combo)
            for combo in itertools.combinations(available, wanted.quantity)
            if len({s.row for s in combo}) == fewest
        )
        assert cost(picked) == best


@settings(max_examples=200, deadline=None)
@given(grids(), wanteds, st.randoms(use_true_random=False))
def test_the_choice_is_deterministic(grid: Grid, wanted: Wanted, rng: random.Random) -> None:
    first = choose(SeatLayout(grid.seats, grid.sweet_spot), grid.free, wanted)
    shuffled = list(grid.seats)
    rng.shuffle(shuffled)
    free = dict(rng.sample(sorted(grid.free.items()), len(grid.free)))
    again = choose(SeatLayout(shuffled, grid.sweet_spot), free, wanted)
    assert first == again


# --- examples -------------------------------------------------------------------------------------


def hall(rows: int, per_row: int, aisles_after: tuple[int, ...] = ()) -> list[GridSeat]:
    return [
        GridSeat(
            f"{chr(65 + y)}{n}",
            chr(65 + y),
            n,
            n - 1 + sum(1 for a in aisles_after if a < n),
            y,
            "GOLD",
        )
        for y in range(rows)
        for n in range(1, per_row + 1)
    ]


def test_the_default_sweet_spot_is_the_middle_of_the_row_two_thirds_back() -> None:
    assert (SeatLayout(hall(10, 20)).sweet_x2, SeatLayout(hall(10, 20)).sweet_y2) == (19, 12)
    layout = SeatLayout(hall(10, 20))
    free = {s.seat_id: 100 for s in hall(10, 20)}
    assert choose(layout, free, Wanted(2)) == Choice(("G10", "G11"), True)
    assert choose(layout, free, Wanted(3)) == Choice(("G9", "G10", "G11"), True)  # left of two


def test_a_screen_sweet_spot_moves_the_choice() -> None:
    seats = hall(10, 20)
    free = {s.seat_id: 100 for s in seats}
    assert choose(SeatLayout(seats, ("B", 5)), free, Wanted(3)) == Choice(("B4", "B5", "B6"), True)
    # A sweet spot naming no seat of the layout falls back to the default.
    assert choose(SeatLayout(seats, ("Z", 3)), free, Wanted(2)) == Choice(("G10", "G11"), True)


def test_it_does_not_strand_a_seat_when_another_choice_avoids_it() -> None:
    seats = hall(1, 9)  # A1-A9, the sweet spot at A5
    free = {s.seat_id: 100 for s in seats if s.seat_id != "A2"}
    # A4-A6 is centred on A5 but leaves A3 alone between A2 (taken) and them; A3-A5 and A5-A7
    # are one seat off and strand nobody: the left one of the two.
    assert choose(SeatLayout(seats), free, Wanted(3)) == Choice(("A3", "A4", "A5"), True)


def test_all_seats_stranding_still_gives_the_nearest() -> None:
    seats = hall(1, 8, aisles_after=(4,))  # A1-A4 | A5-A8, the sweet spot on the aisle
    free = {s.seat_id: 100 for s in seats if s.seat_id not in {"A1", "A8"}}
    # Every pair leaves a lone seat (against A1, A8 or the aisle): the nearest, left one.
    assert choose(SeatLayout(seats), free, Wanted(2)) == Choice(("A3", "A4"), True)


def test_without_a_row_of_n_it_spreads_over_as_few_rows_as_possible() -> None:
    seats = hall(3, 6)  # the sweet spot: row B (2/3 of 0..2 is 1.33), between B3 and B4
    taken = {"A2", "A4", "B2", "B4", "B6", "C2", "C4", "C6"}  # no three side by side anywhere
    free = {s.seat_id: 100 for s in seats if s.seat_id not in taken}
    # Row A has A5-A6 and A1, A3: four free seats; B and C have three each (1, 3, 5).
    assert choose(SeatLayout(seats), free, Wanted(4)) == Choice(("A1", "A3", "A5", "A6"), False)
    assert choose(SeatLayout(seats), free, Wanted(3)) == Choice(("B1", "B3", "B5"), False)
