"""Alembic environment: the URL comes from boxoffice settings, never from alembic.ini."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from boxoffice.db.base import Base
from boxoffice.db.migrate import only_tables_of

# The application's declarative base holds every table once `boxoffice.metadata` (the top floor,
# which imports every domain's models) is imported: the tests and any comparison import it first.
# An upgrade needs none of it: its revisions say what to do.
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=only_tables_of(target_metadata),
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = context.config.attributes["engine"]
    async with engine.connect() as connection:
        await connection.run_sync(_run)


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_async())
