"""Properties of the pure GST arithmetic (no database, no HTTP): SPEC "Money", per ticket.

The oracle for rounding is Python's Decimal with ROUND_HALF_UP, not the code under test.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

from hypothesis import assume, given
from hypothesis import strategies as st
from tests.money.strategies import fee_schedules, slab_tables

from boxoffice.money.tax import (
    BP,
    FeeSlab,
    SeatCharge,
    Slab,
    Terms,
    charges_of,
    check_ascending,
    convenience_fee,
    exclusive_split,
    inclusive_split,
    inconsistent_band,
    round_half_up,
    rupees,
    seat_charge,
)

INDIA_2025 = (Slab(up_to=10_000, rate_bp=500), Slab(up_to=None, rate_bp=1800))
INDIA_2019 = (Slab(up_to=10_000, rate_bp=1200), Slab(up_to=None, rate_bp=1800))
FEE_RULE = (Slab(up_to=None, rate_bp=1800),)
SPEC_FEE = (FeeSlab(up_to=10_000, amount=1000), FeeSlab(up_to=None, rate_bp=1000))

prices = st.integers(min_value=0, max_value=10_000_000)
rates = st.integers(min_value=0, max_value=4000)


def oracle(numerator: int, denominator: int) -> int:
    exact = Decimal(numerator) / Decimal(denominator)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


terms = st.builds(
    Terms,
    registered=st.booleans(),
    prices_include_tax=st.booleans(),
    admission=slab_tables(),
    fee_tax=slab_tables(),
    fee_schedule=fee_schedules(),
    sgst_waived=st.booleans(),
)


def chosen_inclusive(price: int, slabs: tuple[Slab, ...]) -> tuple[int, int]:
    """The SPEC's rule read literally: (index of the slab that applies, its taxable value)."""
    for index, slab in enumerate(slabs):
        taxable = oracle(price * BP, BP + slab.rate_bp)
        if slab.up_to is None or taxable <= slab.up_to:
            return index, taxable
    raise AssertionError("no open top")


def consistent(price: int, slabs: tuple[Slab, ...]) -> bool:
    index, taxable = chosen_inclusive(price, slabs)
    below = slabs[index - 1].up_to if index else None
    return below is None or taxable > below


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=1, max_value=10**6))
def test_round_half_up_is_decimal_half_up(numerator: int, denominator: int) -> None:
    assert round_half_up(numerator, denominator) == oracle(numerator, denominator)


@given(prices, slab_tables())
def test_the_inclusive_split_gives_back_the_price(price: int, slabs: tuple[Slab, ...]) -> None:
    split = inclusive_split(price, slabs)
    index, taxable = chosen_inclusive(price, slabs)
    assert (split.taxable, split.rate_bp) == (taxable, slabs[index].rate_bp)
    assert split.taxable + split.cgst + split.sgst == price
    assert split.cgst - split.sgst in (0, 1)  # CGST takes the odd paisa


@given(prices, slab_tables())
def test_exclusive_tax_is_the_formula(price: int, slabs: tuple[Slab, ...]) -> None:
    split = exclusive_split(price, slabs)
    slab = next(s for s in slabs if s.up_to is None or price <= s.up_to)
    tax = oracle(price * slab.rate_bp, BP)
    assert (split.taxable, split.rate_bp) == (price, slab.rate_bp)
    assert (split.cgst, split.sgst) == (tax - tax // 2, tax // 2)


@given(st.lists(st.tuples(prices, st.booleans()), max_size=12), terms)
def test_a_bookings_charges_are_the_sums_of_its_lines(
    seats: list[tuple[int, bool]], booking_terms: Terms
) -> None:
    lines = [seat_charge(price, booking_terms, with_fee=fee) for price, fee in seats]
    charges = charges_of(lines)
    assert charges.tickets.taxable == sum(line.ticket.taxable for line in lines)
    assert charges.tickets.cgst == sum(line.ticket.cgst for line in lines)
    assert charges.tickets.sgst == sum(line.ticket.sgst for line in lines)
    assert charges.tickets.total == sum(line.ticket_total for line in lines)
    assert charges.fees.taxable == sum(line.fee.taxable for line in lines)
    assert charges.fees.total == sum(line.fee_total for line in lines)
    assert charges.grand_total == sum(line.total for line in lines)
    assert charges.grand_total == charges.tickets.total + charges.fees.total


@given(prices, terms)
def test_a_line_is_exact_to_the_paisa(price: int, booking_terms: Terms) -> None:
    line = seat_charge(price, booking_terms)
    ticket, fee = line.ticket, line.fee
    assert min(ticket.taxable, ticket.cgst, ticket.sgst, fee.taxable, fee.cgst, fee.sgst) >= 0
    assert fee.taxable == convenience_fee(price, booking_terms.fee_schedule)
    if not booking_terms.registered:
        assert (ticket.taxable, ticket.cgst, ticket.sgst, ticket.rate_bp) == (price, 0, 0, 0)
        assert (fee.cgst, fee.sgst) == (0, 0)
        return
    assert fee == exclusive_split(fee.taxable, booking_terms.fee_tax)
    split = (inclusive_split if booking_terms.prices_include_tax else exclusive_split)(
        price, booking_terms.admission
    )
    assert (ticket.taxable, ticket.cgst) == (split.taxable, split.cgst)
    assert ticket.sgst == (0 if booking_terms.sgst_waived else split.sgst)


@given(prices, fee_schedules())
def test_the_fee_follows_the_slab_of_the_price(price: int, schedule: tuple[FeeSlab, ...]) -> None:
    fee = convenience_fee(price, schedule)
    slab = next((s for s in schedule if s.up_to is None or price <= s.up_to), None)
    if slab is None:
        assert fee == 0
    elif slab.amount is not None:
        assert fee == slab.amount
    else:
        assert slab.rate_bp is not None
        assert fee == oracle(price * slab.rate_bp, BP)


@given(prices, slab_tables())
def test_an_inconsistent_price_is_named_with_its_band(price: int, slabs: tuple[Slab, ...]) -> None:
    band = inconsistent_band(price, slabs)
    assert (band is None) == consistent(price, slabs)
    if band is not None:
        first, last = band
        assert first <= price <= last


@given(st.data(), slab_tables(ascending_rates=True))
def test_with_rates_ascending_the_band_is_exactly_the_inconsistent_prices(
    data: st.DataObject, slabs: tuple[Slab, ...]
) -> None:
    boundaries = [i for i, slab in enumerate(slabs[:-1]) if slab.rate_bp < slabs[i + 1].rate_bp]
    assume(boundaries)
    below, above = slabs[data.draw(st.sampled_from(boundaries))], slabs[-1]
    assert below.up_to is not None
    top = below.up_to * (BP + above.rate_bp) // BP
    price = data.draw(st.integers(below.up_to * (BP + below.rate_bp) // BP, top + 1))
    band = inconsistent_band(price, slabs)
    assume(band is not None)
    assert band is not None
    first, last = band
    inside = data.draw(st.integers(min_value=first, max_value=last))
    assert not consistent(inside, slabs) and inconsistent_band(inside, slabs) == band
    assert consistent(first - 1, slabs) or inconsistent_band(first - 1, slabs) != band
    assert consistent(last + 1, slabs) or inconsistent_band(last + 1, slabs) != band


def test_todays_band_is_105_01_to_118_00_and_105_is_five_percent() -> None:
    assert inconsistent_band(10_501, INDIA_2025) == (10_501, 11_800)
    assert inconsistent_band(11_800, INDIA_2025) == (10_501, 11_800)
    assert inconsistent_band(10_500, INDIA_2025) is None
    assert inconsistent_band(11_801, INDIA_2025) is None
    five = inclusive_split(10_500, INDIA_2025)
    assert (five.taxable, five.rate_bp, five.cgst, five.sgst) == (10_000, 500, 250, 250)
    # An inconsistent price (a later rule could make one) takes the higher slab.
    assert inclusive_split(11_000, INDIA_2025).rate_bp == 1800
    assert rupees(10_501) == "₹105.01"


def test_worked_examples_at_each_slab() -> None:
    terms_2025 = Terms(
        registered=True,
        prices_include_tax=True,
        admission=INDIA_2025,
        fee_tax=FEE_RULE,
        fee_schedule=SPEC_FEE,
    )
    low = seat_charge(10_000, terms_2025)  # ₹100 inclusive: 5 %
    assert (low.ticket.taxable, low.ticket.cgst, low.ticket.sgst) == (9_524, 238, 238)
    assert (low.fee.taxable, low.fee.cgst, low.fee.sgst) == (1_000, 90, 90)
    assert low.total == 10_000 + 1_180
    high = seat_charge(25_000, terms_2025)  # ₹250 inclusive: 18 %, fee 10 % of the price
    assert (high.ticket.taxable, high.ticket.cgst, high.ticket.sgst) == (21_186, 1_907, 1_907)
    assert (high.fee.taxable, high.fee.cgst, high.fee.sgst) == (2_500, 225, 225)
    exclusive = seat_charge(25_000, Terms(True, False, INDIA_2025, FEE_RULE))
    assert (exclusive.ticket.cgst, exclusive.ticket.sgst, exclusive.ticket_total) == (
        2_250,
        2_250,
        29_500,
    )
    before = seat_charge(10_000, Terms(True, True, INDIA_2019, FEE_RULE))  # 12 % until 2025-09-21
    assert (before.ticket.taxable, before.ticket.cgst, before.ticket.sgst) == (8_929, 536, 535)
    counter = seat_charge(25_000, terms_2025, with_fee=False)
    assert counter.fee_total == 0 and counter.total == 25_000


def test_a_tax_free_film_keeps_its_cgst_and_waives_its_sgst() -> None:
    waived = seat_charge(25_000, Terms(True, True, INDIA_2025, FEE_RULE, SPEC_FEE, True))
    assert (waived.ticket.taxable, waived.ticket.cgst, waived.ticket.sgst) == (21_186, 1_907, 0)
    assert waived.ticket_total == 25_000 - 1_907
    assert (waived.fee.cgst, waived.fee.sgst) == (225, 225)  # the fee is not the film's


def test_an_unregistered_theatre_charges_no_gst() -> None:
    line = seat_charge(25_000, Terms(False, True, INDIA_2025, FEE_RULE, SPEC_FEE))
    assert line == SeatCharge(price=25_000, ticket=line.ticket, fee=line.fee)
    assert (line.ticket.taxable, line.ticket.cgst, line.ticket.sgst) == (25_000, 0, 0)
    assert (line.fee.taxable, line.fee.cgst, line.fee.sgst) == (2_500, 0, 0)


@given(st.lists(st.one_of(st.none(), st.integers(0, 100)), min_size=1, max_size=4))
def test_slabs_ascend_to_exactly_one_open_top(tops: list[int | None]) -> None:
    valid = (
        tops[-1] is None and tops.count(None) == 1 and all(a < b for a, b in pairwise(tops[:-1]))
    )
    try:
        check_ascending(tops)
    except ValueError:
        assert not valid
    else:
        assert valid
