"""Where the sandbox keeps its state, and the knobs tests turn.

The sandbox has an engine of its own, never the application's pool: the application calls the
sandbox while holding one of its connections, so sharing the pool could leave every connection
waiting on a sandbox request that waits for a connection. On PostgreSQL the tables live in the
application database, so every server process on that database shares one sandbox. On SQLite
they live in `<database>.razorpay-sandbox.db` next to the application's file: a request that
holds the application database's write lock while it calls the provider (as a unit of work that
creates an order does) must not find the sandbox waiting on that same lock. Either way the
sandbox's own migrations make them (`boxoffice.sandbox.migrate`), on the store's first use.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import Request
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
)

from boxoffice.config import RazorpayCredentials, Settings
from boxoffice.db.engine import dialect_insert, engine_for
from boxoffice.sandbox.entities import new_id
from boxoffice.sandbox.migrate import upgrade_database
from boxoffice.sandbox.models import SandboxConfig, SandboxCredentials

CONFIG_ROW = 1


@dataclass(frozen=True)
class Config:
    """Test knobs, shared by every process on the database. Reset with DELETE .../config."""

    refund_status: str = "processed"  # status of new refunds: processed | pending
    auto_deliver_webhooks: bool = True  # send webhooks on their own (checkout can override)
    fail_next_requests: int = 0  # answer the next N REST API calls with 500 SERVER_ERROR
    fail_after_applying: bool = False  # ... after doing the work (the answer is lost) or before
    fail_matching: str = ""  # ... only calls whose path, query or body contain this (a key)
    auto_capture: bool = True  # False: checkout only authorizes; the merchant must capture

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def sandbox_database_url(settings: Settings) -> str:
    url = settings.async_database_url
    if not settings.is_sqlite:
        return url
    prefix, _, path = url.partition(":///")
    path = path.split("?", 1)[0]
    if not path or path == ":memory:":
        return f"{prefix}:///:memory:"
    file = Path(path)
    name = f"{file.stem}.razorpay-sandbox{file.suffix or '.db'}"
    return f"{prefix}:///{file.with_name(name)}"


def _create_engine(settings: Settings) -> AsyncEngine:
    # Its own small pool: the app holds one of its connections while it calls the sandbox.
    # Kept, none opened beyond them: under load an overflow connection is opened and closed per
    # request, a PostgreSQL backend forked each time (their CPU: `make bench`'s `pg_ended`).
    return engine_for(
        sandbox_database_url(settings),
        pool_size=5,
        max_overflow=0,
        application_name="boxoffice-razorpay-sandbox",
        through_pgbouncer=settings.database_pooler == "pgbouncer",
    )


@dataclass
class Gate:
    """Holds the REST calls that contain `matching` (a booking's id names its order's create,
    an order's or a payment's id the calls about it) until it is opened: a test sees a call
    arrive (`waiting`) and decides when it is answered. Kept in the serving process's memory:
    it holds the calls that this process's sandbox answers."""

    id: str
    matching: str
    opened: asyncio.Event = field(default_factory=asyncio.Event)
    waiting: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "matching": self.matching,
            "open": self.opened.is_set(),
            "waiting": self.waiting,
        }


class SandboxStore:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.gates: dict[str, Gate] = {}
        self._credentials: RazorpayCredentials | None = None
        self.engine = _create_engine(settings)
        self._sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        self._schema_ready = False
        self._schema_lock = asyncio.Lock()
        self._webhook_client: httpx.AsyncClient | None = None

    def webhook_client(self, timeout: float) -> httpx.AsyncClient:
        """The one HTTP client every webhook delivery of this store goes through: its
        connections are kept alive, and its TLS context is built once, not per delivery."""
        if self._webhook_client is None:
            # Idle connections let go before the API's server closes them (uvicorn: at 5 s),
            # or a delivery could go out on one being closed and fail.
            idle = httpx.Limits(keepalive_expiry=4.0)
            self._webhook_client = httpx.AsyncClient(timeout=timeout, limits=idle)
        return self._webhook_client

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        await self.ensure_schema()
        async with self._sessionmaker() as session, session.begin():
            yield session

    async def ensure_schema(self) -> None:
        """The sandbox's tables, migrated to the newest revision, once per store."""
        if self._schema_ready:
            return
        async with self._schema_lock:
            if not self._schema_ready:
                await upgrade_database(self.engine)
                self._schema_ready = True

    async def dispose(self) -> None:
        if self._webhook_client is not None:
            await self._webhook_client.aclose()
            self._webhook_client = None
        await self.engine.dispose()

    async def credentials(self) -> RazorpayCredentials:
        """The key id and secrets this sandbox accepts and signs with: the configured keys when
        there are any, else random ones made once per database (the first process to ask
        writes them, every other one reads the same row)."""
        if self._credentials is None:
            self._credentials = self._settings.razorpay_keys or await self._stored_credentials()
        return self._credentials

    async def _stored_credentials(self) -> RazorpayCredentials:
        async with self.transaction() as session:
            await session.execute(
                dialect_insert(session)(SandboxCredentials)
                .values(
                    id=CONFIG_ROW,
                    key_id=f"rzp_test_{secrets.token_hex(7)}",
                    key_secret=secrets.token_urlsafe(32),
                    webhook_secret=secrets.token_urlsafe(32),
                )
                .on_conflict_do_nothing(index_elements=["id"])
            )
            row = await session.get_one(SandboxCredentials, CONFIG_ROW)
            return RazorpayCredentials(row.key_id, row.key_secret, row.webhook_secret)

    # Config

    async def config(self) -> Config:
        async with self.transaction() as session:
            return await read_config(session)

    async def update_config(self, **changes: Any) -> Config:
        async with self.transaction() as session:
            row = await session.get(SandboxConfig, CONFIG_ROW, with_for_update=True)
            if row is None:
                row = SandboxConfig(id=CONFIG_ROW, **Config().as_dict())
                session.add(row)
            for name, value in changes.items():
                setattr(row, name, value)
            await session.flush()
            return _config_of(row)

    async def reset_config(self) -> Config:
        async with self.transaction() as session:
            row = await session.get(SandboxConfig, CONFIG_ROW)
            if row is not None:
                await session.delete(row)
        return Config()

    async def take_injected_failure(self, call: str) -> bool | None:
        """None: answer `call` (its path, query and body) normally. Else consumes one injected
        failure meant for it; True means "after applying"."""
        config = await self.config()  # the usual case: nothing injected, one read, no lock
        if config.fail_next_requests <= 0 or config.fail_matching not in call:
            return None
        async with self.transaction() as session:
            result = await session.execute(
                update(SandboxConfig)
                .where(
                    SandboxConfig.id == CONFIG_ROW,
                    SandboxConfig.fail_next_requests > 0,
                    SandboxConfig.fail_matching == config.fail_matching,
                )
                .values(fail_next_requests=SandboxConfig.fail_next_requests - 1)
                .returning(SandboxConfig.fail_after_applying)
            )
            return result.scalar_one_or_none()

    # Gates: calls held until a test lets them through

    def close_gate(self, matching: str) -> Gate:
        gate = Gate(new_id("gate"), matching)
        self.gates[gate.id] = gate
        return gate

    async def wait_at_gates(self, call: str) -> None:
        """Holds `call` (its path, query and body) while a closed gate matches it. It holds no
        connection of the sandbox's meanwhile, nor of the application's."""
        for gate in [g for g in self.gates.values() if g.matching in call]:
            gate.waiting += 1
            try:
                await gate.opened.wait()
            finally:
                gate.waiting -= 1

    def open_all_gates(self) -> None:
        for gate in self.gates.values():
            gate.opened.set()
        self.gates.clear()


async def read_config(session: AsyncSession) -> Config:
    row = (
        await session.execute(select(SandboxConfig).where(SandboxConfig.id == CONFIG_ROW))
    ).scalar_one_or_none()
    return Config() if row is None else _config_of(row)


def _config_of(row: SandboxConfig) -> Config:
    return Config(
        refund_status=row.refund_status,
        auto_deliver_webhooks=row.auto_deliver_webhooks,
        fail_next_requests=row.fail_next_requests,
        fail_after_applying=row.fail_after_applying,
        fail_matching=row.fail_matching,
        auto_capture=row.auto_capture,
    )


async def migrate(settings: Settings) -> None:
    """`boxoffice migrate` with the sandbox on: its tables too, beside the application's."""
    store = SandboxStore(settings)
    try:
        await store.ensure_schema()
    finally:
        await store.dispose()


async def load_credentials(settings: Settings) -> RazorpayCredentials:
    """The sandbox's keys, for a process without a sandbox of its own (the worker)."""
    store = SandboxStore(settings)
    try:
        return await store.credentials()
    finally:
        await store.dispose()


def get_store(request: Request) -> SandboxStore:
    """The app's sandbox store, made on first use (in the app's event loop)."""
    return store_of(request.app.state)


def store_of(state: Any) -> SandboxStore:
    """The sandbox store kept on an app's state (`app.state`), made on first use."""
    store: SandboxStore | None = getattr(state, "razorpay_sandbox", None)
    if store is None:
        store = SandboxStore(state.settings)
        state.razorpay_sandbox = store
    return store
