from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from boxoffice.accounts.schemas import Email, Name, NewPassword


class StaffCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    password: NewPassword
    name: Name
    theatre_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=100)]


class MemberOut(BaseModel):
    """An account of a theatre's people, and the theatres it is theirs at."""

    id: uuid.UUID
    email: str
    name: str
    theatre_ids: list[uuid.UUID]


class StaffOut(MemberOut):
    role: Literal["staff"] = "staff"


class ManagerOut(MemberOut):
    role: Literal["manager"] = "manager"
