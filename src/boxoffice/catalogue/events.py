"""What the catalogue domain announces (see `boxoffice.events`); other domains react to it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ShowCancelled:
    """A show was cancelled, in the transaction now open: from its commit it reads CANCELLED
    and refuses holds. Its bookings are the bookings domain's to cancel and refund."""

    show_id: uuid.UUID
    at: datetime
    actor: str


@dataclass(frozen=True)
class MovieDeleting:
    """A movie no show names is being deleted, in the transaction now open: what other domains
    keep about it (a state's tax waiver for it) goes with it."""

    movie_id: uuid.UUID
