"""The on-sale queue's request and response shapes."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from boxoffice.catalogue.schemas import IsoInstant
from boxoffice.text import Text200

MAX_SHOWS = 100  # shows named in one request


class QueueSettingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    opens_at: IsoInstant = Field(description="when the queue opens: the draw, then admission")


class OnSaleShowsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    show_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_SHOWS)


class OnSaleIn(OnSaleShowsIn):
    name: Text200 = Field(min_length=1)
    opens_at: IsoInstant = Field(
        description="when its queue opens (the draw, then admission): in the future and before "
        "every show starts"
    )


class OnSaleOut(BaseModel):
    """Shows sold together behind one queue: one opening, one draw, one place per visitor, and
    an admission that lets its visitor hold seats of any of them."""

    id: uuid.UUID
    name: str
    opens_at: datetime
    show_ids: list[uuid.UUID] = Field(description="its shows, soonest first")
    drawn: bool = Field(description="the draw is made: the on-sale stands")
    lifted_at: datetime | None = Field(description="its shows went on sale to all then")
    created_by: uuid.UUID | None
    created_at: datetime


class PlaceOut(BaseModel):
    """A visitor's place. `state`: `IN_DRAW` (before the opening: the place is drawn then),
    `WAITING`, `ADMITTED` (with `admission_token`, for `X-Admission-Token` on holds of any show
    of the on-sale), `EXPIRED` (the admission ran out), `OPEN` (the on-sale was lifted)."""

    onsale_id: uuid.UUID
    show_id: uuid.UUID | None = Field(
        default=None, description="the show the place was asked by (null: by the on-sale)"
    )
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
    onsale_id: uuid.UUID
    show_id: uuid.UUID | None = Field(description="the show asked by (null: by the on-sale)")
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
