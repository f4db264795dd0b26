"""What the waiting list announces (see `boxoffice.events`); notifications reacts to it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from boxoffice.bookings.models import Booking


@dataclass(frozen=True)
class OfferMade:
    """Seats were held for a waiting party (`booking`, PENDING until `expires_at`), in the
    transaction now open: the customer is to be told, with a link to pay."""

    booking: Booking
    party: int
    expires_at: datetime
    at: datetime
