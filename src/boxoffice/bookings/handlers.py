"""How bookings react to other domains' events (subscribed in `boxoffice.wiring`)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.accounts.events import GuestLinked
from boxoffice.bookings import lifecycle, repository
from boxoffice.catalogue.events import ShowCancelled
from boxoffice.db.unit_of_work import after_commit, in_batches


async def move_guest_bookings(session: AsyncSession, event: GuestLinked) -> None:
    """A linked guest's bookings, pending ones included, follow it into the account."""
    await repository.link_guest_bookings(session, event.guest_id, event.user_id)


async def cancel_bookings_of_show(session: AsyncSession, event: ShowCancelled) -> None:
    """Once the show's cancellation commits, its bookings are cancelled in batches (run by
    whoever commits it: the route awaits them); what a dead process left, `boxoffice worker`
    finishes."""

    async def cancel_all(state: Any) -> None:
        await cancel_show_bookings(state, event.show_id, event.actor)

    after_commit(session, cancel_all)


async def cancel_show_bookings(state: Any, show_id: uuid.UUID, actor: str) -> int:
    """Cancels every live booking of a cancelled show, a batch a unit of work, each batch's
    refunds issued once it committed (`lifecycle.cancel_show_batch`). Safe from several
    processes at once, and to resume after a crash. `state` as for `in_batches`."""
    size = state.settings.show_cancel_batch_size

    async def batch(session: AsyncSession) -> int:
        return await lifecycle.cancel_show_batch(session, show_id, actor, state.clock.now(), size)

    return await in_batches(state, batch, size)
