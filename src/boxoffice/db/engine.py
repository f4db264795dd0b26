"""Engine and session factory for both engines the product supports.

SQLite is the embedded, single-host mode: every transaction starts with `BEGIN IMMEDIATE`, so
writers queue on the database lock instead of failing half-way with "database is locked", and a
read-then-write never works on a stale snapshot. PostgreSQL is the production mode: a bounded
pool per process, and short pool, lock and statement timeouts so that an overloaded or stuck
database answers 503 quickly instead of hanging requests.

When the primary dies or is demoted (a failover), every request that needed it gets 503
`database-unavailable` with Retry-After, never a hang or a 500, and the process reconnects by
itself: a pooled connection whose server went away is replaced at checkout (no round trip:
the driver knows its socket closed), one that finds its server read-only is discarded with the
whole pool, and a new connection goes to whichever host of DATABASE_URL is the primary now
(`target_session_attrs=read-write`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
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
from boxoffice.db.notifications import carry_for
from boxoffice.errors import DatabaseUnavailable

CONNECT_TIMEOUT_SECONDS = 5  # all of DATABASE_URL's hosts, together
COMMAND_TIMEOUT_SECONDS = 30
# Session settings sent at connect. pgbouncer refuses them there: set them on the role instead
# (ALTER ROLE ... SET, README "Through pgbouncer").
SESSION_SETTINGS = {"lock_timeout": "10s", "idle_in_transaction_session_timeout": "60s"}


def create_engine(settings: Settings) -> AsyncEngine:
    return engine_for(
        settings.async_database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        through_pgbouncer=settings.database_pooler == "pgbouncer",
    )


def create_read_engine(settings: Settings) -> AsyncEngine | None:
    """The engine of DATABASE_READ_URL (a standby, never through pgbouncer), if set."""
    if settings.async_read_url is None:
        return None
    return engine_for(
        settings.async_read_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        application_name="boxoffice-read",
    )


def engine_for(
    url: str,
    *,
    pool_size: int,
    max_overflow: int,
    application_name: str = "boxoffice",
    through_pgbouncer: bool = False,
) -> AsyncEngine:
    """An engine for an async URL, set up as described above for its kind of database."""
    if url.startswith("sqlite"):
        return _create_sqlite_engine(url)
    connect_args: dict[str, Any] = {
        "timeout": CONNECT_TIMEOUT_SECONDS,
        "command_timeout": COMMAND_TIMEOUT_SECONDS,
        "server_settings": {"application_name": application_name},
    }
    if through_pgbouncer:
        # pgbouncer in transaction mode gives each transaction whichever server connection is
        # free, so a statement prepared under a name may be missing there, or the name taken.
        # Unnamed statements only: asyncpg then re-sends the Parse with every Bind/Execute/Sync
        # (the describe costs a round trip of its own), and SQLAlchemy's names are "" too.
        connect_args |= {
            "statement_cache_size": 0,
            "prepared_statement_cache_size": 0,
            "prepared_statement_name_func": lambda: "",
        }
    else:
        connect_args["server_settings"] |= SESSION_SETTINGS
    engine = create_async_engine(
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
        connect_args=connect_args,
    )
    _recover_from_failover(engine)
    carry_for(engine, notify_in_transaction=True)
    return engine


def _recover_from_failover(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "do_connect")
    def _connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        try:
            return dialect.connect(*cargs, **cparams)
        except Exception as error:  # refused, timed out, no host read-write, starting up...
            raise DatabaseUnavailable() from error

    @event.listens_for(engine.sync_engine.pool, "checkout")
    def _replace_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if dbapi_connection.driver_connection.is_closed():
            raise sa_exc.DisconnectionError("the server closed the connection")  # reconnects

    @event.listens_for(engine.sync_engine, "handle_error")
    def _discard_demoted(context: Any) -> None:
        if needs_new_connection(context.original_exception):
            context.is_disconnect = True  # and with it the rest of the pool


# What the driver raises itself, on a connection used outside SQLAlchemy (`autocommit_connection`,
# the seat listener): the error handler answers them 503, as SQLAlchemy's wrapped ones.
DRIVER_ERRORS: tuple[type[Exception], ...] = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)
# Among them, a constraint the statement tripped (class 23): a conflict, answered 409 as
# SQLAlchemy's IntegrityError is, not the database being unavailable.
DRIVER_CONFLICTS: tuple[type[Exception], ...] = (asyncpg.IntegrityConstraintViolationError,)
# What a statement's own rows caused (class 22, data; class 23, a constraint): a statement of
# many rows that failed so may have failed for one of them only.
DRIVER_ROW_ERRORS: tuple[type[Exception], ...] = (asyncpg.DataError, *DRIVER_CONFLICTS)

# The errors that mean "this connection's server is gone or no longer the primary": the
# request gets 503 and the connection is never used again.
_LOST = (
    asyncpg.PostgresConnectionError,  # class 08
    asyncpg.InterfaceError,  # "connection is closed" and the like
    asyncpg.ReadOnlySQLTransactionError,  # a demoted primary, or a standby
    asyncpg.CannotConnectNowError,  # starting up, shutting down, in recovery
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TargetServerAttributeNotMatched,  # no host of DATABASE_URL is read-write
    DatabaseUnavailable,
    OSError,  # refused, reset; TimeoutError too
)


def _chain(error: BaseException | None) -> Iterator[BaseException]:
    while error is not None:
        yield error
        error = error.__cause__


def needs_new_connection(error: BaseException) -> bool:
    """The error (or what caused it) says the database is unreachable or not the primary."""
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    return any(isinstance(cause, _LOST) for cause in _chain(error))


@asynccontextmanager
async def autocommit_connection(engine: AsyncEngine) -> AsyncIterator[Any]:
    """A pooled connection's driver connection, for statements sent outside any session (each
    its own transaction: the sale path's single statements). The one place such a connection is
    taken: it goes back to the pool after, or is discarded if it met a database that is gone or
    read-only (`needs_new_connection`)."""
    async with engine.connect() as connection:
        driver = (await connection.get_raw_connection()).driver_connection
        try:
            yield driver
        except Exception as error:
            if needs_new_connection(error):
                await connection.invalidate()
            raise


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

    carry_for(engine, notify_in_transaction=False)
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
