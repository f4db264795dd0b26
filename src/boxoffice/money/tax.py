"""The GST of one ticket and of its convenience fee, and the sums of a booking (SPEC "Money").

Pure: no I/O. Amounts are integer paise, rates basis points (1 % = 100 bp), and the only
rounding is `round_half_up` on integers. The SPEC's arithmetic, exactly:

- Inclusive price (the price is what the ticket costs): for each slab from the lowest,
  `taxable = round_half_up(price * 10000 / (10000 + rate_bp))`; the first slab whose `up_to` is
  open or ≥ `taxable` applies; `tax = price - taxable`.
- Exclusive price: `taxable = price`, the slab by the price, `tax = round_half_up(price *
  rate_bp / 10000)`.
- A ticket is an intra-state supply: `cgst = tax - tax // 2` (the odd paisa), `sgst = tax // 2`.
- The convenience fee is chosen by the ticket's price (a flat amount or a share of the price) and
  GST on it is added on top by the `FEE` rule, split the same way.
- A booking's figures are sums of its lines, never recomputed from rates.

A film a state has made tax-free (its SGST waived) keeps the taxable value and the CGST of its
ticket; only the SGST is 0, so the customer pays that much less (`ticket_total` < an inclusive
price). A theatre without a GSTIN charges no GST at all (every tax field 0).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise

BP = 10_000  # basis points in a whole


def round_half_up(numerator: int, denominator: int) -> int:
    """`numerator / denominator` rounded to the nearest integer, halves up (both ≥ 0, d > 0)."""
    return (2 * numerator + denominator) // (2 * denominator)


def rupees(paise: int) -> str:
    """₹105.01: how a message names an amount."""
    return f"₹{paise // 100}.{paise % 100:02d}"


def covers(up_to: int | None, value: int) -> bool:
    return up_to is None or value <= up_to


def check_ascending(up_tos: Sequence[int | None]) -> None:
    """Slab tops strictly ascending and exactly one open top, the last (ValueError otherwise)."""
    if not up_tos:
        raise ValueError("needs at least one slab")
    if up_tos[-1] is not None or None in up_tos[:-1]:
        raise ValueError("exactly one slab, the last, has an open top (up_to null)")
    bounded = [u for u in up_tos[:-1] if u is not None]
    if any(a >= b for a, b in pairwise(bounded)):
        raise ValueError("slabs must be in ascending order of up_to")


@dataclass(frozen=True)
class Slab:
    """A tax slab: `rate_bp` on a taxable value per ticket up to `up_to` paise (None: no top)."""

    up_to: int | None
    rate_bp: int


@dataclass(frozen=True)
class Split:
    """An amount's GST: its taxable value, the rate that applied, and the two halves."""

    taxable: int
    rate_bp: int
    cgst: int
    sgst: int

    @property
    def total(self) -> int:
        return self.taxable + self.cgst + self.sgst


def untaxed(amount: int) -> Split:
    return Split(taxable=amount, rate_bp=0, cgst=0, sgst=0)


def _halves(taxable: int, rate_bp: int, tax: int) -> Split:
    return Split(taxable=taxable, rate_bp=rate_bp, cgst=tax - tax // 2, sgst=tax // 2)


def _taxable_within(price: int, rate_bp: int) -> int:
    return round_half_up(price * BP, BP + rate_bp)


def _inclusive_slab(price: int, slabs: Sequence[Slab]) -> tuple[int, int]:
    """Which slab applies to an inclusive price (its index), and the taxable value it gives."""
    for index, slab in enumerate(slabs):
        taxable = _taxable_within(price, slab.rate_bp)
        if covers(slab.up_to, taxable):
            return index, taxable
    raise ValueError("the slabs have no open top")


def inclusive_split(price: int, slabs: Sequence[Slab]) -> Split:
    """The GST inside a price that includes it (slabs ascending, the last one open)."""
    index, taxable = _inclusive_slab(price, slabs)
    return _halves(taxable, slabs[index].rate_bp, price - taxable)


def exclusive_split(amount: int, slabs: Sequence[Slab]) -> Split:
    """The GST on top of an amount that excludes it."""
    slab = next((s for s in slabs if covers(s.up_to, amount)), None)
    if slab is None:
        raise ValueError("the slabs have no open top")
    return _halves(amount, slab.rate_bp, round_half_up(amount * slab.rate_bp, BP))


def inconsistent_band(price: int, slabs: Sequence[Slab]) -> tuple[int, int] | None:
    """None when an inclusive `price` splits consistently (its taxable value lies in the slab
    whose rate produced it); else the band of inclusive prices, first and last, around it that
    no slab fits (today ₹105.01 to ₹118.00: at 5 % the taxable value is above ₹100, at 18 % it is
    ₹100 or less). `inclusive_split` gives such a price the higher slab."""
    index, taxable = _inclusive_slab(price, slabs)
    below = slabs[index - 1] if index else None
    if below is None or below.up_to is None or taxable > below.up_to:
        return None
    above = slabs[index]
    # round_half_up(p * BP / (BP + r)) > U  ⇔  2·BP·p ≥ (2U + 1)(BP + r), and ≤ U the reverse.
    edge = 2 * below.up_to + 1
    first = -(-edge * (BP + below.rate_bp) // (2 * BP))
    last = -(-edge * (BP + above.rate_bp) // (2 * BP)) - 1
    return first, last


@dataclass(frozen=True)
class FeeSlab:
    """The convenience fee for tickets priced up to `up_to` paise (None: no top): a flat
    `amount`, or `rate_bp` of the ticket's price; exactly one of the two."""

    up_to: int | None
    amount: int | None = None
    rate_bp: int | None = None


def convenience_fee(price: int, schedule: Sequence[FeeSlab]) -> int:
    """The fee of a ticket at `price`; 0 with an empty schedule (no fee)."""
    for slab in schedule:
        if covers(slab.up_to, price):
            if slab.amount is not None:
                return slab.amount
            assert slab.rate_bp is not None
            return round_half_up(price * slab.rate_bp, BP)
    return 0


@dataclass(frozen=True)
class Terms:
    """All a ticket's charge depends on besides its price: the theatre's settings, the rules in
    force on the day the seats are held, and the film's waiver in the theatre's state."""

    registered: bool  # the theatre has a GSTIN
    prices_include_tax: bool
    admission: tuple[Slab, ...]
    fee_tax: tuple[Slab, ...]
    fee_schedule: tuple[FeeSlab, ...] = ()
    sgst_waived: bool = False


@dataclass(frozen=True)
class SeatCharge:
    """One ticket's line: its price, the GST in or on it, its convenience fee and that fee's GST
    (the columns a booking's seat freezes, SPEC "Shapes")."""

    price: int
    ticket: Split
    fee: Split

    @property
    def ticket_total(self) -> int:
        return self.ticket.total

    @property
    def fee_total(self) -> int:
        return self.fee.total

    @property
    def total(self) -> int:
        return self.ticket.total + self.fee.total


def seat_charge(price: int, terms: Terms, *, with_fee: bool = True) -> SeatCharge:
    """The line of a ticket at `price`; `with_fee=False` for a counter sale (no fee)."""
    fee = convenience_fee(price, terms.fee_schedule) if with_fee else 0
    if not terms.registered:
        return SeatCharge(price=price, ticket=untaxed(price), fee=untaxed(fee))
    split = inclusive_split if terms.prices_include_tax else exclusive_split
    ticket = split(price, terms.admission)
    if terms.sgst_waived:
        ticket = replace(ticket, sgst=0)
    return SeatCharge(price=price, ticket=ticket, fee=exclusive_split(fee, terms.fee_tax))


@dataclass(frozen=True)
class Subtotal:
    taxable: int
    cgst: int
    sgst: int

    @property
    def total(self) -> int:
        return self.taxable + self.cgst + self.sgst


def subtotal(splits: Iterable[Split]) -> Subtotal:
    taxable = cgst = sgst = 0
    for split in splits:
        taxable, cgst, sgst = taxable + split.taxable, cgst + split.cgst, sgst + split.sgst
    return Subtotal(taxable=taxable, cgst=cgst, sgst=sgst)


@dataclass(frozen=True)
class Charges:
    """A booking's `charges`: sums of its lines, tickets apart from fees."""

    tickets: Subtotal
    fees: Subtotal

    @property
    def grand_total(self) -> int:
        return self.tickets.total + self.fees.total


def charges_of(lines: Sequence[SeatCharge]) -> Charges:
    return Charges(
        tickets=subtotal(line.ticket for line in lines),
        fees=subtotal(line.fee for line in lines),
    )
