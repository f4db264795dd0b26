"""Channels: how a committed change reaches every process's in-memory views.

`announce` is the one way to say something on a channel, for a write in a session's transaction
(told when it commits, never if it rolls back) or for a write that committed by itself (told
now). What carries it is the engine's, set once when the engine is made (`carry_for`) and the
process's channel attached to it (`attach`):
- PostgreSQL: NOTIFY, in the writer's transaction, for the other processes, and this one's
  channel told at the commit itself, before the writer answers; a committed write goes through
  the process's `ChannelListener`, which tells this process at once and the others by one
  gathered NOTIFY.
- SQLite, one process: the process's `LocalChannel`, told at the commit (or now).

`ChannelListener` is PostgreSQL's LISTEN for a process: one connection, whatever the number of
subscribers. A change committed through any API process (or the worker) reaches every
process's in-memory views within milliseconds. The connection is the driver's own, outside the
pool: it is held for the life of the process and would otherwise take a pool slot from
requests.

While the connection is down, notifications are lost: `connected` says so, and `on_gap` runs
on every (re)connection and loss, so that whoever relies on the notifications can drop what it
cached and check the database itself until they flow again.

The same connection sends: its `announce` gathers payloads for `ANNOUNCE_SECONDS` and NOTIFYs them
in one statement, so a write on the sale path tells the other processes without a round trip
of its own (and a burst of holds on one show is one notification, not one each).

After a failover the old primary's connection breaks and the listener reconnects to whichever
host of its URL is the primary now (a standby cannot LISTEN). A server that vanished without
closing the socket is caught by a keepalive query, so the listener is never deaf for longer
than `KEEPALIVE_SECONDS` plus the query's timeout while believing itself connected. It connects
directly, never through pgbouncer in transaction mode, which cannot keep a session's LISTEN
(DATABASE_LISTEN_URL).
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import asyncpg
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from boxoffice.logs import get_logger

log = get_logger("boxoffice.db.notifications")

RETRY_SECONDS = 1.0
KEEPALIVE_SECONDS = 5.0
ANNOUNCE_SECONDS = 0.02  # how long announcements gather before one statement sends them
NOTIFY_ALL = "SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload"


class ChannelListener:
    def __init__(
        self,
        dsn: str,
        channel: str,
        on_message: Callable[[str], None],
        on_gap: Callable[[], None],
    ) -> None:
        self._dsn = dsn
        self._channel = channel
        self._on_message = on_message
        self._on_gap = on_gap
        self._task: asyncio.Task[None] | None = None
        self._announcements: set[str] = set()
        self._wake = asyncio.Event()  # an announcement to send, or the connection lost
        self.connected = False

    def hear(self, payload: str) -> None:
        """Tells this process's subscriber now, as if the notification had come."""
        self._on_message(payload)

    def announce(self, payload: str) -> None:
        """Tells this process at once, and notifies the channel (every process's listener) within
        `ANNOUNCE_SECONDS`. The notification is dropped while the connection is down: the
        listeners are told of the gap then (`on_gap`) and check the database themselves."""
        self._on_message(payload)
        if self.connected:
            self._announcements.add(payload)
            self._wake.set()

    def start(self) -> None:
        self._wake = asyncio.Event()  # of the loop that runs it
        self._task = asyncio.create_task(self._run(), name=f"listen {self._channel}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            lost = asyncio.Event()
            connection: asyncpg.Connection | None = None
            try:
                connection = await asyncpg.connect(
                    self._dsn,
                    timeout=5,
                    server_settings={"application_name": f"boxoffice-listen-{self._channel}"},
                )

                def on_lost(_connection: Any, lost: asyncio.Event = lost) -> None:
                    lost.set()
                    self._wake.set()

                connection.add_termination_listener(on_lost)
                await connection.add_listener(self._channel, self._deliver)
                self.connected = True
                self._on_gap()
                await self._serve(connection, lost)
                log.warning("listen_connection_lost", channel=self._channel)
            except Exception as error:  # whatever it was, listen again: never give up
                log.warning("listen_unavailable", channel=self._channel, error=type(error).__name__)
            finally:
                self._announcements.clear()  # the gap tells the listeners instead
                if self.connected:
                    self.connected = False
                    self._on_gap()
                if connection is not None and not connection.is_closed():
                    connection.terminate()
            await asyncio.sleep(RETRY_SECONDS)

    async def _serve(self, connection: asyncpg.Connection, lost: asyncio.Event) -> None:
        """Sends what is announced until the connection is lost; when idle, a keepalive query
        every `KEEPALIVE_SECONDS` (it raises if the server is gone)."""
        while not lost.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=KEEPALIVE_SECONDS)
            if lost.is_set():
                return
            if self._announcements:
                await asyncio.sleep(ANNOUNCE_SECONDS)  # let a burst gather
            self._wake.clear()
            payloads, self._announcements = sorted(self._announcements), set()
            if payloads:
                await connection.execute(
                    NOTIFY_ALL, self._channel, payloads, timeout=KEEPALIVE_SECONDS
                )
            else:
                await connection.fetchval("SELECT 1", timeout=KEEPALIVE_SECONDS)

    def _deliver(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        self._on_message(payload)


class LocalChannel:
    """A channel within one process (SQLite's: it has no notifications, and one process
    writes): a message goes straight to the subscriber."""

    connected = False  # nothing reaches other processes: their views check for themselves

    def __init__(self, on_message: Callable[[str], None]) -> None:
        self._on_message = on_message

    def hear(self, payload: str) -> None:
        self._on_message(payload)

    def announce(self, payload: str) -> None:
        self._on_message(payload)

    def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass


class Channel(Protocol):
    connected: bool

    def hear(self, payload: str) -> None:
        """This process's subscriber only, now."""
        ...

    def announce(self, payload: str) -> None:
        """This process's subscriber now, and every other process's."""
        ...

    def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class _Carry:
    """How an engine's writers' announcements travel, and the channels this process attached."""

    notify_in_transaction: bool  # PostgreSQL's NOTIFY (other processes); else one process
    channels: dict[str, Channel] = field(default_factory=dict)


_CARRIES: weakref.WeakKeyDictionary[Engine, _Carry] = weakref.WeakKeyDictionary()


def carry_for(engine: AsyncEngine, *, notify_in_transaction: bool) -> None:
    """Sets, once when the engine is made, how announcements travel on it."""
    _CARRIES[engine.sync_engine] = _Carry(notify_in_transaction)


def attach(engine: AsyncEngine, name: str, channel: Channel) -> None:
    """Makes `channel` this process's channel `name` for writes through `engine`."""
    _CARRIES[engine.sync_engine].channels[name] = channel


async def announce(via: AsyncSession | AsyncEngine, name: str, payloads: Sequence[str]) -> None:
    """Says `payloads` on channel `name`, to every process's listener (this one's included):
    - `via` a session: as part of its transaction, so when it commits, never if it rolls back;
      this process hears it at the commit itself, before the writer answers (a NOTIFY comes
      back a moment later);
    - `via` an engine: for a write that committed by itself (the sale path's single
      statements), now, through this process's channel: no round trip of the writer's.
    A process with no channel attached (the worker) tells only the others, and only by NOTIFY.
    """
    if isinstance(via, AsyncEngine):
        carry = _CARRIES[via.sync_engine]
        channel = carry.channels.get(name)
        if channel is not None:
            for payload in payloads:
                channel.announce(payload)
        return
    carry = _CARRIES[via.get_bind().engine]
    if carry.notify_in_transaction:
        for payload in payloads:
            await via.execute(select(func.pg_notify(name, payload)))
    channel = carry.channels.get(name)
    if channel is None:
        return

    def heard(_session: Any) -> None:
        for payload in payloads:
            channel.hear(payload)

    event.listen(via.sync_session, "after_commit", heard, once=True)
