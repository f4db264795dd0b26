"""The sandbox's own migrations (`migrations/`): a lineage apart from the application's, with a
version table of its own, run on the sandbox's database only where the sandbox is on.

They run from `boxoffice migrate` with the sandbox on, from the tests' set-up, and from every
sandbox store on its first use (a server with the sandbox on, `boxoffice sandbox`, a worker
reading the sandbox's keys), so a database migrated without the flag still gets them when a
sandbox comes to it. A database built with real keys never has them.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSION_TABLE = "razorpay_sandbox_alembic_version"
# Processes that start at once on one PostgreSQL database migrate one after the other (SQLite's
# BEGIN IMMEDIATE does the same there); any fixed number, used for nothing else.
MIGRATION_LOCK_KEY = 7_305_112_201
# Alembic's `context` and `op` are process-wide: one migration at a time in a process too.
_one_in_this_process = threading.Lock()


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def upgrade(connection: Connection) -> None:
    """The sandbox's tables on this connection's database, to the newest revision, in the
    connection's transaction."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def upgrade_database(engine: AsyncEngine) -> None:
    """Migrates the sandbox's database unless it is current (the usual case: one read)."""
    async with engine.connect() as connection:
        if await connection.run_sync(current_revision) == head_revision():
            return
    await asyncio.to_thread(_one_in_this_process.acquire)  # waits off the event loop
    try:
        async with engine.begin() as connection:
            await connection.run_sync(upgrade)
    finally:
        _one_in_this_process.release()
