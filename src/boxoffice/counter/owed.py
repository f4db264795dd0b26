"""What the counter owes back: the counter sales of shows the theatre cancelled.

Cancelling a show gives every seat of its bookings back, everything they cost (the theatre
cancelled). The shop's bookings are refunded through Razorpay at once; a counter sale was paid
in the hand, so its customer is paid back at the counter of the theatre when they come.

What is owed is not stored apart, so that it has one source of truth: it is what the booking's
seats gave back (`booking_seats.refunded`, written per seat by the show's cancellation and by
each counter refund before it) less what the counter paid back (its REFUND movements). A counter
refund pays what it gives back in the same transaction, so only a show's cancellation leaves a
difference, and paying it back closes it. Seats refunded at the counter before the show was
cancelled are not owed again: what their policy kept stays kept. (Not "sales minus refunds":
that would hand back the share a customer's earlier partial refund left to the theatre.)

Paying back is the counter's refund of such a sale (`sales.refund` hands it here): from the
cashier's open shift at the theatre, in the way it was paid, under the booking's row lock, so two
cashiers at once pay once (the second finds nothing owed: 409 `nothing-owed`). `CounterRefunded`
has the credit note issued (naming the invoice, for what the show's cancellation gave back) and
the reports count the money as it leaves the counter; the tickets left the reports' figures when
the show was cancelled, so nothing is counted twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice import events
from boxoffice.accounts.principal import Principal
from boxoffice.bookings import policy, reads
from boxoffice.bookings import repository as bookings_repository
from boxoffice.bookings.codes import booking_code
from boxoffice.bookings.models import Booking, BookingStatus
from boxoffice.bookings.reads import BookingView
from boxoffice.catalogue import service as catalogue_service
from boxoffice.counter import repository
from boxoffice.counter.errors import NothingOwed
from boxoffice.counter.events import CounterRefunded
from boxoffice.counter.models import Method, Movement, MovementKind, Shift
from boxoffice.errors import InvalidInput
from boxoffice.staff.service import ensure_may_sell_at


def refund_movement(
    shift: Shift, booking: Booking, method: Method, amount: int, now: datetime, actor: str
) -> Movement:
    """Money given back at the counter for the booking, out of `shift`."""
    return Movement(
        id=uuid.uuid4(),
        shift_id=shift.id,
        booking_id=booking.id,
        kind=MovementKind.REFUND,
        method=method,
        amount=amount,
        tendered=None,
        change=None,
        reference=None,
        at=now,
        actor=actor,
    )


async def pay_back(
    session: AsyncSession,
    principal: Principal,
    booking: Booking,
    shift: Shift,
    method: Method,
    seat_ids: Sequence[uuid.UUID] | None,
    now: datetime,
) -> None:
    """Pays back, whole, what a CANCELLED counter sale of a cancelled show is owed (its row
    locked), the way it was paid (`method`): 409 when nothing is (paid back already)."""
    owed = await repository.owed_on(session, booking.id)
    if owed <= 0:
        raise NothingOwed(
            "Nothing is owed back on this sale: it was paid back already, or refunded before "
            "its show was cancelled."
        )
    if seat_ids is not None:
        raise InvalidInput(
            "A sale of a cancelled show is paid back whole: leave out `seat_ids`.",
            field="seat_ids",
        )
    seats = (await bookings_repository.seats_of(session, [booking.id]))[booking.id]
    # The seats the show's cancellation gave back (those given back before carry their date),
    # worked out as it did: everything back. Their sum is what it wrote down, so is `owed`.
    given = policy.by_theatre([seat for seat in seats if seat.cancelled_at is None])
    assert given.total == owed, (given.total, owed)
    movement = refund_movement(shift, booking, method, owed, now, principal.actor)
    await repository.add_movement(session, movement)
    reason = "paid back at the counter, show cancelled: " + ", ".join(
        seat.label for seat in reads.in_seat_order(given.seats)
    )
    await events.publish(session, CounterRefunded(booking, owed, given.by_seat(), now, reason))


@dataclass(frozen=True)
class Owed:
    """A counter sale of a cancelled show not yet paid back: how much, and how it was paid."""

    view: BookingView
    amount: int
    method: Method

    def document(self) -> dict[str, object]:
        booking = self.view.booking
        cancelled = [t.at for t in self.view.history if t.to_status is BookingStatus.CANCELLED]
        seats = reads.in_seat_order(s for s in self.view.seats if s.cancelled_at is None)
        return {
            "booking_id": booking.id,
            "code": booking_code(booking.id),
            "show_id": booking.show_id,
            "show": self.view.show,
            "seats": [seat.label for seat in seats],
            "amount": self.amount,
            "currency": booking.currency,
            "method": self.method,
            "cancelled_at": cancelled[-1] if cancelled else None,
        }


async def owed_at(
    session: AsyncSession, principal: Principal, theatre_id: uuid.UUID, limit: int, offset: int
) -> list[Owed]:
    """The theatre's counter sales of cancelled shows still owed money back, for whoever may
    sell at its counter (404 no such theatre, 403 anyone else)."""
    await catalogue_service.get_theatre(session, theatre_id)
    await ensure_may_sell_at(session, principal, theatre_id)
    rows = await repository.owed_at_theatre(session, theatre_id, limit, offset)
    views = await reads.load_views(session, [booking for booking, _ in rows])
    methods = await repository.sale_methods(session, [booking.id for booking, _ in rows])
    return [
        Owed(view, amount, methods[view.booking.id])
        for view, (_, amount) in zip(views, rows, strict=True)
    ]
