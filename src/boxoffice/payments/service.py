"""Booking payments: orders, confirmation exactly once, refunds. (Being built.)"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.bookings.models import Booking


async def request_refund(
    session: AsyncSession, booking: Booking, now: datetime, reason: str
) -> None:
    """Records that the booking's payment must be refunded in full."""
    raise NotImplementedError
