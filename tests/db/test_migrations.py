"""The migrations, on the engine of the run: all the way down and up again on a database of
their own, and the head's indexes are the models' (a hot-path index that the models name but no
migration creates would only show up as a slow on-sale)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic import command
from tests.conftest import make_settings

from boxoffice.db.base import Base
from boxoffice.db.engine import create_engine
from boxoffice.db.migrate import alembic_config


@pytest.fixture
def empty_database(tmp_path: object) -> Iterator[str]:
    if os.environ.get("BOXOFFICE_TEST_DB", "postgres") == "sqlite":
        yield f"sqlite:///{tmp_path}/migrations.db"
        return
    server = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    base, _, _ = server.replace("postgres://", "postgresql://", 1).rpartition("/")
    name = f"boxoffice_migrations_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(f"{base}/postgres".replace("postgresql://", "postgresql+psycopg://"))
    with admin.execution_options(isolation_level="AUTOCOMMIT").connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{base}/{name}"
    finally:
        with admin.execution_options(isolation_level="AUTOCOMMIT").connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


_INDEXES = {
    "postgresql": "SELECT tablename, indexname FROM pg_indexes WHERE schemaname = 'public'",
    "sqlite": "SELECT tbl_name, name FROM sqlite_master WHERE type = 'index'",
}


async def _alembic(url: str, *steps: tuple[str, str]) -> dict[str, set[str]]:
    """Runs (command, revision) steps in order; returns each table's index names after them."""
    engine = create_engine(make_settings(url))
    try:
        async with engine.begin() as connection:

            def run(sync: sa.Connection) -> dict[str, set[str]]:
                config = alembic_config()
                config.attributes["connection"] = sync
                for step, revision in steps:
                    getattr(command, step)(config, revision)
                # The catalogues themselves: SQLite's reflection skips expression indexes.
                listed = sync.execute(sa.text(_INDEXES[sync.dialect.name]))
                indexes: dict[str, set[str]] = {}
                for table, name in listed:
                    indexes.setdefault(table, set()).add(name)
                return indexes

            return await connection.run_sync(run)
    finally:
        await engine.dispose()


def test_the_migrations_go_down_and_up_again_to_the_models_indexes(empty_database: str) -> None:
    indexes = asyncio.run(
        _alembic(empty_database, ("upgrade", "head"), ("downgrade", "base"), ("upgrade", "head"))
    )
    for table in Base.metadata.sorted_tables:
        modelled = {index.name for index in table.indexes}
        assert modelled <= indexes.get(table.name, set()), (table.name, modelled)
