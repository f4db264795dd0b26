"""Selling and refunding at the counter, each in the one transaction of its request.

A sale claims its seats through the same store and the same atomic claim as an online hold
(`HoldStore.seats(session)`: on PostgreSQL `boxoffice_hold` run in the sale's transaction, on
SQLite the ORM claim), of named seats or the best available through the same chooser, so the
counter and the shop never sell one seat twice. The claim is a PENDING hold for a guest made
for the sale (a walk-in need not give a name), with the show's charges less the convenience fee;
in the same transaction it becomes a counter sale, BOOKED (its invoice and tickets follow from
that, as for any booking), and the money taken goes into the cashier's open shift. Anything
refused after the claim (too little cash tendered) raises, and the request's unit of work rolls
all of it back: no hold is left behind.

A refund gives back seats of a counter sale by the booking's cancellation policy (as a customer
cancelling online would get), pays it from the counter in the way it was paid, into the
cashier's open shift, and has its credit note issued (`CounterRefunded`). A sale whose show the
theatre cancelled is refunded everything: paid back whole what the cancellation gave back
(`owed`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice import events
from boxoffice.accounts import repository as accounts_repository
from boxoffice.accounts.models import Guest
from boxoffice.accounts.principal import Principal
from boxoffice.bookings import holds, lifecycle, reads, rules
from boxoffice.bookings import repository as bookings_repository
from boxoffice.bookings.chooser import BestSeatsWanted, hold_best_seats
from boxoffice.bookings.errors import ChargesChanged, IllegalTransition, ShowNotFound
from boxoffice.bookings.holds import HoldCaps, SaleSeats
from boxoffice.bookings.models import Booking, BookingChannel, BookingStatus
from boxoffice.bookings.reads import BookingView
from boxoffice.bookings.sale import Sale
from boxoffice.catalogue.models import ShowStatus
from boxoffice.counter import owed, repository, shifts
from boxoffice.counter.errors import (
    NotACounterSale,
    PaymentIncomplete,
    SaleNotFound,
    TenderedTooLittle,
)
from boxoffice.counter.events import CounterRefunded, CounterSold
from boxoffice.counter.models import Method, Movement, MovementKind
from boxoffice.counter.schemas import Customer, Payment, SaleRequest
from boxoffice.errors import InvalidInput
from boxoffice.staff.service import ensure_may_sell_at

SOLD_REASON = "sold at the counter"


@dataclass(frozen=True)
class CounterSale:
    """A counter sale as its answer shows it: the booking, the money moved at the counter."""

    view: BookingView
    movements: list[Movement]
    adjacent: bool | None = None
    owed: int = 0  # owed back, its show cancelled (`owed`)


async def sell(
    session: AsyncSession, sale: Sale, principal: Principal, body: SaleRequest, now: datetime
) -> CounterSale:
    """Sells the seats asked for (or the best `quantity`), paid at once: the BOOKED booking."""
    show = await bookings_repository.get_show(session, body.show_id)
    if show is None:
        raise ShowNotFound()
    await ensure_may_sell_at(session, principal, show.theatre_id)
    _check_payment(body.payment)
    _check_size(body, sale.settings.max_seats_per_booking)
    shift = await shifts.shift_to_work_in(session, principal, show.theatre_id, body.shift_id)
    guest = await _walk_in(session, body.customer, now)
    caps = HoldCaps(
        kind="guest",
        customer_id=guest.id,
        pending_bookings=1,
        held_seats=0,  # a counter sale is no hold that waits: no cap on seats held
        client_ip=None,
        held_seats_per_address=0,
    )
    try:
        view, adjacent = await _claim(session, sale, principal, body, caps, now)
    except ChargesChanged:  # the theatre's terms changed meanwhile: once more, afresh
        view, adjacent = await _claim(session, sale, principal, body, caps, now)
    booking = view.booking
    amount = booking.amount_total
    tendered = body.payment.tendered
    if body.payment.method is Method.CASH:
        tendered = amount if tendered is None else tendered
        if tendered < amount:
            raise TenderedTooLittle(
                f"The total is {amount}; {tendered} was tendered. Nothing was sold.",
                amount_due=amount,
                tendered=tendered,
            )
    await bookings_repository.mark_sold_at_counter(session, booking)
    confirmed = await lifecycle.confirm_seats(session, booking, now)
    assert confirmed, "the seats were claimed in this transaction"
    await lifecycle.transition(
        session, booking, BookingStatus.BOOKED, now, SOLD_REASON, principal.actor
    )
    movement = Movement(
        id=uuid.uuid4(),
        shift_id=shift.id,
        booking_id=booking.id,
        kind=MovementKind.SALE,
        method=body.payment.method,
        amount=amount,
        tendered=tendered,
        change=None if tendered is None else tendered - amount,
        reference=body.payment.reference,
        at=now,
        actor=principal.actor,
    )
    await repository.add_movement(session, movement)
    await events.publish(session, CounterSold(booking, amount, now))
    (sold,) = await reads.load_views(session, [booking])
    return CounterSale(sold, [movement], adjacent)


async def _claim(
    session: AsyncSession,
    sale: Sale,
    principal: Principal,
    body: SaleRequest,
    caps: HoldCaps,
    now: datetime,
) -> tuple[BookingView, bool | None]:
    """The seats claimed in the sale's transaction as any hold claims them (all or none; 409
    naming the seats taken), at the show's charges less the convenience fee, read in the same
    transaction. In a savepoint, so that a table gone stale can be rebuilt and the claim tried
    again."""
    charges = (await sale.charges.build_in(session, body.show_id, now)).without_fees()
    seats: SaleSeats
    async with sale.store.seats(session) as seats:
        if body.wanted is not None:
            ask = BestSeatsWanted(
                principal, body.show_id, body.wanted, now, sale.settings, caps, None, charges
            )
            chosen = await hold_best_seats(seats, sale.chooser, ask)
            return chosen.view, chosen.adjacent
        assert body.seat_ids is not None
        view = await holds.hold(
            seats,
            principal,
            body.show_id,
            body.seat_ids,
            now,
            sale.settings,
            caps,
            charges,
            may_retry=True,
        )
        return view, None


async def _walk_in(session: AsyncSession, customer: Customer | None, now: datetime) -> Guest:
    """The customer of a counter sale: a guest of its own, with what they told the cashier
    (named on the invoice, and emailed the tickets when they gave an address). Nobody holds a
    token for it: the sale is read, printed and refunded at the counter."""
    guest = Guest(
        id=uuid.uuid4(),
        name=customer.name if customer else None,
        email=customer.email if customer else None,
        phone=customer.phone if customer else None,
        created_at=now,
    )
    await accounts_repository.add_guest(session, guest)
    return guest


def _check_payment(payment: Payment) -> None:
    if payment.method is Method.CASH:
        if payment.reference is not None:
            raise PaymentIncomplete("A cash payment takes `tendered`, not a `reference`.")
        return
    if payment.tendered is not None:
        raise PaymentIncomplete(
            f"`tendered` is for cash; a {payment.method.value} payment has none."
        )
    if payment.reference is None:
        raise PaymentIncomplete(
            f"A {payment.method.value} payment needs the `reference` of its "
            + ("card terminal's slip." if payment.method is Method.CARD else "UPI transaction."),
            field="payment.reference",
        )


def _check_size(body: SaleRequest, limit: int) -> None:
    if body.seat_ids is not None and len(set(body.seat_ids)) != len(body.seat_ids):
        raise InvalidInput("seat_ids lists a seat more than once.")
    asked = len(body.seat_ids) if body.seat_ids is not None else body.quantity or 0
    if asked > limit:
        raise InvalidInput(
            f"At most {limit} seats can be sold in one booking.", max_seats_per_booking=limit
        )


async def refund(
    session: AsyncSession,
    principal: Principal,
    booking_id: uuid.UUID,
    seat_ids: Sequence[uuid.UUID] | None,
    shift_id: uuid.UUID | None,
    now: datetime,
    sale: Sale,
) -> CounterSale:
    """Gives back the seats (all it holds, without `seat_ids`) of a counter sale by its
    cancellation policy, refunded from the caller's open shift in the way it was paid; of a
    show the theatre cancelled, everything (paying back what its cancellation owes)."""
    found = await bookings_repository.get_booking(session, booking_id)
    show = None if found is None else await bookings_repository.get_show(session, found.show_id)
    if found is None or show is None:
        raise SaleNotFound()
    await ensure_may_sell_at(session, principal, show.theatre_id)
    # The shift first, then the booking: the order a sale takes them in too.
    shift = await shifts.shift_to_work_in(session, principal, show.theatre_id, shift_id)
    booking = await bookings_repository.get_booking(session, booking_id, for_update=True)
    assert booking is not None
    paid = [
        m for m in await repository.movements_of(session, booking.id) if m.kind is MovementKind.SALE
    ]
    if booking.channel is not BookingChannel.COUNTER or not paid:
        raise NotACounterSale("This booking was sold online: it is cancelled in the shop.")
    cancelled_show = show.status is ShowStatus.CANCELLED
    status = rules.effective_status(booking.status, booking.expires_at, now)
    if status is BookingStatus.CANCELLED and cancelled_show:
        await owed.pay_back(session, principal, booking, shift, paid[0].method, seat_ids, now)
        return await counter_sale(session, booking)
    if status is not BookingStatus.BOOKED:
        raise IllegalTransition(
            f"A {status.value} booking has nothing left to refund.", current_status=status.value
        )
    # A show cancelled whose bookings are still being cancelled: the theatre's, everything back.
    giving = await lifecycle.plan_give_back(
        session, booking, now, sale.settings, seat_ids, by_theatre=cancelled_show
    )
    amount = giving.given.total
    if amount:
        movement = owed.refund_movement(
            shift, booking, paid[0].method, amount, now, principal.actor
        )
        await repository.add_movement(session, movement)
        reason = "refunded at the counter: " + ", ".join(s.label for s in giving.given.seats)
        await events.publish(
            session, CounterRefunded(booking, amount, giving.given.by_seat(), now, reason)
        )
    await lifecycle.complete_give_back(session, booking, giving, now, principal.actor)
    return await counter_sale(session, booking)


async def read_sale(
    session: AsyncSession, principal: Principal, booking_id: uuid.UUID
) -> CounterSale:
    """A counter sale, to print, reprint or refund: for whoever may sell at its theatre."""
    booking = await bookings_repository.get_booking(session, booking_id)
    show = None if booking is None else await bookings_repository.get_show(session, booking.show_id)
    if booking is None or show is None or booking.channel is not BookingChannel.COUNTER:
        raise SaleNotFound()
    await ensure_may_sell_at(session, principal, show.theatre_id)
    return await counter_sale(session, booking)


async def counter_sale(session: AsyncSession, booking: Booking) -> CounterSale:
    (view,) = await reads.load_views(session, [booking])
    movements = await repository.movements_of(session, booking.id)
    return CounterSale(view, movements, owed=await repository.owed_on(session, booking.id))
