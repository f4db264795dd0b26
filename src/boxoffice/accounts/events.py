"""What the accounts domain announces (see `boxoffice.events`); other domains react to it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class GuestLinked:
    """A guest became part of an account (signing in or up mid-checkout), in the transaction
    now open: whatever the guest owns is the account's from now on. Published again when the
    same guest is linked to the same account again (harmless, and it catches anything left)."""

    guest_id: uuid.UUID
    user_id: uuid.UUID
    at: datetime


@dataclass(frozen=True)
class PasswordResetRequested:
    """Someone asked to reset the password of the account that uses `email`, in the
    transaction now open: the link with `token` (valid until `expires_at`) must reach that
    address, and nobody else."""

    email: str
    name: str
    token: str
    expires_at: datetime
    at: datetime
