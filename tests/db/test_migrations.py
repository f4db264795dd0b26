"""The migrations, on the engine of the run, on a database of their own: the application's and the
sandbox's lineages all the way down and up again, each to its models' indexes (a hot-path index
that the models name but no migration creates would only show up as a slow on-sale); the sandbox's
tables only where the sandbox is on; and the way existing databases, which got those tables from
the application's own migrations, move on."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from tests.conftest import TEST_JWT_SECRET, make_settings
from tests.support.servers import bare_env, run_boxoffice

from boxoffice.db import migrate as application
from boxoffice.db.base import Base
from boxoffice.db.engine import create_engine
from boxoffice.sandbox import migrate as sandbox
from boxoffice.sandbox.models import SandboxBase, SandboxCredentials
from boxoffice.sandbox.store import SandboxStore

SANDBOX_TABLES = set(SandboxBase.metadata.tables)
# The application's head before the sandbox's tables left its lineage.
BEFORE_THE_MOVE = "0010"


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


def _on(url: str, work: Callable[[sa.Connection], Any]) -> Any:
    """Runs `work` on the database as `boxoffice migrate` does: Alembic begins and commits its
    own transaction (a migration may step out of it: `autocommit_block`); anything else `work`
    does commits at the end."""

    async def run() -> Any:
        engine = create_engine(make_settings(url))
        try:
            async with engine.connect() as connection:
                result = await connection.run_sync(work)
                await connection.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _steps(
    config: Callable[[], Config], *steps: tuple[str, str]
) -> Callable[[sa.Connection], None]:
    """(command, revision) steps of one lineage, in order."""

    def run(sync: sa.Connection) -> None:
        for step, revision in steps:
            lineage = config()
            lineage.attributes["connection"] = sync
            getattr(command, step)(lineage, revision)

    return run


def application_steps(*steps: tuple[str, str]) -> Callable[[sa.Connection], None]:
    return _steps(application.alembic_config, *steps)


def sandbox_steps(*steps: tuple[str, str]) -> Callable[[sa.Connection], None]:
    return _steps(sandbox.alembic_config, *steps)


def indexes(sync: sa.Connection) -> dict[str, set[str]]:
    """Each table's index names. The catalogues themselves: SQLite's reflection skips
    expression indexes."""
    found: dict[str, set[str]] = {}
    for table, name in sync.execute(sa.text(_INDEXES[sync.dialect.name])):
        found.setdefault(table, set()).add(name)
    return found


def tables(sync: sa.Connection) -> set[str]:
    return set(sa.inspect(sync).get_table_names())


def assert_indexes_of(metadata: sa.MetaData, present: dict[str, set[str]]) -> None:
    for table in metadata.sorted_tables:
        modelled = {index.name for index in table.indexes}
        assert modelled <= present.get(table.name, set()), (table.name, modelled)


def test_the_migrations_go_down_and_up_again_to_the_models_indexes(empty_database: str) -> None:
    _on(empty_database, application_steps(("upgrade", "head"), ("downgrade", "base")))
    _on(empty_database, application_steps(("upgrade", "head")))
    assert_indexes_of(Base.metadata, _on(empty_database, indexes))
    assert not SANDBOX_TABLES & _on(empty_database, tables)


def test_the_sandbox_migrations_go_down_and_up_again_beside_the_applications(
    empty_database: str,
) -> None:
    _on(empty_database, application_steps(("upgrade", "head")))
    _on(empty_database, sandbox_steps(("upgrade", "head"), ("downgrade", "base")))
    assert not SANDBOX_TABLES & _on(empty_database, tables)
    _on(empty_database, sandbox_steps(("upgrade", "head")))
    assert_indexes_of(SandboxBase.metadata, _on(empty_database, indexes))
    assert_indexes_of(Base.metadata, _on(empty_database, indexes))
    _on(empty_database, lambda sync: sync.execute(sa.insert(SandboxCredentials).values(KEYS)))

    # The application's lineage, down and up, leaves the sandbox's tables and rows alone.
    _on(empty_database, application_steps(("downgrade", "base"), ("upgrade", "head")))
    assert _on(empty_database, credential_rows) == [tuple(KEYS.values())]
    assert _on(empty_database, sandbox.current_revision) == sandbox.head_revision()


def test_migrate_makes_the_sandboxs_tables_only_with_the_sandbox_on(empty_database: str) -> None:
    real_keys = {
        "RAZORPAY_KEY_ID": "rzp_live_boxofficeTest",
        "RAZORPAY_KEY_SECRET": "a-real-key-secret-nobody-knows",
        "RAZORPAY_WEBHOOK_SECRET": "a-real-webhook-secret-nobody-knows",
    }
    with_keys = migrate_command(empty_database, **real_keys)
    assert "sandbox" not in with_keys
    assert not SANDBOX_TABLES & _on(empty_database, tables)

    with_sandbox = migrate_command(empty_database, RAZORPAY_SANDBOX="true")
    assert "sandbox's tables migrated" in with_sandbox
    assert SANDBOX_TABLES <= asyncio.run(in_the_sandboxs_database(empty_database, tables))
    if empty_database.startswith("sqlite"):  # there the sandbox keeps a file of its own
        assert not SANDBOX_TABLES & _on(empty_database, tables)


async def in_the_sandboxs_database(database_url: str, work: Callable[[sa.Connection], Any]) -> Any:
    """`work` on the database a sandbox store for `database_url` uses."""
    store = SandboxStore(make_settings(database_url))
    try:
        async with store.engine.connect() as connection:  # not a transaction: no migrating
            return await connection.run_sync(work)
    finally:
        await store.dispose()


def migrate_command(database_url: str, **env: str) -> str:
    done = run_boxoffice(bare_env(database_url, TEST_JWT_SECRET, **env), "migrate", seconds=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


# --- Databases migrated before the sandbox's tables left the application's lineage -------------

KEYS = {"id": 1, "key_id": "rzp_test_kept", "key_secret": "kept-secret", "webhook_secret": "kept"}


def credential_rows(sync: sa.Connection) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in sync.execute(sa.select(SandboxCredentials.__table__))]


def made_by_the_old_migrations(*, before_0003: bool = False) -> Callable[[sa.Connection], None]:
    """The sandbox's tables as the application's 0002, 0003 and 0005 made them (the models' DDL:
    they did not change since, as `pg_dump -s` showed when the tables moved); `before_0003`:
    as a database that stopped at 0002 has them (no keys table, a config without the columns
    that 0003 and 0005 added)."""

    def create(sync: sa.Connection) -> None:
        SandboxBase.metadata.create_all(sync)
        # The config as it was until the sandbox's own 0002 (no fail_matching, a delay knob).
        sync.execute(sa.text("ALTER TABLE razorpay_sandbox_config DROP COLUMN fail_matching"))
        sync.execute(
            sa.text(
                "ALTER TABLE razorpay_sandbox_config"
                " ADD COLUMN delay_seconds FLOAT NOT NULL DEFAULT 0"
            )
        )
        if before_0003:
            sync.execute(sa.text("DROP TABLE razorpay_sandbox_credentials"))
            for column in ("auto_capture", "delay_seconds"):
                sync.execute(sa.text(f"ALTER TABLE razorpay_sandbox_config DROP COLUMN {column}"))

    return create


def test_a_database_used_with_real_keys_loses_the_sandbox_tables_it_never_used(
    empty_database: str,
) -> None:
    _on(empty_database, application_steps(("upgrade", BEFORE_THE_MOVE)))
    _on(empty_database, made_by_the_old_migrations())

    _on(empty_database, application_steps(("upgrade", "head")))

    assert not SANDBOX_TABLES & _on(empty_database, tables)


def test_a_database_a_sandbox_ran_on_keeps_its_tables_and_keys(empty_database: str) -> None:
    _on(empty_database, application_steps(("upgrade", BEFORE_THE_MOVE)))
    _on(empty_database, made_by_the_old_migrations())
    _on(empty_database, lambda sync: sync.execute(sa.insert(SandboxCredentials).values(KEYS)))

    _on(empty_database, application_steps(("upgrade", "head")))
    _on(empty_database, sandbox_steps(("upgrade", "head")))

    assert _on(empty_database, credential_rows) == [tuple(KEYS.values())]
    assert _on(empty_database, sandbox.current_revision) == sandbox.head_revision()
    if not empty_database.startswith("sqlite"):  # a store on PostgreSQL reads these very tables
        keys = asyncio.run(in_the_sandboxs_database(empty_database, credential_rows))
        assert keys == [tuple(KEYS.values())]


def test_a_database_that_stopped_at_0002_gets_the_sandbox_tables_it_lacks(
    empty_database: str,
) -> None:
    _on(empty_database, application_steps(("upgrade", "0002")))
    _on(empty_database, made_by_the_old_migrations(before_0003=True))
    _on(
        empty_database,
        lambda sync: sync.execute(
            sa.text(
                "INSERT INTO razorpay_sandbox_config (id, refund_status, auto_deliver_webhooks,"
                " fail_next_requests, fail_after_applying) VALUES (1, 'pending', true, 0, false)"
            )
        ),
    )

    _on(empty_database, application_steps(("upgrade", "head")))
    _on(empty_database, sandbox_steps(("upgrade", "head")))

    assert SANDBOX_TABLES <= _on(empty_database, tables)
    config = _on(
        empty_database,
        lambda sync: sync.execute(
            sa.text(
                "SELECT refund_status, auto_capture, fail_matching FROM razorpay_sandbox_config"
            )
        ).all(),
    )
    assert [tuple(row) for row in config] == [("pending", True, "")]
