"""Test harness: a fresh database per run (PostgreSQL or SQLite), the real app served by uvicorn
on a loopback port in a background thread, and a clock the tests can move.

`BOXOFFICE_TEST_DB=postgres` (default) creates `boxoffice_test_<random>` on the server named by
`DATABASE_URL` (default postgresql://postgres@127.0.0.1:5432/postgres) and drops it at the end;
`BOXOFFICE_TEST_DB=sqlite` uses a file in a temporary directory.
"""

from __future__ import annotations

import asyncio
import functools
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
from hypothesis import HealthCheck, settings
from sqlalchemy.engine import Engine
from tests.api import CHEAP_PASSWORD_HASHING, Headers, make_admin, ready_show, register, seat_ids
from tests.support.http import loopback_client
from tests.support.keys import SandboxHooksAuth, remember
from tests.support.servers import Servers, serve
from tests.support.traffic import Traffic

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
    "show_formats",
    "alembic_version",
    SANDBOX_VERSION_TABLE,
    "razorpay_sandbox_credentials",
}
# Tables the migrations seed (India's tax rules): a test's own rows go, the seeded ones stay.
SEEDED_ROWS = {"tax_rule_versions": "id", "tax_slabs": "version_id"}
pytest_plugins = ["tests.support.notes", "tests.support.programs", "tests.support.engines"]

# Tests never assert on durations, and Hypothesis's deadline (200 ms an example) and its too_slow
# health check are such assertions: under a full `make test` an example of tests/money took 283 ms
# and failed the run. The suite's profile drops both, as Hypothesis's own "ci" profile (CI=true)
# does.
settings.register_profile("suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
if os.environ.get("CI", "").lower() != "true":
    settings.load_profile("suite")

# A seed Hypothesis uses for every test when CI=true (HYPOTHESIS_SEED overrides it, anywhere): a
# CI run draws the same examples each time, and prints how to draw them again here.
CI_HYPOTHESIS_SEED = "20261207"


@pytest.hookimpl(tryfirst=True)  # before Hypothesis's own plugin reads its options
def pytest_configure(config: pytest.Config) -> None:
    if config.option.hypothesis_seed is not None:
        return
    if os.environ.get("HYPOTHESIS_SEED"):
        config.option.hypothesis_seed = os.environ["HYPOTHESIS_SEED"]
    elif os.environ.get("CI", "").lower() == "true":  # Hypothesis loads its "ci" profile too
        config.option.hypothesis_seed = CI_HYPOTHESIS_SEED


def _hypothesis_seed_line(config: pytest.Config) -> str | None:
    seed = config.option.hypothesis_seed
    if seed is None:
        return None
    return f"hypothesis seed {seed} for every test; again: HYPOTHESIS_SEED={seed} make test"


def pytest_report_header(config: pytest.Config) -> str | None:
    return _hypothesis_seed_line(config)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    line = _hypothesis_seed_line(terminalreporter.config)
    if line:
        terminalreporter.write_line(line)


@dataclass(eq=False)  # hashed by identity: one per run, a key of _postgres_cleanup's cache
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


def migrated(url: str, engine: Engine) -> TestDatabase:
    """The database at `url` migrated, as `boxoffice migrate` does with the sandbox on."""
    settings = make_settings(url)
    asyncio.run(upgrade_to_head(settings))
    asyncio.run(sandbox_store.migrate(settings))
    with engine.connect() as connection:
        seeded = list(connection.scalars(sa.text("SELECT id FROM tax_rule_versions")))
    return TestDatabase(url=url, sync_engine=engine, seeded_ids=seeded)


def _migrated(url: str, engine: Engine) -> Iterator[TestDatabase]:
    yield migrated(url, engine)
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
    traffic: Traffic

    def wait_until_quiet(self) -> None:
        """Until no request and no after-commit work of this server is under way."""
        self.traffic.wait_until_quiet()


class _ThreadedServer(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the main thread is pytest's
        pass


def listening_socket() -> socket.socket:
    """A loopback socket bound to a free port and listening, for a server in this process: the
    port is never released before the server has it."""
    return socket.create_server(("127.0.0.1", 0), backlog=2048)


@contextmanager
def serving(app: Any, sock: socket.socket, **config: Any) -> Iterator[None]:
    """Serves `app` with uvicorn on `sock` in a daemon thread until the block ends."""
    server = _ThreadedServer(uvicorn.Config(app, log_config=None, **config))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def running_app(
    database_url: str,
    clock: Clock | None = None,
    *,
    sale_lane: bool = True,
    **overrides: object,
) -> Iterator[LiveServer]:
    """The real app with these settings, served by uvicorn on a free loopback port in a thread
    (its own sandbox, webhooks to itself), until the block ends; on `clock` when given (a
    second server that moves with the first). `sale_lane=False`: without the sale path's
    lane, so that the routes answer everything (tests/bookings/test_sale_parity.py)."""
    with listening_socket() as sock:
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        settings = make_settings(
            database_url,
            **{
                "public_base_url": url,
                "razorpay_base_url": f"{url}/_sandbox/razorpay",
                "razorpay_sandbox_webhook_url": f"{url}/api/v1/webhooks/razorpay",
                **overrides,
            },
        )
        clock = clock or Clock()
        app = create_app(settings, clock)
        if not sale_lane:
            app.user_middleware = [m for m in app.user_middleware if m.cls is not SalePathLane]
        traffic = Traffic(app)
        # proxy_headers off, as `boxoffice serve` runs it: the app reads X-Forwarded-For itself.
        with serving(traffic, sock, proxy_headers=False):
            yield LiveServer(url=url, clock=clock, settings=settings, app=app, traffic=traffic)


@pytest.fixture(scope="session")
def live_server(database: TestDatabase) -> Iterator[LiveServer]:
    with running_app(database.url) as server:
        remember(server.app.state.provider.credentials)
        yield server


def delete_all_rows(database: TestDatabase) -> None:
    """Empties every table but the few kept for the whole run (KEPT_TABLES) and the rows the
    migrations seed (SEEDED_ROWS)."""
    # DELETE, children first, on both engines: a test leaves a few rows in a few tables, and
    # PostgreSQL's TRUNCATE costs new files for every table and index whatever they hold
    # (measured: seven times the teardown time of DELETE over the same tests).
    with database.sync_engine.begin() as connection:
        if database.is_sqlite:
            for table in _emptied_tables(database):
                connection.execute(_delete_rows(database, table))
        else:  # one script, one round trip: sixty statements one by one cost 16 ms a test
            connection.exec_driver_sql(_postgres_cleanup(database))


def _emptied_tables(database: TestDatabase) -> list[str]:
    # The sandbox's tables too where they share the database (on SQLite they have a file).
    metadatas = [Base.metadata] + ([] if database.is_sqlite else [SandboxBase.metadata])
    return [
        table.name
        for metadata in metadatas
        for table in reversed(metadata.sorted_tables)
        if table.name not in KEPT_TABLES
    ]


@functools.cache
def _postgres_cleanup(database: TestDatabase) -> str:
    """The clean-up as one script, compiled once (7 ms each time otherwise). Every row goes, so
    no foreign key needs checking, and checking costs: the keys on show_seats.booking_id and on
    the four seat_id columns have no index (production never deletes those parents), so each
    parent row deleted scanned its child table, dead rows included: 10-20 s after a test of
    6,000 seats or 5,000 bookings."""
    literal = {"literal_binds": True}
    deletes = (
        _delete_rows(database, table).compile(
            dialect=database.sync_engine.dialect, compile_kwargs=literal
        )
        for table in _emptied_tables(database)
    )
    return ";\n".join(["SET LOCAL session_replication_role = replica", *map(str, deletes)])


def _delete_rows(database: TestDatabase, table: str) -> sa.Delete:
    """Every row of `table`, but the ones the migrations seeded (SEEDED_ROWS)."""
    key_type = sa.String() if database.is_sqlite else sa.Uuid()  # as TestDatabase.id stores it
    rows = sa.table(table, sa.column(SEEDED_ROWS.get(table, "id"), key_type))
    if table not in SEEDED_ROWS:
        return sa.delete(rows)
    kept = sa.bindparam("kept", database.seeded_ids, expanding=True, literal_execute=True)
    return sa.delete(rows).where(rows.c[SEEDED_ROWS[table]].not_in(kept))


@pytest.fixture(autouse=True)
def _clean_state(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts from an empty catalogue and the real clock."""
    yield
    if "database" not in request.fixturenames:
        return
    database: TestDatabase = request.getfixturevalue("database")
    live: LiveServer | None = (
        request.getfixturevalue("live_server") if "live_server" in request.fixturenames else None
    )
    if live is not None:
        # What the test left in flight (a webhook delivered, a refund issued after its commit)
        # ends first: it must not write under the deletes, nor into the next test.
        live.wait_until_quiet()
    delete_all_rows(database)
    if live is not None:
        live.clock.offset = timedelta(0)


@pytest.fixture(scope="session")
def _server_pair(
    database: TestDatabase, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Servers]:
    if database.is_sqlite:
        # One process, as `make run` serves the embedded database: its requests interleave on
        # one event loop and reach SQLite from aiosqlite's threads, one writer at a time.
        url = request.getfixturevalue("live_server").url
        yield Servers([url, url], [])
        return
    # Started once, on first use: each `boxoffice serve` costs seconds of imports.
    logs = tmp_path_factory.mktemp("server-pair")
    with serve(2, database.url, TEST_JWT_SECRET, logs, up_within=120) as urls:
        yield Servers(urls, [logs / f"server-{index}.log" for index in range(2)])


@pytest.fixture
def two_servers(_server_pair: Servers) -> Servers:
    """Two `boxoffice serve` processes on the test database, for tests that need real
    parallelism between API processes and nothing else of them (their own settings, a restart):
    shared by all such tests of the session. On SQLite, the one process of the embedded mode
    twice over (the test's threads and barrier make the parallelism)."""
    _server_pair.test_begins()
    return _server_pair


@pytest.fixture
def clock(live_server: LiveServer) -> Clock:
    return live_server.clock


@pytest.fixture
def client(live_server: LiveServer) -> Iterator[httpx.Client]:
    with loopback_client(base_url=live_server.url, timeout=30, auth=SandboxHooksAuth()) as http:
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
