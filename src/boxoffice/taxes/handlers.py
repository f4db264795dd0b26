"""How taxes react to other domains' events (subscribed in `boxoffice.wiring`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.catalogue.events import MovieDeleting
from boxoffice.taxes import repository


async def drop_waivers_of_movie(session: AsyncSession, event: MovieDeleting) -> None:
    """A deleted movie's state waivers go with it (no show of it was ever priced by them)."""
    await repository.delete_exemptions_of_movie(session, event.movie_id)
