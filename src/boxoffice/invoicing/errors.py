"""Problem types of invoicing."""

from __future__ import annotations

from boxoffice.errors import NotFound


class InvoiceNotFound(NotFound):
    type_slug = "invoice-not-found"
    title = "The booking has no invoice"


class CreditNoteNotFound(NotFound):
    type_slug = "credit-note-not-found"
    title = "No such credit note of this booking"
