"""Running Alembic from code, so `boxoffice migrate` and `/ready` need no alembic.ini."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.config import Settings
from boxoffice.db.engine import create_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def upgrade_to_head(settings: Settings) -> None:
    if settings.is_sqlite:
        _ensure_sqlite_directory(settings)
    engine = create_engine(settings)
    try:
        async with engine.begin() as connection:
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
