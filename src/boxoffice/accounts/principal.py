"""Who is calling: the principal a bearer token names, as every domain's rules take it.

A module of its own, apart from the FastAPI dependencies that make one from a request
(`accounts.dependencies`), so that services and stores name the caller without importing
the HTTP layer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from boxoffice.accounts.models import Role
from boxoffice.accounts.tokens import PrincipalKind

SPENT_GUEST_TOKEN = "This guest token was spent when it was linked to an account."  # noqa: S105


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    id: uuid.UUID
    role: str
    session_id: uuid.UUID | None = None  # an account's sign-in, from its access token

    @property
    def is_admin(self) -> bool:
        return self.kind is PrincipalKind.USER and self.role == Role.ADMIN.value

    @property
    def is_staff(self) -> bool:
        return self.kind is PrincipalKind.USER and self.role == Role.STAFF.value

    @property
    def is_manager(self) -> bool:
        """A manager of some theatres (which ones: `accounts.dependencies`)."""
        return self.kind is PrincipalKind.USER and self.role == Role.MANAGER.value

    @property
    def is_guest(self) -> bool:
        return self.kind is PrincipalKind.GUEST

    @property
    def actor(self) -> str:
        """How this caller is named in audit trails."""
        return f"{self.kind.value}:{self.id}"
