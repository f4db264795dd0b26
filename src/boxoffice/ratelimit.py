"""Rate limits on the endpoints worth abusing (login, sign-up, guest tokens, seat holds).

Built on the maintained `limits` library with its moving-window strategy. The counters live in
Redis when `REDIS_URL` is set, so every API process on every host shares them; otherwise in the
process's memory (one process on a laptop, or tests; `boxoffice serve --workers N` warns). One
limiter per app, made on first use from the app's settings and kept on `app.state`. The limits
themselves are settings (`RATE_LIMIT_*`), in the `limits` notation ("30/minute").

Routes opt in with a dependency naming the setting:

    @router.post("/login", dependencies=[rate_limited("auth.login", "rate_limit_auth", "ip")])

or, when the key is known only inside the route (the account a login names), call `enforce`.
Over the limit the request gets a 429 problem with `Retry-After`, counted in
`boxoffice_rate_limited_total{scope}`. With `RATE_LIMIT_ENABLED=false` nothing is counted. A
limiter that cannot reach Redis lets requests through and logs a warning: an outage of the
counters must never turn into an outage of the box office. Client addresses come from
`boxoffice.network.client_network` (an IPv6 client is its /64; X-Forwarded-For only from
`TRUSTED_PROXIES`).
"""

from __future__ import annotations

import asyncio
import functools
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Literal

from fastapi import Depends, Request
from fastapi import params as fastapi_params
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from prometheus_client import Counter

from boxoffice.config import Settings
from boxoffice.errors import BoxofficeError, RateLimited, Unauthenticated
from boxoffice.logs import get_logger
from boxoffice.metrics import RATE_LIMITED
from boxoffice.network import client_network

log = get_logger("boxoffice.ratelimit")

LimitSetting = Literal[
    "rate_limit_auth",
    "rate_limit_login_per_account",
    "rate_limit_login_per_account_and_address",
    "rate_limit_guest_tokens",
    "rate_limit_password_reset",
    "rate_limit_password_reset_per_account",
    "rate_limit_holds",
    "rate_limit_cancels",
    "rate_limit_cancels_per_address",
    "rate_limit_queue_joins",
]
PER_ACCOUNT: LimitSetting = "rate_limit_login_per_account"
PER_PAIR: LimitSetting = "rate_limit_login_per_account_and_address"

REDIS_TIMEOUT_SECONDS = 0.5  # one limiter round trip; past it the request goes through
REDIS_RETRY_AFTER_SECONDS = 5.0  # after a Redis failure, skip it for this long (no log flood)
KEY_PREFIX = "boxoffice-ratelimit"

RATE_LIMITER_ERRORS = Counter(
    "boxoffice_rate_limiter_errors_total", "Limiter storage failures (requests let through)"
)


def storage_uri(settings: Settings) -> str:
    """`async+redis://...` for the configured Redis, else the in-process memory storage."""
    if not settings.redis_url:
        return "async+memory://"
    url = settings.redis_url
    return url if url.startswith("async+") else f"async+{url}"


class RateLimiter:
    """Counts hits per (scope, key) in a moving window; fails open when its storage fails."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.storage: Storage
        if uri.startswith("async+memory"):
            self.storage = MemoryStorage()
        else:
            self.storage = RedisStorage(
                uri,
                wrap_exceptions=True,
                implementation="redispy",  # the `redis` client we depend on (not coredis)
                key_prefix=KEY_PREFIX,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
            )
        self.strategy = MovingWindowRateLimiter(self.storage)
        self._storage_down_until = 0.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiter:
        return cls(storage_uri(settings))

    @staticmethod
    @functools.cache
    def item(limit: str) -> RateLimitItem:
        """A limit string (validated with the settings) parsed once."""
        return parse(limit)

    async def hit(self, item: RateLimitItem, scope: str, key: str) -> int | None:
        """Counts one hit. None when allowed; else the seconds until one more would be."""
        return await self._guarded(self._hit, item, scope, key)

    async def test(self, item: RateLimitItem, scope: str, key: str) -> int | None:
        """Like `hit`, without counting: None while one more hit would be allowed."""
        return await self._guarded(self._test, item, scope, key)

    async def clear(self, item: RateLimitItem, scope: str, key: str) -> None:
        """Forgets every hit of `key` within `scope`."""
        await self._guarded(self._clear, item, scope, key)

    async def _hit(self, item: RateLimitItem, scope: str, key: str) -> int | None:
        if await self.strategy.hit(item, scope, key):
            return None
        return await self._retry_after(item, scope, key)

    async def _test(self, item: RateLimitItem, scope: str, key: str) -> int | None:
        if await self.strategy.test(item, scope, key):
            return None
        return await self._retry_after(item, scope, key)

    async def _clear(self, item: RateLimitItem, scope: str, key: str) -> None:
        await self.strategy.clear(item, scope, key)

    async def _retry_after(self, item: RateLimitItem, scope: str, key: str) -> int:
        stats = await self.strategy.get_window_stats(item, scope, key)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def _guarded(
        self,
        operation: Callable[[RateLimitItem, str, str], Awaitable[int | None]],
        item: RateLimitItem,
        scope: str,
        key: str,
    ) -> int | None:
        """Runs a storage operation; a storage that fails or is slow lets the request through."""
        if time.monotonic() < self._storage_down_until:
            return None
        try:
            async with asyncio.timeout(REDIS_TIMEOUT_SECONDS * 2):
                return await operation(item, scope, key)
        except (StorageError, OSError, TimeoutError) as exc:
            self._storage_failed(exc)
            return None

    def _storage_failed(self, exc: BaseException) -> None:
        RATE_LIMITER_ERRORS.inc()
        self._storage_down_until = time.monotonic() + REDIS_RETRY_AFTER_SECONDS
        log.warning(
            "rate_limiter_unavailable",
            error=type(getattr(exc, "storage_error", None) or exc).__name__,
            action="allowing requests",
            retry_in_seconds=REDIS_RETRY_AFTER_SECONDS,
        )


def get_limiter(request: Request) -> RateLimiter:
    """The app's limiter, made from its settings on first use."""
    state = request.app.state
    limiter: RateLimiter | None = getattr(state, "rate_limiter", None)
    if limiter is None:  # no await between the check and the set: one limiter per app
        limiter = RateLimiter.from_settings(state.settings)
        state.rate_limiter = limiter
    return limiter


async def enforce(request: Request, scope: str, setting: LimitSetting, key: str) -> None:
    """Counts one request of `key` against the limit the setting names; 429 past it."""
    await _limit(request, scope, setting, key, RateLimiter.hit)


Operation = Callable[["RateLimiter", RateLimitItem, str, str], Awaitable[int | None]]


async def _limit(
    request: Request, scope: str, setting: LimitSetting, key: str, operation: Operation
) -> None:
    """`operation` (a hit, or a test) on the setting's limit; 429 when it says no."""
    settings: Settings = request.app.state.settings
    if not settings.rate_limit_enabled:
        return
    item = RateLimiter.item(getattr(settings, setting))
    retry_after = await operation(get_limiter(request), item, scope, key)
    if retry_after is not None:
        RATE_LIMITED.labels(scope).inc()
        log.info("rate_limited", scope=scope, key_kind=key.split(":", 1)[0])
        raise RateLimited(
            retry_after,
            f"Too many requests; the limit is {item}. Retry in {retry_after} s.",
        )


async def _quietly(
    request: Request, scope: str, setting: LimitSetting, key: str, operation: Operation
) -> None:
    """`operation` (a hit, or a clear) on the setting's limit, whatever it says."""
    settings: Settings = request.app.state.settings
    if settings.rate_limit_enabled:
        item = RateLimiter.item(getattr(settings, setting))
        await operation(get_limiter(request), item, scope, key)


GUESSES_PER_ACCOUNT = "auth.password.account"
GUESSES_PER_CLIENT = "auth.password.account_address"


@asynccontextmanager
async def password_attempt(
    request: Request, account: str, wrong: type[BoxofficeError] = Unauthenticated
) -> AsyncIterator[None]:
    """Guards a check of an account's password (sign-in, a password change) by its failures:
    `RATE_LIMIT_LOGIN_PER_ACCOUNT_AND_ADDRESS` from this client, and the looser
    `RATE_LIMIT_LOGIN_PER_ACCOUNT` from anywhere. Past either, 429 before the password is
    looked at. A wrong password (`wrong` raised in the block) counts against both; a
    right one forgets this client's failures. So guesses from elsewhere cost the owner nothing
    until the account's own limit, which is there to slow a guesser with many addresses.

    This client's attempts are counted before the check, so they cannot race past their limit;
    the account's failures once known, so guesses already under way when its limit is reached
    still count (a few more than the limit: as many as were in flight)."""
    pair = f"{account}|ip:{client_network(request)}"
    await _limit(request, GUESSES_PER_CLIENT, PER_PAIR, pair, RateLimiter.hit)
    await _limit(request, GUESSES_PER_ACCOUNT, PER_ACCOUNT, account, RateLimiter.test)
    try:
        yield
    except wrong:
        await _quietly(request, GUESSES_PER_ACCOUNT, PER_ACCOUNT, account, RateLimiter.hit)
        raise
    await _quietly(request, GUESSES_PER_CLIENT, PER_PAIR, pair, RateLimiter.clear)


def rate_limited(
    scope: str, setting: LimitSetting, key: Literal["ip"] | Callable[..., Awaitable[str]]
) -> Any:
    """A route dependency that allows the limit of `setting` (e.g. "10/minute") within `scope`
    per client address (`key="ip"`), or per what the dependency `key` names (the bearer token's
    caller: `accounts.dependencies.token_actor`; so this module knows nothing of accounts),
    and answers 429 past it. A `key` dependency that refuses (401) comes first.
    """

    if key == "ip":

        async def by_ip(request: Request) -> None:
            await enforce(request, scope, setting, f"ip:{client_network(request)}")

        dependency: fastapi_params.Depends = Depends(by_ip)
        return dependency

    if callable(key):
        # A default, not `Annotated`: annotations are strings here, and `key` is no global.
        async def by_key(request: Request, name: str = Depends(key)) -> None:
            await enforce(request, scope, setting, name)

        dependency = Depends(by_key)
        return dependency

    raise ValueError(f"rate limit key must be 'ip' or a dependency, not {key!r}")
