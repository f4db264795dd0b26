"""Routes of seats blocked from sale in a show (`catalogue.blocks`): the theatre's managers and
admins block and unblock them; the seat map shows them to everyone as BLOCKED.

Kept apart from `catalogue.endpoints` by job.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from boxoffice.accounts.dependencies import OperatorDep
from boxoffice.catalogue import blocks
from boxoffice.catalogue.block_schemas import (
    BlockRequest,
    SeatBlockOut,
    SeatBlocks,
    UnblockRequest,
)
from boxoffice.catalogue.models import SeatBlock
from boxoffice.dependencies import NowDep, ReadSessionDep, SessionDep
from boxoffice.errors import InvalidInput

# A query string of a whole screen's seat ids would be longer than servers take in a request
# line (uvicorn answers a plain-text 400 before the app hears of it): more go in the body.
MAX_SEATS_IN_QUERY = 100

router = APIRouter(tags=["catalogue"])

BLOCKS_PATH = "/shows/{show_id}/blocks"
_REFUSALS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not a manager of the show's theatre, nor an admin"},
    401: {"description": "Not signed in"},
    404: {"description": "No such show"},
    422: {"description": "Seat ids that are not the show's (`unknown_seat_ids`), or twice"},
}


def _answer(show_id: uuid.UUID, found: list[SeatBlock]) -> SeatBlocks:
    return SeatBlocks(
        show_id=show_id,
        items=[SeatBlockOut.model_validate(block, from_attributes=True) for block in found],
    )


@router.get(BLOCKS_PATH, response_model=SeatBlocks, responses=_REFUSALS)
async def list_blocks(
    show_id: uuid.UUID,
    session: ReadSessionDep,
    principal: OperatorDep,
    lifted: Annotated[bool, Query(description="the lifted blocks too (the audit)")] = False,
) -> SeatBlocks:
    """The show's blocked seats: why, who blocked them and when."""
    found = await blocks.blocks_of_show(session, principal, show_id, lifted=lifted)
    return _answer(show_id, found)


@router.post(
    BLOCKS_PATH,
    response_model=SeatBlocks,
    responses={
        **_REFUSALS,
        409: {
            "description": "Some of the seats are held or booked (`seats-not-blockable`: "
            "`unavailable_seat_ids`, `unavailable_seats`); nothing was blocked"
        },
    },
)
async def block_seats(
    show_id: uuid.UUID,
    body: BlockRequest,
    session: SessionDep,
    now: NowDep,
    principal: OperatorDep,
) -> SeatBlocks:
    """Takes seats of the show off sale, all or none (house seats, a broken seat, a camera): the
    seat map and its stream show them BLOCKED, and no hold or sale takes them. A seat already
    blocked stays as it was. Answers with the show's blocks."""
    found = await blocks.block_seats(session, principal, show_id, body.seat_ids, body.reason, now)
    return _answer(show_id, found)


@router.delete(BLOCKS_PATH, response_model=SeatBlocks, responses=_REFUSALS)
async def unblock_seats(
    show_id: uuid.UUID,
    session: SessionDep,
    now: NowDep,
    principal: OperatorDep,
    body: UnblockRequest | None = None,
    seat_ids: Annotated[
        list[uuid.UUID] | None,
        Query(
            max_length=MAX_SEATS_IN_QUERY,
            description=(
                f"the seats to put back on sale, up to {MAX_SEATS_IN_QUERY} (more: `seat_ids` "
                "in a JSON body)"
            ),
        ),
    ] = None,
) -> SeatBlocks:
    """Puts seats of the show back on sale at once: named in the body (`{"seat_ids"}`) or the
    query (`?seat_ids=..&seat_ids=..`), not both. A seat not blocked stays as it was. Answers
    with the show's blocks left."""
    if (body is None) == (seat_ids is None):
        raise InvalidInput("Name the seats in the body or in the query (seat_ids), not both.")
    wanted = body.seat_ids if body is not None else seat_ids
    assert wanted is not None
    found = await blocks.unblock_seats(session, principal, show_id, wanted, now)
    return _answer(show_id, found)
