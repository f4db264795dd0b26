"""The on-sale queue's request and response shapes."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from boxoffice.catalogue.schemas import IsoInstant


class QueueSettingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    opens_at: IsoInstant = Field(description="when the queue opens: the draw, then admission")


class PlaceOut(BaseModel):
    """A visitor's place. `state`: `IN_DRAW` (before the opening: the place is drawn then),
    `WAITING`, `ADMITTED` (with `admission_token`, for `X-Admission-Token` on holds),
    `EXPIRED` (the admission ran out), `OPEN` (the show is no longer queued)."""

    show_id: uuid.UUID
    visitor_id: uuid.UUID
    state: str
    opens_at: datetime | None
    position: int | None = Field(description="1 first; null until the draw")
    ahead: int | None = Field(description="places before this one not admitted yet")
    estimate_seconds: int | None = Field(description="until admitted (or, before, the draw)")
    admit_at: datetime | None
    admitted_at: datetime | None
    admission_expires_at: datetime | None
    admission_token: str | None = None
    visitor_token: str | None = Field(
        default=None, description="the place, for `X-Queue-Visitor` (also set as a cookie)"
    )


class DrawOut(BaseModel):
    show_id: uuid.UUID
    opens_at: datetime
    drawn_at: datetime
    seed: str = Field(description="64 hex digits, published once the draw is made")
    algorithm: str
    drawn: int = Field(description="visitors in the draw (positions 1..drawn)")
    admit_per_second: float


class DrawnPlace(BaseModel):
    position: int
    visitor_id: uuid.UUID


class DrawnPlaces(BaseModel):
    items: list[DrawnPlace]
    limit: int
    offset: int
