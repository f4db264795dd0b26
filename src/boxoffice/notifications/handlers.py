"""How notifications react to other domains' events (subscribed in `boxoffice.wiring`)."""

from __future__ import annotations

from boxoffice.notifications.service import (
    queue_for_refund_on_arrival,
    queue_for_status_change,
    queue_password_reset,
    queue_waitlist_offer,
)

__all__ = [
    "queue_for_refund_on_arrival",
    "queue_for_status_change",
    "queue_password_reset",
    "queue_waitlist_offer",
]
