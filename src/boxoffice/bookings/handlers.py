"""How bookings react to other domains' events (subscribed in `boxoffice.wiring`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.accounts.events import GuestLinked
from boxoffice.bookings import lifecycle, repository
from boxoffice.catalogue.events import ShowCancelled
from boxoffice.dependencies import after_commit, run_after_commit


async def move_guest_bookings(session: AsyncSession, event: GuestLinked) -> None:
    """A linked guest's bookings, pending ones included, follow it into the account."""
    await repository.link_guest_bookings(session, event.guest_id, event.user_id)


async def cancel_bookings_of_show(session: AsyncSession, event: ShowCancelled) -> None:
    """Once the show's cancellation commits: its bookings are cancelled in batches that commit
    as they go, each batch's refunds issued after it (`lifecycle.cancel_show_bookings`). Run by
    whoever commits the show's cancellation (the route awaits it); what a dead process left,
    `boxoffice worker` finishes."""

    async def cancel_all(state: Any) -> None:
        async def after_batch(batch: AsyncSession) -> None:
            await run_after_commit(batch, state)

        await lifecycle.cancel_show_bookings(
            state.sessionmaker,
            event.show_id,
            event.actor,
            state.clock,
            state.settings.show_cancel_batch_size,
            after_batch,
        )

    after_commit(session, cancel_all)
