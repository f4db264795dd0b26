"""A seat's charges as a booking freezes them: the money columns of `booking_seats` (SPEC
"Shapes": `taxable`, `tax_rate_bp`, `cgst`, `sgst`, `ticket_total`, `fee`, `fee_rate_bp`,
`fee_cgst`, `fee_sgst`). Pure: no I/O.

`seat_columns` is what the claim writes for a seat held at a price under a theatre's terms;
`frozen_charge` reads a seat's line back from those columns, the one source invoices, credit
notes and refunds work from.
"""

from __future__ import annotations

from typing import Protocol

from boxoffice.money.tax import SeatCharge, Split, Terms, seat_charge


def columns_of(charge: SeatCharge) -> dict[str, int]:
    return {
        "taxable": charge.ticket.taxable,
        "tax_rate_bp": charge.ticket.rate_bp,
        "cgst": charge.ticket.cgst,
        "sgst": charge.ticket.sgst,
        "ticket_total": charge.ticket_total,
        "fee": charge.fee.taxable,
        "fee_rate_bp": charge.fee.rate_bp,
        "fee_cgst": charge.fee.cgst,
        "fee_sgst": charge.fee.sgst,
    }


def seat_columns(price: int, terms: Terms, *, with_fee: bool = True) -> dict[str, int]:
    """The columns a seat held at `price` freezes under `terms` (no fee at the counter)."""
    return columns_of(seat_charge(price, terms, with_fee=with_fee))


class FrozenSeat(Protocol):
    """A `booking_seats` row, as far as its money goes (NULL: not frozen)."""

    price: int
    taxable: int | None
    tax_rate_bp: int | None
    cgst: int | None
    sgst: int | None
    ticket_total: int | None
    fee: int | None
    fee_rate_bp: int | None
    fee_cgst: int | None
    fee_sgst: int | None


def frozen_charge(seat: FrozenSeat) -> SeatCharge | None:
    """The line the seat froze when it was held; None for a seat whose claim froze no charges
    (`ticket_total` NULL)."""
    if seat.ticket_total is None:
        return None
    frozen = [
        value or 0
        for value in (
            seat.taxable,
            seat.tax_rate_bp,
            seat.cgst,
            seat.sgst,
            seat.fee,
            seat.fee_rate_bp,
            seat.fee_cgst,
            seat.fee_sgst,
        )
    ]
    return SeatCharge(price=seat.price, ticket=Split(*frozen[:4]), fee=Split(*frozen[4:]))
