"""What the catalogue asks of the domains above it, as interfaces they implement and
`boxoffice.wiring` provides: the catalogue imports neither pricing nor bookings.

- `Pricing` (the `pricing.service` module): the prices of a show about to be scheduled, and
  keeping upcoming shows priced when their theatre's calendar or their screen's layout changes;
  whether a theatre's prices fit the tax slabs once they include GST.
- `SeatUse` (the `bookings.repository` module): whether bookings name a screen's seats (its
  layout is fixed from then on).
- `Sales` (the `reports.repository` module): the seats sold per show, for how full shows are.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.catalogue.models import DayType, Theatre


class Pricing(Protocol):
    async def prices_for_new_show(
        self,
        session: AsyncSession,
        theatre: Theatre,
        screen_id: uuid.UUID,
        day_type: DayType,
        seat_types: Iterable[str],
        overrides: Mapping[str, int],
        now: datetime,
        format: str,
    ) -> tuple[dict[str, int], list[str]]:
        """Prices of the seat types of a show about to be created in that format, and the ones
        nothing prices."""
        ...

    async def keep_overrides(
        self, session: AsyncSession, show_id: uuid.UUID, overrides: Mapping[str, int]
    ) -> None:
        """Records a new show's own prices."""
        ...

    async def reprice_upcoming_shows(
        self,
        session: AsyncSession,
        theatre: Theatre,
        now: datetime,
        screen_ids: list[uuid.UUID] | None = None,
    ) -> int:
        """Prices the theatre's (or those screens') upcoming shows afresh; refuses (409) when
        one could no longer be priced."""
        ...

    async def ensure_theatre_prices_fit(
        self, session: AsyncSession, theatre: Theatre, now: datetime
    ) -> None:
        """Refuses (422) a theatre's prices that fit no tax slab, GST included."""
        ...


class SeatUse(Protocol):
    async def screen_has_bookings(self, session: AsyncSession, screen_id: uuid.UUID) -> bool:
        """Whether any booking, in any status, names a seat of the screen."""
        ...


class Sales(Protocol):
    async def sold_seats(
        self, session: AsyncSession, show_ids: Sequence[uuid.UUID]
    ) -> Mapping[uuid.UUID, int]:
        """Seats of bookings BOOKED now, per show (none sold: absent)."""
        ...


@dataclass(frozen=True)
class Ports:
    pricing: Pricing
    seat_use: SeatUse
    sales: Sales


_provided: Ports | None = None


def provide(ports: Ports) -> None:
    """Called by `boxoffice.wiring`, where the app, the worker and the command line start."""
    global _provided
    _provided = ports


def provided() -> Ports:
    if _provided is None:
        raise RuntimeError("catalogue.ports were not provided: call boxoffice.wiring first")
    return _provided
