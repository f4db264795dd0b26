"""Holding seats: the rules every hold obeys, and the store that claims them.

A hold takes all of its seats or none (SPEC invariants 1 and 2), within every cap: the
customer's live holds in the show, the seats the customer holds over all shows, the seats held
from the client's address in the show. The store applies those rules where the seats are, in
one step (`HoldStore`, one per engine, chosen once by the app factory: `holds_postgres`,
`holds_sqlite`), and says why it refused in the words of `boxoffice_hold` (`Refusal`); this
module decides what a hold asks for and what each refusal means to the customer.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice import metrics
from boxoffice.accounts.principal import SPENT_GUEST_TOKEN, Principal
from boxoffice.bookings.charges import ChargeTable, line_total, seat_columns
from boxoffice.bookings.errors import (
    ChargesChanged,
    SeatsUnavailable,
    ShowNotFound,
    ShowNotOnSale,
    TooManyHeldSeats,
    TooManyHolds,
    UnknownSeats,
)
from boxoffice.bookings.models import (
    Booking,
    BookingChannel,
    BookingSeat,
    BookingStatus,
    BookingTransition,
)
from boxoffice.bookings.reads import BookingView, in_seat_order
from boxoffice.catalogue.models import ShowStatus
from boxoffice.config import Settings
from boxoffice.errors import BoxofficeError, Conflict, Unauthenticated

HELD_REASON = "seats held"
CANCEL_REASON = "booking cancelled"


@dataclass(frozen=True, slots=True)
class HoldCaps:
    """What a new hold must stay within; 0 turns a seat cap off, no `client_ip` the address's."""

    kind: str  # "user" | "guest"
    customer_id: uuid.UUID
    pending_bookings: int  # live holds of the customer in the show
    held_seats: int  # seats the customer holds over all shows
    client_ip: str | None
    held_seats_per_address: int  # seats held from that address in the show
    held_share_per_address: float | None = None  # when the show's share is what sets it


@dataclass(frozen=True, slots=True)
class Claim:
    """One hold for a store to claim: a new booking of these seats, for whom, until when, at
    the charges of the show's table (refused as `charges-stale` when the table is)."""

    booking_id: uuid.UUID
    show_id: uuid.UUID
    seat_ids: Sequence[Any]
    caps: HoldCaps
    now: datetime
    expires_at: datetime
    actor: str
    charges: ChargeTable


@dataclass(frozen=True, slots=True)
class HeldSeat:
    """A seat of a hold: what it is, its price, and the charges frozen with it (by column)."""

    seat_id: uuid.UUID
    label: str
    seat_type: str
    price: int
    charges: Mapping[str, int | None]


@dataclass(frozen=True, slots=True)
class Release:
    """The cancel of a live hold: which booking, asked by whom (any booking, for an admin)."""

    booking_id: uuid.UUID
    kind: str
    customer_id: uuid.UUID
    is_admin: bool
    now: datetime
    actor: str
    reason: str = CANCEL_REASON


@dataclass(frozen=True, slots=True)
class ReleasedHold:
    """A cancelled hold with all that its answer shows."""

    show_id: uuid.UUID
    amount_total: int
    currency: str
    created_at: datetime
    user_id: uuid.UUID | None
    guest_id: uuid.UUID | None
    seats: list[HeldSeat]
    history: list[BookingTransition]


# A refusal no function raises: the new booking's id begins as another's (its code is taken).
CODE_TAKEN = "code-taken"
CODE_DRAWS = 3  # ids drawn for one hold: a second collision in a row is ~1e-11 at 10 M kept


class Refusal(Exception):
    """A store refused a hold (and kept nothing of it); `code` says why, as `boxoffice_hold`
    does, `details` the rest: `held` (int) and `first_expiry` (datetime | None) for a cap,
    `unknown` and `unavailable` (seat ids) for seats it could not hold. `charges-stale`: the
    claim's charge table is older than the theatre's terms or lacks a price of the show."""

    def __init__(self, code: str, details: dict[str, Any]) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


class SaleSeats(Protocol):
    """A store's statements for one sale, on one connection or in one session."""

    async def claim(self, claim: Claim, *, may_retry: bool = False) -> BookingView:
        """Claims every seat of `claim` or none: the new booking (`held_view`). Raises
        `Refusal`. `may_retry`: the caller tries other seats after a refusal, so a
        refusal must leave the session's transaction usable (a savepoint)."""
        ...

    async def free_seats(self, show_id: uuid.UUID, now: datetime) -> dict[Any, int]:
        """The show's free seats now (no booking, or a hold that ran out): seat id -> price."""
        ...

    async def grid(self, show_id: uuid.UUID) -> Sequence[Sequence[Any]]:
        """Every seat of the show: seat id, row, number, x, y, seat type, the screen's sweet
        spot row and number (null for the default), and the seat's accessibility."""
        ...

    async def sale_state(self, show_id: uuid.UUID) -> tuple[ShowStatus, datetime] | None:
        """The show's status and start; None when there is no such show."""
        ...


class HoldStore(Protocol):
    """Where holds are claimed and released: one per process, for its engine."""

    def seats(self, session: AsyncSession | None = None) -> AbstractAsyncContextManager[SaleSeats]:
        """Statements in `session`'s transaction, or, without one, each claim committed on its
        own (the sale path without an Idempotency-Key)."""
        ...

    async def release(
        self, release: Release, session: AsyncSession | None = None
    ) -> ReleasedHold | None:
        """Cancels a live hold of the caller's and frees exactly its seats, in one step, in
        `session`'s transaction or on its own. None, with nothing changed, for anything else
        (not the caller's, paid, over, cancelled), or when the store has no such step: the
        general cancel (`lifecycle.cancel_booking`) then handles or explains it."""
        ...


def address_caps_apply(settings: Settings, client_ip: str | None) -> bool:
    """Whether a hold is capped by its address: keyed by address like the rate limits, and
    off with them (load tests from one host)."""
    return settings.rate_limit_enabled and client_ip is not None


def caps_of(
    principal: Principal, settings: Settings, client_ip: str | None, show_seats: int = 0
) -> HoldCaps:
    """The caps of a hold; `show_seats` (the show's seats, 0 when unknown) sets the address's
    share, `MAX_HELD_SHARE_PER_ADDRESS` of them (at least one seat)."""
    per_address = share = 0
    if address_caps_apply(settings, client_ip):
        per_address = settings.max_held_seats_per_address_per_show
        if show_seats:
            share = max(1, math.floor(show_seats * settings.max_held_share_per_address))
    share_binds = bool(share) and (not per_address or share < per_address)
    return HoldCaps(
        kind=principal.kind.value,
        customer_id=principal.id,
        pending_bookings=settings.max_pending_bookings_per_customer,
        held_seats=settings.max_held_seats_per_customer,
        client_ip=client_ip,
        held_seats_per_address=share if share_binds else per_address,
        held_share_per_address=settings.max_held_share_per_address if share_binds else None,
    )


async def hold(
    seats: SaleSeats,
    principal: Principal,
    show_id: uuid.UUID,
    seat_ids: Sequence[Any],
    now: datetime,
    settings: Settings,
    caps: HoldCaps,
    charges: ChargeTable,
    *,
    may_retry: bool = False,
) -> BookingView:
    """Holds all of `seat_ids` for the caller, or none, within `caps`, at the charges of the
    show's table: the new PENDING booking. `ChargesChanged` when the table is stale.

    A new id whose code another booking has (`bookings.codes`: one hold in ~110,000 with ten
    million bookings kept) is drawn again, where the store can claim again (PostgreSQL's sale
    path; a savepoint); elsewhere the hold answers 409, retry, as any tripped constraint."""
    expires_at = now + timedelta(seconds=settings.hold_ttl_seconds)
    for _ in range(CODE_DRAWS):
        claim = Claim(
            uuid.uuid4(), show_id, seat_ids, caps, now, expires_at, principal.actor, charges
        )
        try:
            view = await seats.claim(claim, may_retry=may_retry)
        except Refusal as refusal:
            if refusal.code == CODE_TAKEN:
                continue
            raise _refused(refusal, caps, now) from None
        metrics.HOLDS.labels("held").inc()
        return view
    raise Conflict("The change conflicts with the current state; retry.")


def held_view(claim: Claim, held: Iterable[Sequence[Any]], currency: str) -> BookingView:
    """The new PENDING booking as the API shows it and as it is stored; `held` are the claimed
    seats' rows (seat id, label, seat type, price, ...), all priced in the claim's charge table
    (the store checked): each seat with its line, the total their sum."""
    booking_id, now = claim.booking_id, claim.now
    seats = _booking_seats(
        booking_id,
        (
            HeldSeat(row[0], row[1], row[2], row[3], seat_columns(claim.charges, row[3]))
            for row in held
        ),
    )
    is_user = claim.caps.kind == "user"
    booking = Booking(
        id=booking_id,
        show_id=claim.show_id,
        user_id=claim.caps.customer_id if is_user else None,
        guest_id=None if is_user else claim.caps.customer_id,
        status=BookingStatus.PENDING,
        amount_total=sum(line_total(seat) for seat in seats),
        currency=currency,
        expires_at=claim.expires_at,
        created_at=now,
        updated_at=now,
        client_ip=claim.caps.client_ip,
        cancellation_policy=claim.charges.policy_document,
        channel=BookingChannel.ONLINE,  # a counter sale says so once its seats are claimed
    )
    first = history_row(booking_id, None, BookingStatus.PENDING, now, HELD_REASON, claim.actor)
    return BookingView(booking, seats, [first])


def released_view(booking_id: uuid.UUID, released: ReleasedHold, now: datetime) -> BookingView:
    """A hold just cancelled by its store, as the API shows it."""
    booking = Booking(
        id=booking_id,
        show_id=released.show_id,
        user_id=released.user_id,
        guest_id=released.guest_id,
        status=BookingStatus.CANCELLED,
        amount_total=released.amount_total,
        currency=released.currency,
        expires_at=None,
        created_at=released.created_at,
        updated_at=now,
    )
    return BookingView(booking, _booking_seats(booking_id, released.seats), released.history)


def _booking_seats(booking_id: uuid.UUID, seats: Iterable[HeldSeat]) -> list[BookingSeat]:
    """The booking's seats, in seat order."""
    return in_seat_order(
        BookingSeat(
            booking_id=booking_id,
            seat_id=seat.seat_id,
            label=seat.label,
            seat_type=seat.seat_type,
            price=seat.price,
            **seat.charges,
        )
        for seat in seats
    )


def history_row(
    booking_id: uuid.UUID,
    previous: BookingStatus | None,
    target: BookingStatus,
    at: datetime,
    reason: str,
    actor: str | None,
) -> BookingTransition:
    return BookingTransition(
        id=uuid.uuid4(),
        booking_id=booking_id,
        from_status=previous,
        to_status=target,
        at=at,
        reason=reason,
        actor=actor,
    )


def _refused(refusal: Refusal, caps: HoldCaps, now: datetime) -> BoxofficeError:
    """The problem for a refused hold: what each refusal code means to a customer."""
    details = refusal.details
    match refusal.code:
        case "customer-gone":
            return Unauthenticated(SPENT_GUEST_TOKEN)
        case "show-not-found":
            return ShowNotFound()
        case "show-cancelled":
            return ShowNotOnSale("This show was cancelled.")
        case "show-started":
            return ShowNotOnSale("This show has already started.")
        case "too-many-holds":
            metrics.HOLDS.labels("too_many_holds").inc()
            return TooManyHolds(
                f"You already hold seats in {details['held']} pending bookings for this show; "
                "pay for or cancel one first.",
                max_pending_bookings=caps.pending_bookings,
            )
        case "too-many-seats-customer":
            return _too_many_seats(details, caps.held_seats, "customer", now)
        case "too-many-seats-address":
            return _too_many_seats(
                details, caps.held_seats_per_address, "address", now, caps.held_share_per_address
            )
        case "seats-not-held" if details["unknown"]:
            metrics.HOLDS.labels("unknown_seats").inc()
            return UnknownSeats(
                "These seat ids are not seats of this show.",
                unknown_seat_ids=[str(seat_id) for seat_id in details["unknown"]],
            )
        case "charges-stale":
            return ChargesChanged(
                "The show's prices or its theatre's terms changed while holding; nothing was "
                "held. Try again."
            )
        case "seats-not-held":
            metrics.HOLDS.labels("conflict").inc()
            return SeatsUnavailable(
                "Some of the seats are held or booked by someone else; nothing was held.",
                unavailable_seat_ids=[str(seat_id) for seat_id in details["unavailable"]],
            )
    raise AssertionError(f"unknown refusal {refusal.code!r}")


_HOLDERS = {"customer": "you hold", "address": "your network address holds in this show"}


def _too_many_seats(
    details: dict[str, Any], cap: int, scope: str, now: datetime, share: float | None = None
) -> BoxofficeError:
    """429 over a held-seats cap, with Retry-After until the first of those holds runs out;
    `share`: the cap is that share of the show's seats (`max_held_share`)."""
    held, first_expiry = details["held"], details["first_expiry"]
    metrics.HOLDS.labels(f"too_many_seats_{scope}").inc()
    metrics.RATE_LIMITED.labels(f"bookings.held_seats_per_{scope}").inc()
    retry_after = max(1, math.ceil(((first_expiry or now) - now).total_seconds()))
    limit = f"{cap} seats" if share is None else f"{share:.0%} of this show's seats ({cap})"
    extra = {} if share is None else {"max_held_share": share}
    return TooManyHeldSeats(
        retry_after,
        f"At most {limit} can be held at once; {_HOLDERS[scope]} {held}. Pay for or cancel "
        "a booking, or wait for a hold to run out.",
        max_held_seats=cap,
        held_seats=held,
        **extra,
    )
