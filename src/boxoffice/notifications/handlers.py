"""How notifications react to the bookings domain's events (subscribed in `boxoffice.wiring`)."""

from __future__ import annotations

from boxoffice.notifications.service import queue_for_refund_on_arrival, queue_for_status_change

__all__ = ["queue_for_refund_on_arrival", "queue_for_status_change"]
