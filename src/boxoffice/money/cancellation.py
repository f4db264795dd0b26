"""A theatre's cancellation policy and what a cancellation gives back (SPEC "Money").

Pure: no I/O. A policy is tiers by time before the show, strictly descending in minutes and in
refund: `[(120, 7500), (20, 5000)]` gives 75 % of the tickets' totals back to a customer who
cancels 2 h or more before the show, 50 % from 20 min to 2 h, and nothing later (not
cancellable). The default policy is one tier of 100 % until `CANCELLATION_CUTOFF_MINUTES`.

A refund is worked out per ticket, so that cancelling seats one at a time gives back exactly
what cancelling them together does: `round_half_up(ticket_total * refund_bp / 10000)`, split
into taxable value, CGST and SGST in the proportions of the ticket's own line (the credit note's
line). A customer's cancellation keeps the convenience fee; a show the theatre cancels gives
everything back, fees included. No part of a refund ever exceeds the part of the line it
reverses, so refunds never exceed what was paid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from boxoffice.money.tax import BP, SeatCharge, round_half_up

MAX_TIERS = 10


@dataclass(frozen=True)
class Tier:
    """`refund_bp` of the tickets' totals back when cancelling at least `until_minutes_before`
    minutes before the show starts."""

    until_minutes_before: int
    refund_bp: int


def check_tiers(tiers: Sequence[Tier]) -> None:
    """Strictly descending in minutes and in refund (ValueError otherwise)."""
    for earlier, later in pairwise(tiers):
        if later.until_minutes_before >= earlier.until_minutes_before:
            raise ValueError("tiers must be strictly descending in until_minutes_before")
        if later.refund_bp >= earlier.refund_bp:
            raise ValueError("tiers must be strictly descending in refund_bp")


def default_policy(cutoff_minutes: int) -> tuple[Tier, ...]:
    return (Tier(until_minutes_before=cutoff_minutes, refund_bp=BP),)


@dataclass(frozen=True)
class Quote:
    """What a customer's cancellation at a given moment would give back.

    `refund_bp` holds until `refund_until` (the current tier's end); `cancellable_until` is the
    end of the last tier, after which the customer cannot cancel (None: a policy of no tiers).
    """

    allowed: bool
    refund_bp: int
    refund_until: datetime | None
    cancellable_until: datetime | None


def quote(policy: Sequence[Tier], starts_at: datetime, now: datetime) -> Quote:
    deadlines = [starts_at - timedelta(minutes=t.until_minutes_before) for t in policy]
    last = deadlines[-1] if deadlines else None
    for tier, deadline in zip(policy, deadlines, strict=True):
        if now <= deadline:
            return Quote(True, tier.refund_bp, deadline, last)
    return Quote(False, 0, None, last)


@dataclass(frozen=True)
class Reversal:
    """What one cancelled ticket gives back, split as its line was."""

    taxable: int
    cgst: int
    sgst: int
    fee: int
    fee_cgst: int
    fee_sgst: int

    @property
    def ticket(self) -> int:
        return self.taxable + self.cgst + self.sgst

    @property
    def fee_total(self) -> int:
        return self.fee + self.fee_cgst + self.fee_sgst

    @property
    def total(self) -> int:
        return self.ticket + self.fee_total


def _reversal(line: SeatCharge, refund_bp: int, *, with_fee: bool) -> Reversal:
    ticket_total = line.ticket_total
    refund = round_half_up(ticket_total * refund_bp, BP)
    cgst = round_half_up(line.ticket.cgst * refund, ticket_total) if ticket_total else 0
    sgst = round_half_up(line.ticket.sgst * refund, ticket_total) if ticket_total else 0
    fee = line.fee if with_fee else None
    return Reversal(
        taxable=refund - cgst - sgst,
        cgst=cgst,
        sgst=sgst,
        fee=fee.taxable if fee else 0,
        fee_cgst=fee.cgst if fee else 0,
        fee_sgst=fee.sgst if fee else 0,
    )


def customer_refund(lines: Sequence[SeatCharge], refund_bp: int) -> list[Reversal]:
    """A customer cancelling these tickets under a tier of `refund_bp`: the fees are kept."""
    if not 0 <= refund_bp <= BP:
        raise ValueError("refund_bp must be within 0..10000")
    return [_reversal(line, refund_bp, with_fee=False) for line in lines]


def theatre_refund(lines: Sequence[SeatCharge]) -> list[Reversal]:
    """The theatre cancelling the show: everything back, fees included."""
    return [_reversal(line, BP, with_fee=True) for line in lines]
