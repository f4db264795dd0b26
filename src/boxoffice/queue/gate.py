"""The hold's check for a queued show (`bookings.sale.QueueCheck`, given by the app factory):
the `X-Admission-Token` must be an admission this server signed, for the on-sale the show sells
through (any show of it), not run out.
In memory: the keys are kept by `tokens.QueueKeys`."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

from boxoffice.queue.errors import AdmissionInvalid, AdmissionRequired
from boxoffice.queue.tokens import ADMISSION, BadToken, QueueKeys


def admission_check(
    queue_keys: QueueKeys,
) -> Callable[[uuid.UUID, str | None, datetime], Awaitable[None]]:
    async def check(onsale_id: uuid.UUID, token: str | None, now: datetime) -> None:
        if token is None:
            raise AdmissionRequired(
                "Join the show's queue (POST /api/v1/shows/{id}/queue, or its on-sale's) and "
                "send the admission it gives in X-Admission-Token.",
                onsale_id=str(onsale_id),
            )
        try:
            claims = await queue_keys.verify(ADMISSION, token, now)
        except BadToken:
            raise AdmissionInvalid("This is not an admission of ours.") from None
        if claims.onsale_id != onsale_id:
            raise AdmissionInvalid("This admission is for another on-sale's shows.")
        if claims.not_after is None or claims.not_after <= now:
            raise AdmissionInvalid("This admission has run out; join the queue again.")

    return check
