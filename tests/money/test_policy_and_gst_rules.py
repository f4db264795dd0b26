"""Properties of the pure cancellation policy, refunds, GSTIN and invoice numbering (no database,
no HTTP): SPEC "Money"."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.money.strategies import fee_schedules, slab_tables

from boxoffice.money.cancellation import (
    Tier,
    check_tiers,
    customer_refund,
    default_policy,
    quote,
    theatre_refund,
)
from boxoffice.money.gst import (
    STATES,
    check_gstin,
    credit_note_number,
    financial_year,
    financial_year_at,
    gstin_check_character,
    invoice_number,
    registration_problems,
)
from boxoffice.money.tax import BP, SeatCharge, Slab, Terms, charges_of, round_half_up, seat_charge

STARTS = datetime(2026, 12, 20, 13, 0, tzinfo=UTC)  # 18:30 in Kolkata
SPEC_POLICY = (Tier(120, 7500), Tier(20, 5000))

# Published GSTINs that independent validators agree on (python-stdnum's documentation, and
# the reference vectors of two GSTIN libraries).
KNOWN_VALID = [
    "27AAPFU0939F1ZV",
    "29AATFB5356N1ZK",
    "07AAGFF2194N1Z1",
    "33AAPFU0939F1Z2",
    "06AAPFU0939F1ZZ",
    "38AAPFU0939F1ZS",
]
BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@st.composite
def policies(draw: st.DrawFn) -> tuple[Tier, ...]:
    minutes = sorted(draw(st.sets(st.integers(0, 20_000), max_size=4)), reverse=True)
    refunds = sorted(draw(st.sets(st.integers(0, BP), min_size=len(minutes))), reverse=True)
    return tuple(Tier(m, r) for m, r in zip(minutes, refunds, strict=False))


@st.composite
def booking_lines(draw: st.DrawFn) -> list[SeatCharge]:
    terms = Terms(
        registered=draw(st.booleans()),
        prices_include_tax=draw(st.booleans()),
        admission=draw(slab_tables()),
        fee_tax=(Slab(None, 1800),),
        fee_schedule=draw(fee_schedules()),
        sgst_waived=draw(st.booleans()),
    )
    amounts = draw(st.lists(st.integers(100, 10_000_000), min_size=1, max_size=10))
    return [seat_charge(amount, terms) for amount in amounts]


@given(policies(), st.integers(-30_000, 30_000))
def test_a_quote_follows_the_tier_of_the_moment(policy: tuple[Tier, ...], minutes: int) -> None:
    now = STARTS - timedelta(minutes=minutes)
    offer = quote(policy, STARTS, now)
    due = next((t for t in policy if minutes >= t.until_minutes_before), None)
    assert offer.allowed == (due is not None)
    assert offer.refund_bp == (due.refund_bp if due else 0)
    if policy:
        assert offer.cancellable_until == STARTS - timedelta(
            minutes=policy[-1].until_minutes_before
        )
        assert offer.allowed == (now <= offer.cancellable_until)
    later = quote(policy, STARTS, now + timedelta(minutes=1))
    assert later.refund_bp <= offer.refund_bp  # never more for waiting


def test_the_spec_policy_at_its_edges() -> None:
    at = {m: quote(SPEC_POLICY, STARTS, STARTS - timedelta(minutes=m)) for m in (121, 120, 20, 19)}
    assert [at[m].refund_bp for m in (121, 120, 20, 19)] == [7500, 7500, 5000, 0]
    assert at[120].refund_until == STARTS - timedelta(minutes=120)
    assert at[20].refund_until == STARTS - timedelta(minutes=20)
    assert not at[19].allowed and at[19].cancellable_until == STARTS - timedelta(minutes=20)
    assert default_policy(60) == (Tier(60, BP),)
    assert quote(default_policy(60), STARTS, STARTS - timedelta(minutes=60)).refund_bp == BP
    assert not quote((), STARTS, STARTS - timedelta(days=9)).allowed


@given(st.lists(st.tuples(st.integers(0, 500), st.integers(0, BP)), max_size=4))
def test_tiers_are_strictly_descending_in_minutes_and_refund(pairs: list[tuple[int, int]]) -> None:
    tiers = [Tier(m, r) for m, r in pairs]
    descending = all(
        a.until_minutes_before > b.until_minutes_before and a.refund_bp > b.refund_bp
        for a, b in pairwise(tiers)
    )
    try:
        check_tiers(tiers)
    except ValueError:
        assert not descending
    else:
        assert descending


@given(booking_lines(), st.integers(0, BP))
def test_a_customer_refund_is_the_policys_share_and_never_more_than_paid(
    lines: list[SeatCharge], refund_bp: int
) -> None:
    reversals = customer_refund(lines, refund_bp)
    for line, back in zip(lines, reversals, strict=True):
        assert back.ticket == round_half_up(line.ticket_total * refund_bp, BP)
        assert 0 <= back.taxable <= line.ticket.taxable
        assert 0 <= back.cgst <= line.ticket.cgst and 0 <= back.sgst <= line.ticket.sgst
        assert back.fee_total == 0  # the fee is kept
    assert sum(back.total for back in reversals) <= charges_of(lines).grand_total


@given(booking_lines(), st.integers(0, BP), st.data())
def test_partial_cancels_add_up_to_cancelling_together(
    lines: list[SeatCharge], refund_bp: int, data: st.DataObject
) -> None:
    first = data.draw(st.sets(st.sampled_from(range(len(lines)))))
    apart = customer_refund([lines[i] for i in sorted(first)], refund_bp) + customer_refund(
        [lines[i] for i in range(len(lines)) if i not in first], refund_bp
    )
    together = customer_refund(lines, refund_bp)
    assert sum(r.total for r in apart) == sum(r.total for r in together)


@given(booking_lines())
def test_a_show_cancelled_by_the_theatre_refunds_everything(lines: list[SeatCharge]) -> None:
    reversals = theatre_refund(lines)
    charges = charges_of(lines)
    assert sum(r.total for r in reversals) == charges.grand_total
    assert sum(r.cgst for r in reversals) == charges.tickets.cgst
    assert sum(r.fee_sgst for r in reversals) == charges.fees.sgst


def test_a_refund_bp_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError):
        customer_refund([], BP + 1)


@pytest.mark.parametrize("gstin", KNOWN_VALID)
def test_known_gstins_are_valid_and_any_other_check_character_is_not(gstin: str) -> None:
    assert check_gstin(gstin) == gstin
    for wrong in BASE36.replace(gstin[-1], ""):
        with pytest.raises(ValueError, match="check character"):
            check_gstin(gstin[:-1] + wrong)


@given(
    st.sampled_from(sorted(STATES)),
    st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), min_size=6, max_size=6),
    st.integers(1, 9999),
    st.sampled_from("123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    st.data(),
)
def test_a_changed_character_of_a_gstin_changes_its_check_character(
    state: str, letters: str, serial: int, entity: str, data: st.DataObject
) -> None:
    body = f"{state}{letters[:5]}{serial:04d}{letters[5]}{entity}Z"
    gstin = body + gstin_check_character(body)
    assert check_gstin(gstin) == gstin
    position = data.draw(st.integers(0, 13))
    other = data.draw(st.sampled_from(BASE36.replace(body[position], "")))
    changed = body[:position] + other + body[position + 1 :]
    assert gstin_check_character(changed) != gstin[-1]  # Luhn mod 36 sees every single change


@pytest.mark.parametrize(
    "gstin",
    ["27AAPFU0939F1Z", "27AAPFU0939F1ZVX", "27aapfu0939f1zv", "00AAPFU0939F1Z6", "27AAPFU0939F1AV"],
)
def test_a_gstin_of_the_wrong_shape_is_refused(gstin: str) -> None:
    with pytest.raises(ValueError):
        check_gstin(gstin)


def test_a_registration_needs_its_fields_and_the_gstins_state() -> None:
    full = {"legal_name": "PLZ Pvt Ltd", "gstin": "27AAPFU0939F1ZV", "state_code": "27"}
    assert registration_problems(**full, sac="999614") == []
    assert registration_problems(legal_name=None, gstin=None, state_code=None, sac=None) == []
    assert registration_problems(**{**full, "legal_name": None}, sac=None) == [
        "A theatre with a gstin needs legal_name, sac"
    ]
    assert registration_problems(**{**full, "state_code": "29"}, sac="999614") == [
        "The state_code 29 is not the GSTIN's state (27)"
    ]


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2200, 12, 31)))
def test_the_financial_year_runs_from_april_to_march(day: date) -> None:
    year = financial_year(day)
    start = date(int(year[:4]), 4, 1)
    assert start <= day < date(start.year + 1, 4, 1)
    assert year[5:] == f"{(start.year + 1) % 100:02d}"


def test_the_financial_year_is_the_theatres_and_numbers_are_zero_padded() -> None:
    assert financial_year(date(2027, 3, 31)) == "2026-27"
    assert financial_year(date(2027, 4, 1)) == "2027-28"
    # 31 March 20:00 UTC is already 1 April in Kolkata.
    assert financial_year_at(datetime(2027, 3, 31, 20, 0, tzinfo=UTC), "Asia/Kolkata") == "2027-28"
    assert financial_year_at(datetime(2027, 3, 31, 20, 0, tzinfo=UTC), "UTC") == "2026-27"
    assert financial_year(date(2099, 6, 1)) == "2099-00"
    assert invoice_number("PLZ", "2026-27", 42) == "PLZ/2026-27/000042"
    assert credit_note_number("PLZ", "2026-27", 7) == "PLZ/CN/2026-27/000007"
