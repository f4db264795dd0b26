"""Running Alembic from code, so `boxoffice migrate` and `/ready` need no alembic.ini."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.config import Settings
from boxoffice.db.engine import create_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def only_tables_of(metadata: MetaData) -> Callable[[str | None, str, Any], bool]:
    """Alembic's `include_name` for a lineage that shares its database with another (on
    PostgreSQL the sandbox's tables sit beside the application's): it compares, and so would
    drop, only the tables of its own metadata. A table a lineage stops using is dropped by a
    revision written for that."""

    def include(name: str | None, type_: str, _parents: Any) -> bool:
        return type_ != "table" or name in metadata.tables

    return include


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def upgrade_to_head(settings: Settings) -> None:
    if settings.is_sqlite:
        _ensure_sqlite_directory(settings)
    engine = create_engine(settings)
    try:
        # Alembic begins and commits the transaction itself (env.py), so that a migration can
        # step out of it (`autocommit_block`, for CREATE INDEX CONCURRENTLY).
        async with engine.connect() as connection:
            await connection.run_sync(_upgrade, alembic_config())
    finally:
        await engine.dispose()


def _upgrade(connection: object, config: Config) -> None:
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


def _ensure_sqlite_directory(settings: Settings) -> None:
    path = settings.database_url.split(":///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
