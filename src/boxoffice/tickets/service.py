"""Tickets: issued with a BOOKED booking, revoked with its cancellation, checked in once.

Check-in is exactly once because it is one conditional write (VALID -> CHECKED_IN) that only one
of any number of racing scans can make, in any number of processes. A scan with a `nonce` keeps
its first answer, so an offline scanner that uploads the same scan twice gets the same answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice import metrics
from boxoffice.accounts.principal import Principal
from boxoffice.bookings import reads as bookings_reads
from boxoffice.bookings import repository as bookings_repository
from boxoffice.bookings.codes import LENGTH as CODE_LENGTH
from boxoffice.bookings.codes import booking_code, id_prefix
from boxoffice.bookings.errors import BookingNotFound, ShowNotFound
from boxoffice.bookings.models import Booking, BookingChannel, BookingStatus
from boxoffice.catalogue import service as catalogue_service
from boxoffice.config import Settings
from boxoffice.errors import BoxofficeError, Forbidden, InvalidInput
from boxoffice.logs import get_logger
from boxoffice.staff.service import ensure_may_sell_at, ensure_may_work_at
from boxoffice.tickets import keys, repository
from boxoffice.tickets.errors import (
    AlreadyCheckedIn,
    InvalidTicket,
    NotBooked,
    TicketNotFound,
    TicketNotValidNow,
    TicketRevoked,
)
from boxoffice.tickets.models import Ticket, TicketStatus
from boxoffice.tickets.pdf import PrintedShow
from boxoffice.tickets.signing import BadTicket, TicketClaims, verify

log = get_logger("boxoffice.tickets")

# A ticket opens the door from 3 hours before the show until the show's end.
VALID_BEFORE_START = timedelta(hours=3)


async def issue_tickets(
    session: AsyncSession, booking: Booking, settings: Settings | None, now: datetime
) -> list[Ticket]:
    """One signed ticket per seat of a booking that became BOOKED (once)."""
    existing = await repository.tickets_of_booking(session, booking.id)
    if existing:
        return existing
    show = await bookings_repository.get_show(session, booking.show_id)
    assert show is not None
    seats = (await bookings_repository.seats_of(session, [booking.id]))[booking.id]
    signing = await keys.current_key(session, settings, now)
    valid_from = show.starts_at - VALID_BEFORE_START
    tickets = []
    for seat in seats:
        ticket = Ticket(
            id=uuid.uuid4(),
            booking_id=booking.id,
            show_id=show.id,
            seat_id=seat.seat_id,
            seat_label=seat.label,
            seat_type=seat.seat_type,
            status=TicketStatus.VALID,
            kid=signing.kid,
            valid_from=valid_from,
            valid_until=show.ends_at,
            created_at=now,
        )
        ticket.qr = signing.sign(keys.claims_of(ticket))
        tickets.append(ticket)
    repository.add_tickets(session, tickets)
    await session.flush()
    return tickets  # in seat order, as `seats_of` gives the seats


async def revoke_tickets(
    session: AsyncSession,
    booking_id: uuid.UUID,
    now: datetime,
    seat_ids: Sequence[uuid.UUID] | None = None,
) -> int:
    """Revokes the booking's tickets (only those of `seat_ids`, when given)."""
    revoked = await repository.revoke_booking_tickets(session, booking_id, now, seat_ids)
    if revoked:
        log.info("tickets_revoked", booking_id=str(booking_id), count=revoked)
    return revoked


@dataclass(frozen=True)
class BookingTickets:
    booking: Booking
    starts_at: datetime
    tickets: list[Ticket]


async def booking_tickets(
    session: AsyncSession,
    principal: Principal,
    booking_id: uuid.UUID,
    settings: Settings,
    now: datetime,
) -> BookingTickets:
    """The tickets of a booking of yours (any, for an admin; a counter sale's, for whoever may
    sell at its theatre's counter, to print them); 409 if it never was BOOKED."""
    view = await _booking_to_print(session, principal, booking_id)
    booking = view.booking
    tickets = await repository.tickets_of_booking(session, booking.id)
    if not tickets:
        if booking.status is not BookingStatus.BOOKED:
            raise NotBooked(
                f"A {booking.status.value} booking that was never BOOKED has no tickets.",
                booking_status=booking.status.value,
            )
        # Booked before tickets existed: issue them now.
        tickets = await issue_tickets(session, booking, settings, now)
    show = await bookings_repository.get_show(session, booking.show_id)
    assert show is not None
    return BookingTickets(booking, show.starts_at, tickets)


async def _booking_to_print(
    session: AsyncSession, principal: Principal, booking_id: uuid.UUID
) -> bookings_reads.BookingView:
    try:
        return await bookings_reads.get_booking(session, principal, booking_id)
    except BookingNotFound:
        booking = await bookings_repository.get_booking(session, booking_id)
        if booking is None or booking.channel is not BookingChannel.COUNTER or principal.is_guest:
            raise
        show = await bookings_repository.get_show(session, booking.show_id)
        assert show is not None
        try:
            await ensure_may_sell_at(session, principal, show.theatre_id)
        except Forbidden:
            raise BookingNotFound() from None
        return (await bookings_reads.load_views(session, [booking]))[0]


async def printed_tickets(
    session: AsyncSession,
    principal: Principal,
    booking_id: uuid.UUID,
    settings: Settings,
    now: datetime,
) -> tuple[PrintedShow, list[Ticket]]:
    """A booking's tickets to print (yours, or any for an admin), and what each page says of
    its show; 409 as `booking_tickets` for a booking never BOOKED."""
    found = await booking_tickets(session, principal, booking_id, settings, now)
    details = await catalogue_service.get_show_details(session, found.booking.show_id)
    movie, theatre = details.movie, details.theatre
    show = PrintedShow(
        movie_title=movie.title,
        movie_facts=f"{movie.language} · {movie.certificate} · {movie.duration_minutes} min",
        theatre_name=theatre.name,
        theatre_address=theatre.address,
        screen_name=details.screen_name,
        starts_at=found.starts_at,
        timezone=details.view.timezone,
        booking_code=booking_code(found.booking.id),
    )
    return show, found.tickets


@dataclass(frozen=True)
class DoorBooking:
    """A booking as the door sees it: the booking, its show's start, its tickets (none when it
    was never BOOKED)."""

    view: bookings_reads.BookingView
    starts_at: datetime
    tickets: list[Ticket]


async def booking_by_code(session: AsyncSession, principal: Principal, code: str) -> DoorBooking:
    """The booking a short code names, for staff of its show's theatre (403 elsewhere) or an
    admin: 422 for what is no code, 404 for a code of no booking."""
    prefix = id_prefix(code)
    if prefix is None:
        raise InvalidInput(
            f"A booking code is {CODE_LENGTH} letters and digits (without I, L, O or U).",
            field="code",
        )
    booking = await bookings_repository.booking_by_code(session, prefix)
    if booking is None:
        raise BookingNotFound("No booking has this code.")
    show = await bookings_repository.get_show(session, booking.show_id)
    assert show is not None
    await ensure_may_work_at(session, principal, show.theatre_id)
    view = (await bookings_reads.load_views(session, [booking]))[0]
    tickets = await repository.tickets_of_booking(session, booking.id)
    return DoorBooking(view, show.starts_at, tickets)


async def ticket_for_owner(
    session: AsyncSession, principal: Principal, ticket_id: uuid.UUID
) -> Ticket:
    ticket = await repository.get_ticket(session, ticket_id)
    if ticket is None:
        raise TicketNotFound()
    booking = await bookings_repository.get_booking(session, ticket.booking_id)
    if booking is None or not (principal.is_admin or bookings_reads.owns(principal, booking)):
        raise TicketNotFound()
    return ticket


# --- check-in -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScanAnswer:
    status_code: int
    body: dict[str, Any]


def ticket_body(ticket: Ticket, starts_at: datetime) -> dict[str, Any]:
    return {
        "id": str(ticket.id),
        "booking_id": str(ticket.booking_id),
        "show_id": str(ticket.show_id),
        "seat_label": ticket.seat_label,
        "seat_type": ticket.seat_type,
        "starts_at": starts_at.isoformat(),
        "status": ticket.status.value,
        "qr": ticket.qr,
        "checked_in_at": ticket.checked_in_at.isoformat() if ticket.checked_in_at else None,
        "gate": ticket.gate,
        "revoked_at": ticket.revoked_at.isoformat() if ticket.revoked_at else None,
    }


def _problem(error: BoxofficeError) -> ScanAnswer:
    return ScanAnswer(error.status, error.to_problem())


async def check_in(
    session: AsyncSession,
    principal: Principal,
    qr: str,
    gate: str | None,
    nonce: str | None,
    settings: Settings,
    now: datetime,
) -> ScanAnswer:
    """Admits a ticket once. A bad ticket (422) or another theatre's (403) is raised; the
    answers about a genuine ticket (200 or a 409) are returned, so that the answer to a scan with
    a nonce is committed with it."""
    try:
        claims = verify(qr, await keys.verifying_keys(session, settings, now))
        ticket_id = uuid.UUID(claims.ticket_id)
    except (BadTicket, ValueError) as exc:
        metrics.CHECKINS.labels("invalid").inc()
        raise InvalidTicket("The code is not a ticket signed by this box office.") from exc
    ticket = await repository.get_ticket(session, ticket_id)
    if ticket is None or str(ticket.show_id) != claims.show_id:
        raise InvalidTicket("The code is not a ticket signed by this box office.")
    show = await bookings_repository.get_show(session, ticket.show_id)
    assert show is not None
    await ensure_may_work_at(session, principal, show.theatre_id)

    if nonce is not None:
        first = await repository.get_answer(session, ticket.id, nonce)
        if first is not None:
            return ScanAnswer(first.status_code, dict(first.body))

    answer = await _admit(session, principal, ticket, claims, gate, show.starts_at, now)
    metrics.CHECKINS.labels("ok" if answer.status_code == 200 else "refused").inc()
    if nonce is not None and not await repository.insert_answer_if_absent(
        session, ticket.id, nonce, answer.status_code, answer.body, now
    ):
        # The same scan uploaded twice at once: the one recorded first is the answer.
        first = await repository.get_answer(session, ticket.id, nonce)
        assert first is not None
        return ScanAnswer(first.status_code, dict(first.body))
    return answer


async def _admit(
    session: AsyncSession,
    principal: Principal,
    ticket: Ticket,
    claims: TicketClaims,
    gate: str | None,
    starts_at: datetime,
    now: datetime,
) -> ScanAnswer:
    if ticket.status is TicketStatus.REVOKED:
        return _revoked(ticket)
    if not claims.not_before <= now.timestamp() <= claims.not_after:
        return _problem(
            TicketNotValidNow(
                "The ticket is valid from 3 hours before the show until it ends.",
                valid_from=datetime.fromtimestamp(claims.not_before, UTC).isoformat(),
                valid_until=datetime.fromtimestamp(claims.not_after, UTC).isoformat(),
            )
        )
    if await repository.check_in(session, ticket.id, now, gate, principal.actor):
        ticket = await repository.get_ticket(session, ticket.id, refresh=True) or ticket
        log.info("ticket_checked_in", ticket_id=str(ticket.id), gate=gate)
        return ScanAnswer(
            200,
            {
                "result": "ok",
                "ticket": ticket_body(ticket, starts_at),
                "checked_in_at": now.isoformat(),
                "gate": gate,
                "admitted": await repository.admitted(session, ticket.show_id),
            },
        )
    # Someone else's scan won (or the ticket was revoked meanwhile): say what happened.
    ticket = await repository.get_ticket(session, ticket.id, refresh=True) or ticket
    if ticket.status is TicketStatus.REVOKED:
        return _revoked(ticket)
    assert ticket.checked_in_at is not None
    return _problem(
        AlreadyCheckedIn(
            f"Checked in at {ticket.checked_in_at.isoformat()}"
            + (f" at gate {ticket.gate}." if ticket.gate else "."),
            ticket_id=str(ticket.id),
            checked_in_at=ticket.checked_in_at.isoformat(),
            gate=ticket.gate,
        )
    )


def _revoked(ticket: Ticket) -> ScanAnswer:
    return _problem(
        TicketRevoked(
            "The booking of this ticket was cancelled or refunded.",
            ticket_id=str(ticket.id),
            revoked_at=ticket.revoked_at.isoformat() if ticket.revoked_at else None,
        )
    )


async def revoked_tickets(
    session: AsyncSession,
    principal: Principal,
    show_id: uuid.UUID,
    since: datetime | None,
    limit: int,
) -> list[tuple[uuid.UUID, datetime]]:
    show = await bookings_repository.get_show(session, show_id)
    if show is None:
        raise ShowNotFound()
    await ensure_may_work_at(session, principal, show.theatre_id)
    return await repository.revoked_of_show(session, show_id, since, limit)
