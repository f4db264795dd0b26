"""Tax invoices, receipts and credit notes (SPEC "Money": "Tax invoice", "Credit notes").

A booking gets its invoice in the transaction in which it becomes BOOKED, whichever path books
it (the handlers in `invoicing.handlers` react to the bookings domain's event): a tax invoice
when its theatre is registered for GST, else a receipt, with one line per seat's ticket and one
per seat's convenience fee, copied from the charges its seats froze. A refund of its seats
issues a credit note in the refund's own transaction, reversing exactly the lines refunded; a
booking without an invoice (a payment that never booked) gets none.

Every document is numbered from its own gapless series per theatre and financial year by the
database, as its transaction commits (migration 0017's trigger).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice import events
from boxoffice.accounts import repository as accounts_repository
from boxoffice.accounts.dependencies import ensure_manages_theatre
from boxoffice.accounts.principal import Principal
from boxoffice.bookings import repository as bookings_repository
from boxoffice.bookings.errors import BookingNotFound
from boxoffice.bookings.models import Booking
from boxoffice.bookings.reads import owns
from boxoffice.catalogue.models import Theatre
from boxoffice.errors import Forbidden
from boxoffice.invoicing import links, repository
from boxoffice.invoicing.errors import CreditNoteNotFound, InvoiceNotFound
from boxoffice.invoicing.events import InvoiceIssued
from boxoffice.invoicing.models import Document, DocumentLine, LineKind, Series
from boxoffice.money import gst, tax
from boxoffice.money.cancellation import Reversal
from boxoffice.staff.service import ensure_may_work_at
from boxoffice.taxes import service as taxes_service

# A convenience fee is a support service, not an admission (heading 9996): "other support
# services n.e.c." A theatre's accountant may file it otherwise; it is one constant.
FEE_SAC = "998599"


@dataclass(frozen=True)
class Issued:
    """A document with its lines."""

    document: Document
    lines: list[DocumentLine]


async def issue_invoice(session: AsyncSession, booking: Booking, at: datetime) -> Document:
    """The booking's tax invoice (its theatre has a GSTIN) or receipt, once."""
    existing = await repository.invoice_of(session, booking.id)
    if existing is not None:
        return existing
    show, theatre, title = await repository.sale_facts(session, booking.show_id)
    seats = (await bookings_repository.seats_of(session, [booking.id]))[booking.id]
    charges = await taxes_service.booking_lines(session, booking.show_id, booking.created_at, seats)
    when = show.starts_at.astimezone(ZoneInfo(theatre.timezone)).strftime("%d %b %Y %H:%M")
    registered = theatre.gstin is not None
    document = Document(
        id=uuid.uuid4(),
        series=Series.TAX_INVOICE if registered else Series.RECEIPT,
        booking_id=booking.id,
        theatre_id=theatre.id,
        invoice_id=None,
        refund_id=None,
        currency=booking.currency,
        reason=None,
        legal_name=theatre.legal_name or theatre.name,
        address=theatre.address,
        gstin=theatre.gstin,
        state_code=theatre.state_code,
        sac=theatre.sac,
        **_numbering(theatre, at),
        **await _recipient(session, booking),
    )
    parts: list[tuple[uuid.UUID, LineKind, str, str | None, tax.Split]] = []
    for seat, charge in zip(seats, charges, strict=True):
        admission = f"Admission: {title}, {when}, seat {seat.label} ({seat.seat_type})"
        parts.append((seat.seat_id, LineKind.TICKET, admission, theatre.sac, charge.ticket))
        if charge.fee.total:
            fee = f"Convenience fee, seat {seat.label}"
            sac = FEE_SAC if registered else None
            parts.append((seat.seat_id, LineKind.FEE, fee, sac, charge.fee))
    await _write(session, theatre, document, _lines(document, parts))
    await events.publish(
        session,
        InvoiceIssued(
            show_id=booking.show_id,
            tickets=tax.subtotal(c.ticket for c in charges),
            fees=tax.subtotal(c.fee for c in charges),
        ),
    )
    return document


async def issue_credit_note(
    session: AsyncSession,
    booking: Booking,
    reversals: Mapping[uuid.UUID, Reversal],
    *,
    refund_id: uuid.UUID | None,
    reason: str,
    at: datetime,
) -> Document | None:
    """The credit note of a refund of the booking's seats: per seat, what `reversals` gives
    back of its ticket and of its fee, at the rates its invoice charged. None when the booking
    has no invoice (a payment that never booked); once per refund. `refund_id` None: a refund
    paid at the counter (each given back once, under the booking's lock)."""
    invoice = await repository.invoice_of(session, booking.id)
    if invoice is None:
        return None
    existing = None
    if refund_id is not None:
        existing = await repository.credit_note_of_refund(session, refund_id)
    if existing is not None:
        return existing
    theatre = await session.get(Theatre, invoice.theatre_id)
    assert theatre is not None
    invoiced = (await repository.lines_of(session, [invoice.id]))[invoice.id]
    parts: list[tuple[uuid.UUID, LineKind, str, str | None, tax.Split]] = []
    for line in invoiced:
        reversal = reversals.get(line.seat_id)
        if reversal is None:
            continue
        given_back = (
            tax.Split(reversal.taxable, line.rate_bp, reversal.cgst, reversal.sgst)
            if line.kind is LineKind.TICKET
            else tax.Split(reversal.fee, line.rate_bp, reversal.fee_cgst, reversal.fee_sgst)
        )
        if given_back.total:
            parts.append((line.seat_id, line.kind, line.description, line.sac, given_back))
    copied = {
        name: getattr(invoice, name)
        for name in (
            "booking_id",
            "theatre_id",
            "currency",
            "legal_name",
            "address",
            "gstin",
            "state_code",
            "sac",
            "recipient_name",
            "recipient_email",
            "recipient_phone",
        )
    }
    document = Document(
        id=uuid.uuid4(),
        series=Series.CREDIT_NOTE,
        invoice_id=invoice.id,
        refund_id=refund_id,
        reason=reason[:200],
        **copied,
        **_numbering(theatre, at),
    )
    await _write(session, theatre, document, _lines(document, parts))
    return document


async def _write(
    session: AsyncSession, theatre: Theatre, document: Document, lines: list[DocumentLine]
) -> None:
    """Writes the document, and adds its lines to the theatre's GST summary of the month of
    its issue (in the theatre's timezone, as the GST report's month) when it carries a GSTIN."""
    await repository.add_document(session, document, lines)
    if document.gstin is not None:
        month = gst.month_at(document.issued_at, theatre.timezone)
        repository.add_to_gst_summary(session, document, lines, month)


async def rebuild_gst_summary(session: AsyncSession, since: datetime, now: datetime) -> int:
    """The GST summary of every month from `since`'s to `now`'s, of each theatre that issued a
    document since, rebuilt from the documents' lines (`boxoffice gst-summary`: after a rollout,
    what a process of the release before 0027 issued without summarising it). Documents wait
    meanwhile (PostgreSQL: `documents` locked in SHARE mode). Returns the months rebuilt."""
    await repository.lock_documents(session)
    rebuilt = 0
    for theatre in await repository.theatres_issuing_since(session, since):
        month = gst.month_at(since, theatre.timezone)
        while month <= gst.month_at(now, theatre.timezone):
            start, end = gst.month_bounds(month, theatre.timezone)
            sums = await repository.line_sums(session, theatre.id, start, end)
            await repository.replace_gst_summary(session, theatre.id, month, sums)
            rebuilt += 1
            month = gst.month_at(end, theatre.timezone)
    return rebuilt


def _numbering(theatre: Theatre, at: datetime) -> dict[str, object]:
    return {
        "financial_year": gst.financial_year_at(at, theatre.timezone),
        "serial": None,
        "prefix": theatre.invoice_prefix,
        "issued_at": at,
    }


async def _recipient(session: AsyncSession, booking: Booking) -> dict[str, str | None]:
    customer = (
        await accounts_repository.get_user(session, booking.user_id)
        if booking.user_id is not None
        else await accounts_repository.get_guest(session, booking.guest_id)
        if booking.guest_id is not None
        else None
    )
    return {
        "recipient_name": customer.name if customer else None,
        "recipient_email": customer.email if customer else None,
        "recipient_phone": customer.phone if customer else None,
    }


def _lines(
    document: Document, parts: Iterable[tuple[uuid.UUID, LineKind, str, str | None, tax.Split]]
) -> list[DocumentLine]:
    """The document's lines, and its totals set to their sums."""
    lines = [
        DocumentLine(
            document_id=document.id,
            position=position,
            seat_id=seat_id,
            kind=kind,
            description=description[:300],
            sac=sac,
            taxable=split.taxable,
            rate_bp=split.rate_bp,
            cgst=split.cgst,
            sgst=split.sgst,
            total=split.total,
        )
        for position, (seat_id, kind, description, sac, split) in enumerate(parts)
    ]
    document.taxable = sum(line.taxable for line in lines)
    document.cgst = sum(line.cgst for line in lines)
    document.sgst = sum(line.sgst for line in lines)
    document.total = sum(line.total for line in lines)
    return lines


# --- reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceView:
    invoice: Issued
    credit_notes: list[Issued]
    timezone: str  # the theatre's, in which its documents are dated

    def credit_note(self, credit_note_id: uuid.UUID) -> Issued:
        for note in self.credit_notes:
            if note.document.id == credit_note_id:
                return note
        raise CreditNoteNotFound()


async def _readable_booking(
    session: AsyncSession, principal: Principal, booking_id: uuid.UUID
) -> Booking:
    """The booking, for its owner, an admin, staff of its theatre or its manager; anyone else
    gets 404, which reveals nothing."""
    booking = await bookings_repository.get_booking(session, booking_id)
    if booking is None:
        raise BookingNotFound()
    if principal.is_admin or owns(principal, booking):
        return booking
    show = await bookings_repository.get_show(session, booking.show_id)
    assert show is not None
    if principal.is_staff:
        await ensure_may_work_at(session, principal, show.theatre_id)
        return booking
    try:
        await ensure_manages_theatre(session, principal, show.theatre_id)
    except Forbidden:
        raise BookingNotFound() from None
    return booking


async def invoice_view(
    session: AsyncSession, principal: Principal, booking_id: uuid.UUID
) -> InvoiceView:
    return await _invoice_view_of(session, await _readable_booking(session, principal, booking_id))


async def linked_invoice_view(
    session: AsyncSession, secret: str, booking_id: uuid.UUID, key: str
) -> InvoiceView:
    """The invoice a signed link opens (`links`): 404 for a key not signed for this booking,
    the same answer as for a booking that is not yours, which reveals nothing."""
    booking = await bookings_repository.get_booking(session, booking_id)
    if booking is None or not links.opens_invoice(secret, key, booking_id):
        raise BookingNotFound()
    return await _invoice_view_of(session, booking)


async def _invoice_view_of(session: AsyncSession, booking: Booking) -> InvoiceView:
    invoice = await repository.invoice_of(session, booking.id)
    if invoice is None:
        raise InvoiceNotFound(
            "A booking has an invoice once it is BOOKED; this one never was.",
            booking_status=booking.status.value,
        )
    notes = await repository.credit_notes_of(session, invoice.id)
    lines = await repository.lines_of(session, [invoice.id, *(note.id for note in notes)])
    theatre = await session.get(Theatre, invoice.theatre_id)
    assert theatre is not None
    return InvoiceView(
        Issued(invoice, lines[invoice.id]),
        [Issued(note, lines[note.id]) for note in notes],
        theatre.timezone,
    )
