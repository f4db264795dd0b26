"""When a server of the test process is quiet: no HTTP exchange in flight and no after-commit
hook at work. Tests that end with money in flight (a webhook being delivered, a refund being
issued after its commit) wait for it, and so does the clean-up after every test, so that no
test's background work lands inside another test's window or under the clean-up's deletes.

An exchange counts until its ASGI call returns, which is after its background tasks (the
sandbox's webhook deliveries) have run; an after-commit hook counts from before the answer of
the request that committed. So whatever a piece of work starts is counted before the work
itself ends, and one look at both counters in the server's event loop sees all of it.
"""

from __future__ import annotations

import asyncio
import time

from starlette.types import ASGIApp, Receive, Scope, Send

from boxoffice.db.unit_of_work import after_commit_hooks_running


class Traffic:
    """The app, counting its HTTP exchanges in flight, but not the seat streams: they stay open
    as long as their subscriber does."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.in_flight = 0
        self.loop: asyncio.AbstractEventLoop | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.loop = self.loop or asyncio.get_running_loop()
        counted = scope["type"] == "http" and not scope["path"].endswith("/stream")
        self.in_flight += counted
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= counted

    async def _busy(self) -> tuple[int, int]:
        return self.in_flight, after_commit_hooks_running()

    def wait_until_quiet(self, seconds: float = 20) -> None:
        """Returns once the server is quiet; fails, saying what is still busy, after `seconds`."""
        if self.loop is None or self.loop.is_closed():
            return  # it never served anything, or it has stopped
        deadline = time.monotonic() + seconds
        while True:
            busy = asyncio.run_coroutine_threadsafe(self._busy(), self.loop).result(seconds)
            if busy == (0, 0):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"still busy: {busy} (exchanges, after-commit hooks)")
            time.sleep(0.02)
