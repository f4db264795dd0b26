"""Test harness: a fresh database per run (PostgreSQL or SQLite), the real app served by uvicorn
on a loopback port in a background thread, and a clock the tests can move.

`BOXOFFICE_TEST_DB=postgres` (default) creates `boxoffice_test_<random>` on the server named by
`DATABASE_URL` (default postgresql://postgres@127.0.0.1:5432/postgres) and drops it at the end;
`BOXOFFICE_TEST_DB=sqlite` uses a file in a temporary directory.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from sqlalchemy.engine import Engine
from tests.api import CHEAP_PASSWORD_HASHING, Headers, make_admin, ready_show, register, seat_ids
from tests.support.keys import SandboxHooksAuth, remember

from boxoffice.app import create_app
from boxoffice.bookings.endpoints import SalePathLane
from boxoffice.clock import Clock
from boxoffice.config import Settings
from boxoffice.db.migrate import upgrade_to_head
from boxoffice.metadata import Base
from boxoffice.sandbox import store as sandbox_store
from boxoffice.sandbox.migrate import VERSION_TABLE as SANDBOX_VERSION_TABLE
from boxoffice.sandbox.models import SandboxBase

TEST_JWT_SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789"
TEST_METRICS_TOKEN = "test-metrics-token-for-the-scraper"
METRICS = {"Authorization": f"Bearer {TEST_METRICS_TOKEN}"}  # headers a scraper sends
KEPT_TABLES = {
    "seat_types",
    "alembic_version",
    SANDBOX_VERSION_TABLE,
    "razorpay_sandbox_credentials",
}
# Tables the migrations seed (India's tax rules): a test's own rows go, the seeded ones stay.
SEEDED_ROWS = {"tax_rule_versions": "id", "tax_slabs": "version_id"}
pytest_plugins = ["tests.support.browser"]


@dataclass
class TestDatabase:
    __test__ = False  # a fixture value, not a test class
    url: str  # the plain URL the app is configured with
    sync_engine: Engine  # for set-up and audits from the tests
    seeded_ids: list[object] = field(default_factory=list)  # of the rows SEEDED_ROWS keeps

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    def id(self, value: str) -> object:
        """An API id as the database stores it (a UUID; 32 hex digits on SQLite)."""
        parsed = uuid.UUID(value)
        return parsed.hex if self.is_sqlite else parsed

    def query(self, sql: str, **params: object) -> list[sa.Row]:
        with self.sync_engine.connect() as connection:
            return list(connection.execute(sa.text(sql), params))

    def execute(self, sql: str, **params: object) -> None:
        with self.sync_engine.begin() as connection:
            connection.execute(sa.text(sql), params)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabase]:
    backend = os.environ.get("BOXOFFICE_TEST_DB", "postgres")
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("db") / "boxoffice.db"
        url = f"sqlite:///{path}"
        yield from _migrated(url, sa.create_engine(url))
        return
    server = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    server = server.replace("postgres://", "postgresql://", 1)
    base, _, _ = server.rpartition("/")
    name = f"boxoffice_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(
        server.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = f"{base}/{name}"
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        yield from _migrated(url, engine)
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _migrated(url: str, engine: Engine) -> Iterator[TestDatabase]:
    settings = make_settings(url)
    asyncio.run(upgrade_to_head(settings))
    asyncio.run(sandbox_store.migrate(settings))  # as `boxoffice migrate` with the sandbox on
    with engine.connect() as connection:
        seeded = list(connection.scalars(sa.text("SELECT id FROM tax_rule_versions")))
    yield TestDatabase(url=url, sync_engine=engine, seeded_ids=seeded)
    engine.dispose()


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "jwt_secret": TEST_JWT_SECRET,
        "rate_limit_enabled": False,
        "razorpay_sandbox": True,
        "metrics_token": TEST_METRICS_TOKEN,
        "log_json": True,
        "db_pool_size": 5,
        "db_max_overflow": 5,
        **CHEAP_PASSWORD_HASHING,
        # Tests that name the seats best available picks need it to see every change at once;
        # tests/bench/test_hold_statements.py checks the reuse itself.
        "best_available_read_reuse_seconds": 0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@dataclass
class LiveServer:
    url: str
    clock: Clock
    settings: Settings
    app: Any


class _ThreadedServer(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the main thread is pytest's
        pass


@contextmanager
def running_app(
    database_url: str, *, sale_lane: bool = True, **overrides: object
) -> Iterator[LiveServer]:
    """The real app with these settings, served by uvicorn on a free loopback port in a thread
    (its own sandbox, webhooks to itself), until the block ends. `sale_lane=False`: without the
    sale path's lane, so that the routes answer everything (tests/bookings/test_sale_parity.py)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = make_settings(
        database_url,
        **{
            "public_base_url": url,
            "razorpay_base_url": f"{url}/_sandbox/razorpay",
            "razorpay_sandbox_webhook_url": f"{url}/api/v1/webhooks/razorpay",
            **overrides,
        },
    )
    clock = Clock()
    app = create_app(settings, clock)
    if not sale_lane:
        app.user_middleware = [m for m in app.user_middleware if m.cls is not SalePathLane]
    # proxy_headers off, as `boxoffice serve` runs it: the app reads X-Forwarded-For itself.
    server = _ThreadedServer(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, proxy_headers=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    try:
        yield LiveServer(url=url, clock=clock, settings=settings, app=app)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(database: TestDatabase) -> Iterator[LiveServer]:
    with running_app(database.url) as server:
        remember(server.app.state.provider.credentials)
        yield server


@pytest.fixture(autouse=True)
def _clean_state(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts from an empty catalogue and the real clock."""
    yield
    if "database" not in request.fixturenames:
        return
    database: TestDatabase = request.getfixturevalue("database")
    # The sandbox's tables too where they share the database (on SQLite they have a file).
    metadatas = [Base.metadata] + ([] if database.is_sqlite else [SandboxBase.metadata])
    tables = [
        table.name
        for metadata in metadatas
        for table in reversed(metadata.sorted_tables)
        if table.name not in KEPT_TABLES
    ]
    for attempt in range(5):
        # Background work of the test just ended (webhook deliveries, refunds issued after a
        # commit) may still be writing: the clean-up can deadlock with it; then wait and retry.
        # DELETE, children first, on both engines: a test leaves a few rows in a few tables, and
        # PostgreSQL's TRUNCATE costs new files for every table and index whatever they hold
        # (measured: seven times the teardown time of DELETE over the same tests).
        try:
            with database.sync_engine.begin() as connection:
                for table in tables:
                    if table in SEEDED_ROWS:
                        rows = sa.table(table, sa.column(SEEDED_ROWS[table]))
                        kept = sa.bindparam("kept", database.seeded_ids, expanding=True)
                        where = rows.c[SEEDED_ROWS[table]].not_in(kept)
                        connection.execute(sa.delete(rows).where(where))
                    else:
                        connection.execute(sa.text(f'DELETE FROM "{table}"'))
            break
        except (sa.exc.OperationalError, sa.exc.IntegrityError):  # a row added meanwhile
            if attempt == 4:
                raise
            time.sleep(0.2)
    if "live_server" in request.fixturenames:
        request.getfixturevalue("live_server").clock.offset = timedelta(0)


@pytest.fixture
def clock(live_server: LiveServer) -> Clock:
    return live_server.clock


@pytest.fixture
def client(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, timeout=30, auth=SandboxHooksAuth()) as http:
        yield http


@pytest.fixture
def db(database: TestDatabase) -> TestDatabase:
    return database


# --- the usual cast, through the public API (tests/api.py) ----------------------------------


@pytest.fixture
def admin(client: httpx.Client, db: TestDatabase) -> Headers:
    return make_admin(client, db)


@pytest.fixture
def customer(client: httpx.Client) -> Headers:
    return register(client)


@pytest.fixture
def show(client: httpx.Client, admin: Headers) -> dict[str, Any]:
    """A scheduled show two days ahead on a 16-seat screen (4 VIP, 6 GOLD, 6 SILVER)."""
    return ready_show(client, admin)


@pytest.fixture
def seats(client: httpx.Client, show: dict[str, Any]) -> list[str]:
    return seat_ids(client, show["id"])
