"""Engine and session factory for both engines the product supports.

SQLite is the embedded, single-host mode: every transaction starts with `BEGIN IMMEDIATE`, so
writers queue on the database lock instead of failing half-way with "database is locked", and a
read-then-write never works on a stale snapshot. PostgreSQL is the production mode: a bounded
pool per process, and short pool, lock and statement timeouts so that an overloaded or stuck
database answers 503 quickly instead of hanging requests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from boxoffice.config import Settings


def create_engine(settings: Settings) -> AsyncEngine:
    return engine_for(
        settings.async_database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
    )


def engine_for(
    url: str, *, pool_size: int, max_overflow: int, application_name: str = "boxoffice"
) -> AsyncEngine:
    """An engine for an async URL, set up as described above for its kind of database."""
    if url.startswith("sqlite"):
        return _create_sqlite_engine(url)
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        # No pre-ping: on asyncpg it costs three round trips per checkout. A connection that
        # died with a restarted server fails its request with 503 and SQLAlchemy then discards
        # the whole pool, so the service recovers by itself once the database is back.
        # The sale path queues before the pool (boxoffice.db.admission): a wait this long means
        # the database is stuck, not busy.
        pool_timeout=30,
        pool_recycle=1800,
        connect_args={
            "timeout": 5,
            "command_timeout": 30,
            "server_settings": {
                "application_name": application_name,
                "lock_timeout": "10s",
                "idle_in_transaction_session_timeout": "60s",
            },
        },
    )


def _create_sqlite_engine(url: str) -> AsyncEngine:
    in_memory = url.endswith(":memory:")
    engine = create_async_engine(
        url,
        connect_args={"timeout": 30},
        # One shared connection, or each connection would see a database of its own.
        **({"poolclass": StaticPool} if in_memory else {}),
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions start (see below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin_immediate(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def create_sessionmaker(
    engine: AsyncEngine, settings: Settings | None = None
) -> async_sessionmaker[Any]:
    """Sessions carry the settings in `session.info["settings"]`, for event handlers that need
    them (which receive only the session and the event)."""
    info = {"settings": settings} if settings is not None else {}
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False, info=info)


def session_settings(session: AsyncSession) -> Settings | None:
    settings: Settings | None = session.info.get("settings")
    return settings


def is_postgres(session: AsyncSession | Session) -> bool:
    """The session runs on PostgreSQL (else SQLite): for the few statements the engines spell
    differently."""
    return session.get_bind().dialect.name == "postgresql"


def dialect_insert(session: AsyncSession | Session) -> Callable[..., Any]:
    """The INSERT construct of the session's engine, for ON CONFLICT clauses (both dialects
    support them with the same arguments)."""
    return postgresql.insert if is_postgres(session) else sqlite.insert
