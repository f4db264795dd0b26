from __future__ import annotations

import asyncio
import io
import uuid
from datetime import datetime
from typing import Annotated

import segno
from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse, Response

from boxoffice.accounts.dependencies import PrincipalDep, StaffOrAdminDep
from boxoffice.bookings.schemas import BookingOut
from boxoffice.dependencies import NowDep, SessionDep, SettingsDep
from boxoffice.errors import PROBLEM_CONTENT_TYPE, InvalidInput
from boxoffice.tickets import keys, pdf, service
from boxoffice.tickets.schemas import (
    CheckinOut,
    CheckinRequest,
    DoorBookingOut,
    PublicKey,
    PublicKeys,
    RevokedTicket,
    RevokedTickets,
    TicketList,
    TicketOut,
)
from boxoffice.tickets.signing import b64url

router = APIRouter(tags=["tickets"])


@router.get(
    "/bookings/{booking_id}/tickets",
    response_model=TicketList,
    responses={
        404: {"description": "Not your booking, or no such booking"},
        409: {"description": "The booking is not BOOKED and never was"},
    },
)
async def booking_tickets(
    booking_id: uuid.UUID,
    principal: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> TicketList:
    """One signed ticket per seat; a cancelled booking's read as REVOKED."""
    found = await service.booking_tickets(session, principal, booking_id, settings, now)
    return TicketList(items=[TicketOut.of(t, found.starts_at) for t in found.tickets])


@router.get(
    "/bookings/{booking_id}/tickets.pdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "A page per seat"},
        404: {"description": "Not your booking, or no such booking"},
        409: {"description": "The booking is not BOOKED and never was"},
    },
)
async def booking_tickets_pdf(
    booking_id: uuid.UUID,
    principal: PrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> Response:
    """The booking's tickets as a PDF to print or keep: a page per seat with the movie, theatre,
    screen, time (the theatre's), seat, booking code and QR code; a cancelled ticket's page
    says so, without its QR code."""
    show, tickets = await service.printed_tickets(session, principal, booking_id, settings, now)
    content = await asyncio.to_thread(pdf.render, show, tickets)  # ms of CPU: off the loop
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="tickets-{show.booking_code}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


@router.get(
    "/bookings/code/{code}",
    response_model=DoorBookingOut,
    responses={
        403: {"description": "A booking for a show at a theatre the staff member does not work at"},
        404: {"description": "No booking has this code"},
        422: {"description": "Not a booking code"},
    },
)
async def booking_by_code(
    code: Annotated[str, Path(min_length=1, max_length=20)],
    principal: StaffOrAdminDep,
    session: SessionDep,
    now: NowDep,
) -> DoorBookingOut:
    """A booking found by its short code (any case; dashes and spaces ignored; O read as 0, I
    and L as 1), with its tickets: for staff of its show's theatre, say at the door for a
    customer whose phone is flat, and for admins."""
    found = await service.booking_by_code(session, principal, code)
    return DoorBookingOut(
        booking=BookingOut.of(found.view, now),
        tickets=[TicketOut.of(t, found.starts_at) for t in found.tickets],
    )


@router.get(
    "/tickets/{ticket_id}/qr.svg",
    response_class=Response,
    responses={
        200: {"content": {"image/svg+xml": {}}, "description": "The QR code"},
        404: {"description": "Not your ticket, or no such ticket"},
    },
)
async def ticket_qr(ticket_id: uuid.UUID, principal: PrincipalDep, session: SessionDep) -> Response:
    """The ticket's signed code as a QR image, to show at the door."""
    ticket = await service.ticket_for_owner(session, principal, ticket_id)
    buffer = io.BytesIO()
    segno.make(ticket.qr, error="m").save(buffer, kind="svg", scale=4, border=4)
    return Response(
        buffer.getvalue(),
        media_type="image/svg+xml",
        headers={"Cache-Control": "private, max-age=300"},
    )


@router.get("/tickets/keys", response_model=PublicKeys)
async def ticket_keys(session: SessionDep, settings: SettingsDep, now: NowDep) -> PublicKeys:
    """The public keys that verify tickets offline, the signing one first (old ones stay listed
    after a rotation)."""
    published = await keys.published_keys(session, settings, now)
    return PublicKeys(keys=[PublicKey(kid=kid, public_key=b64url(raw)) for kid, raw in published])


@router.post(
    "/checkin",
    response_model=CheckinOut,
    responses={
        403: {"description": "A show at a theatre the staff member does not work at"},
        409: {"description": "already-checked-in, ticket-revoked or ticket-not-valid-now"},
        422: {"description": "Not a ticket: bad signature, unknown key or garbage"},
    },
)
async def check_in(
    body: CheckinRequest,
    principal: StaffOrAdminDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> JSONResponse:
    """Admit a ticket at a gate, exactly once; the same `nonce` again replays the first answer."""
    answer = await service.check_in(
        session, principal, body.qr, body.gate, body.nonce, settings, now
    )
    return JSONResponse(
        answer.body,
        status_code=answer.status_code,
        media_type=PROBLEM_CONTENT_TYPE if answer.status_code >= 400 else None,
    )


@router.get(
    "/shows/{show_id}/revoked-tickets",
    response_model=RevokedTickets,
    responses={
        403: {"description": "Another theatre's show"},
        404: {"description": "Unknown show"},
    },
)
async def revoked_tickets(
    show_id: uuid.UUID,
    principal: StaffOrAdminDep,
    session: SessionDep,
    since: Annotated[datetime | None, Query(description="ISO time with an offset")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 10_000,
) -> RevokedTickets:
    """Tickets revoked since `since` (all without it), oldest first, for offline scanners."""
    if since is not None and since.tzinfo is None:
        raise InvalidInput("`since` needs a UTC offset.")
    rows = await service.revoked_tickets(session, principal, show_id, since, limit)
    return RevokedTickets(items=[RevokedTicket(ticket_id=t, revoked_at=at) for t, at in rows])
