"""Request and response shapes of seats blocked from sale (`catalogue.blocks`), kept apart from
`catalogue.schemas` by job."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from boxoffice.catalogue.schemas import MAX_ROWS, MAX_SEATS_PER_ROW, Request
from boxoffice.text import Text200

MAX_SEATS = MAX_SEATS_PER_ROW * MAX_ROWS  # a whole screen at most


class BlockRequest(Request):
    seat_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_SEATS)
    reason: Text200 = Field(description="why: house seats, a broken seat, a camera position...")


class UnblockRequest(Request):
    seat_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_SEATS)


class SeatBlockOut(BaseModel):
    seat_id: uuid.UUID
    label: str
    reason: str
    blocked_by: str = Field(description="who blocked it, as audit trails name callers")
    blocked_at: datetime
    unblocked_by: str | None
    unblocked_at: datetime | None = Field(description="null while the seat is blocked")


class SeatBlocks(BaseModel):
    show_id: uuid.UUID
    items: list[SeatBlockOut] = Field(description="the blocks, in seat order")
