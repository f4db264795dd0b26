"""What the invoicing domain announces (see `boxoffice.events`); other domains react to it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from boxoffice.money.tax import Subtotal


@dataclass(frozen=True)
class InvoiceIssued:
    """A booking's invoice (or receipt) was issued in the transaction now open: what it charged
    for the show's tickets and for their convenience fees."""

    show_id: uuid.UUID
    tickets: Subtotal
    fees: Subtotal
