"""A booking's invoice (or receipt) and its credit notes, as JSON and as PDF."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from boxoffice.accounts.dependencies import OptionalPrincipalDep, PrincipalDep
from boxoffice.dependencies import SessionDep, SettingsDep
from boxoffice.errors import Unauthenticated
from boxoffice.invoicing import pdf, service
from boxoffice.invoicing.schemas import InvoiceOut
from boxoffice.invoicing.service import Issued
from boxoffice.text import PRINTABLE_PATTERN

router = APIRouter(tags=["invoices"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown or not yours, or not invoiced (never BOOKED)"}
}
_PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "The PDF"}
}


@router.get("/bookings/{booking_id}/invoice", response_model=InvoiceOut, responses=_NOT_FOUND)
async def booking_invoice(
    booking_id: uuid.UUID, principal: PrincipalDep, session: SessionDep
) -> InvoiceOut:
    """The tax invoice of a booking that became BOOKED (a receipt when its theatre is not
    registered for GST), with the credit notes of its refunds."""
    return InvoiceOut.of(await service.invoice_view(session, principal, booking_id))


@router.get(
    "/bookings/{booking_id}/invoice.pdf",
    response_class=Response,
    responses={**_PDF, **_NOT_FOUND},
)
async def booking_invoice_pdf(
    booking_id: uuid.UUID,
    principal: OptionalPrincipalDep,
    session: SessionDep,
    settings: SettingsDep,
    key: Annotated[str | None, Query(max_length=400, pattern=PRINTABLE_PATTERN)] = None,
) -> Response:
    """The invoice as a PDF, for its booking's readers, or for anyone with the signed `key` of
    the confirmation email's link (a mail client sends no token)."""
    if key is not None:
        secret = settings.jwt_secret.get_secret_value()
        view = await service.linked_invoice_view(session, secret, booking_id, key)
    elif principal is None:
        raise Unauthenticated("A bearer token, or the invoice link's key, is required.")
    else:
        view = await service.invoice_view(session, principal, booking_id)
    return await _pdf(view.invoice, view.timezone)


@router.get(
    "/bookings/{booking_id}/credit-notes/{credit_note_id}.pdf",
    response_class=Response,
    responses={**_PDF, 404: {"description": "Unknown or not yours, or no such credit note"}},
)
async def credit_note_pdf(
    booking_id: uuid.UUID, credit_note_id: uuid.UUID, principal: PrincipalDep, session: SessionDep
) -> Response:
    view = await service.invoice_view(session, principal, booking_id)
    note = view.credit_note(credit_note_id)
    return await _pdf(note, view.timezone, invoice_number=view.invoice.document.number)


async def _pdf(issued: Issued, timezone: str, invoice_number: str | None = None) -> Response:
    # Some milliseconds of CPU: off the event loop.
    content = await asyncio.to_thread(
        pdf.render, issued.document, issued.lines, timezone=timezone, invoice_number=invoice_number
    )
    name = (issued.document.number or "document").replace("/", "-")
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{name}.pdf"',
            "Cache-Control": "private, max-age=60",
        },
    )
