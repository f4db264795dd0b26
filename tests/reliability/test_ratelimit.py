"""The rate limiter on a tiny app of its own: 429 problem + Retry-After past the limit, separate
counters per scope and per key, shared counters through Redis across apps (as across hosts),
nothing counted when disabled, and requests let through (with a warning) when Redis is down."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import limits.aio.storage.memory
import pytest
import redis
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from pydantic import ValidationError
from tests.conftest import make_settings
from tests.reliability.logcapture import capture_logs
from tests.support.ports import free_port
from tests.support.servers import running

from boxoffice.accounts.dependencies import token_actor, token_principal
from boxoffice.accounts.principal import Principal
from boxoffice.accounts.tokens import PrincipalKind
from boxoffice.app import create_app, problem_response
from boxoffice.errors import BoxofficeError, Unauthenticated
from boxoffice.logs import configure_logging
from boxoffice.ratelimit import (
    RateLimiter,
    rate_limited,
    storage_uri,
)


def tiny_app(
    enabled: bool = True, redis_url: str | None = None, limit: str = "3/minute"
) -> FastAPI:
    settings = make_settings(
        "sqlite:///unused.db",
        rate_limit_enabled=enabled,
        redis_url=redis_url,
        rate_limit_auth=limit,
    )
    configure_logging(settings.log_level, settings.log_json)
    app = FastAPI()
    app.state.settings = settings
    scope = f"test.{uuid.uuid4().hex[:8]}"  # fresh counters per app, even on a shared Redis

    @app.exception_handler(BoxofficeError)
    async def _problem(_request: Request, error: BoxofficeError) -> JSONResponse:
        return problem_response(error)

    @app.post("/login", dependencies=[rate_limited(scope + ".login", "rate_limit_auth", key="ip")])
    async def login() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/guest", dependencies=[rate_limited(scope + ".guest", "rate_limit_auth", key="ip")])
    async def guest() -> dict[str, str]:
        return {"status": "ok"}

    @app.post(
        "/hold", dependencies=[rate_limited(scope + ".hold", "rate_limit_auth", key=token_actor)]
    )
    async def hold() -> dict[str, str]:
        return {"status": "held"}

    def principal_from_header(request: Request) -> Principal:
        # Stands in for the JWT check: X-Test-User names the caller.
        who = request.headers.get("x-test-user")
        if not who:
            raise Unauthenticated("A bearer token is required.")
        return Principal(kind=PrincipalKind.USER, id=uuid.UUID(who), role="customer")

    app.dependency_overrides[token_principal] = principal_from_header
    return app


def assert_rate_limited(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= 60
    body = response.json()
    assert body["status"] == 429
    assert body["type"].endswith("/rate-limited")
    assert body["title"] and body["detail"]
    assert body["retry_after"] == retry_after
    return retry_after


def test_the_request_past_the_limit_is_a_429_problem_with_retry_after() -> None:
    with TestClient(tiny_app(limit="3/minute")) as http:
        assert [http.post("/login").status_code for _ in range(3)] == [200, 200, 200]
        assert_rate_limited(http.post("/login"))
        assert_rate_limited(http.post("/login"))


def test_scopes_count_separately() -> None:
    with TestClient(tiny_app(limit="2/minute")) as http:
        for _ in range(2):
            assert http.post("/login").status_code == 200
        assert_rate_limited(http.post("/login"))
        assert http.post("/guest").status_code == 200


def test_each_principal_has_its_own_allowance() -> None:
    alice, bob = str(uuid.uuid4()), str(uuid.uuid4())
    with TestClient(tiny_app(limit="2/minute")) as http:
        for _ in range(2):
            assert http.post("/hold", headers={"X-Test-User": alice}).status_code == 200
        assert_rate_limited(http.post("/hold", headers={"X-Test-User": alice}))
        assert http.post("/hold", headers={"X-Test-User": bob}).status_code == 200
        # No principal: authentication is refused first, and nothing is counted against anyone.
        assert http.post("/hold").status_code == 401


class StoppedTime:
    """The `time` that the limits library's in-process storage reads: stopped, moved only by
    the test (no real second has to pass, nor may one pass unnoticed)."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now


def test_the_window_moves_on(monkeypatch: pytest.MonkeyPatch) -> None:
    stopped = StoppedTime()
    monkeypatch.setattr(limits.aio.storage.memory, "time", stopped)
    with TestClient(tiny_app(limit="2/minute")) as http:
        assert [http.post("/login").status_code for _ in range(2)] == [200, 200]
        assert_rate_limited(http.post("/login"))
        stopped.now += 59
        assert_rate_limited(http.post("/login"))
        stopped.now += 2  # a minute after the first two
        assert http.post("/login").status_code == 200


def test_disabled_means_unlimited() -> None:
    app = tiny_app(enabled=False, limit="1/minute")
    user = str(uuid.uuid4())
    with TestClient(app) as http:
        assert {http.post("/login").status_code for _ in range(30)} == {200}
        assert {
            http.post("/hold", headers={"X-Test-User": user}).status_code for _ in range(30)
        } == {200}
    assert getattr(app.state, "rate_limiter", None) is None  # not even made


def test_one_limiter_per_app_from_its_settings() -> None:
    app = tiny_app(limit="100/minute")
    with TestClient(app) as http:
        http.post("/login")
        first = app.state.rate_limiter
        http.post("/guest")
        assert app.state.rate_limiter is first
    assert storage_uri(app.state.settings) == "async+memory://"
    assert storage_uri(make_settings("sqlite:///x.db", redis_url="redis://h:6379/2")) == (
        "async+redis://h:6379/2"
    )


def test_limits_are_settings_checked_at_start() -> None:
    settings = make_settings("sqlite:///x.db", rate_limit_guest_tokens="5 per hour")
    assert RateLimiter.item(settings.rate_limit_guest_tokens).amount == 5
    with pytest.raises(ValidationError, match="rate_limit_holds"):
        make_settings("sqlite:///x.db", rate_limit_holds="ten per minute")
    with pytest.raises(ValueError):
        rate_limited("parse-check", "rate_limit_auth", key="email")  # type: ignore[arg-type]


# -- Redis: the counters every API process on every host shares -------------------------------


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A private redis-server on a free loopback port, keeping nothing on disk."""
    binary = shutil.which("redis-server")
    assert binary, "redis-server is needed for the shared-limit tests (Debian: redis-server)"
    # redis-server cannot bind port 0 and say which port it got: a port free a moment ago, and
    # another if the server that answers there is not ours (its INFO names its process id).
    for _attempt in range(5):
        port = free_port()
        argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
        with running([*argv, "no"], dict(os.environ), tmp_path / f"redis-{port}.log") as process:
            url = f"redis://127.0.0.1:{port}/0"
            if _answers_as(url, process):
                yield url, process
                return
    raise RuntimeError("redis-server did not start on any of five ports")


def _answers_as(url: str, process: subprocess.Popen[bytes]) -> bool:
    """Whether the Redis at `url` is `process` (False once it exited: the port was taken)."""
    client = redis.Redis.from_url(url)
    try:
        deadline = time.monotonic() + 10
        while process.poll() is None and time.monotonic() < deadline:
            try:
                return bool(client.info("server")["process_id"] == process.pid)
            except redis.ConnectionError:
                time.sleep(0.05)
        return False
    finally:
        client.close()


def test_redis_counters_are_shared_between_apps(
    redis_server: tuple[str, subprocess.Popen[bytes]],
) -> None:
    url, _ = redis_server
    one = tiny_app(redis_url=url, limit="3/minute")
    # A second "host": another app, same scope names, same Redis.
    two = tiny_app(redis_url=url, limit="3/minute")
    two.router.routes.clear()
    two.router.routes.extend(one.router.routes)
    with TestClient(one) as first, TestClient(two) as second:
        assert first.post("/login").status_code == 200
        assert second.post("/login").status_code == 200
        assert first.post("/login").status_code == 200
        assert_rate_limited(second.post("/login"))
        assert_rate_limited(first.post("/login"))
    assert isinstance(one.state.rate_limiter, RateLimiter)
    assert one.state.rate_limiter is not two.state.rate_limiter
    keys = redis.Redis.from_url(url).keys("boxoffice-ratelimit*")
    assert keys, "the counters live in Redis"


def test_redis_down_fails_open_with_a_warning(
    redis_server: tuple[str, subprocess.Popen[bytes]],
) -> None:
    url, process = redis_server
    with TestClient(tiny_app(redis_url=url, limit="2/minute")) as http:
        assert [http.post("/login").status_code for _ in range(2)] == [200, 200]
        assert_rate_limited(http.post("/login"))
        process.kill()
        process.wait(timeout=10)
        with capture_logs() as logs:
            statuses = [http.post("/login").status_code for _ in range(10)]
    assert statuses == [200] * 10  # never a 500, never a 429 from a limiter that cannot count
    warnings = [r for r in logs.records() if r.get("event") == "rate_limiter_unavailable"]
    assert warnings and all(r["level"] == "warning" for r in warnings)
    assert len(warnings) == 1, "one warning per outage window, not one per request"


def test_unreachable_redis_from_the_start_fails_open() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, never listening: refused, and nobody else's
        url = f"redis://127.0.0.1:{sock.getsockname()[1]}/0"
        with TestClient(tiny_app(redis_url=url, limit="1/minute")) as http:
            assert {http.post("/login").status_code for _ in range(5)} == {200}


def test_in_the_real_app_a_principal_is_keyed_by_its_verified_token(db: Any) -> None:
    """The real app (its JWT check, its error handler) with one extra route limited per
    principal: each user and guest has an allowance of their own; no token is 401 first."""
    app = create_app(make_settings(db.url, rate_limit_enabled=True, rate_limit_holds="2/minute"))

    @app.post(
        "/_probe", dependencies=[rate_limited("probe.hold", "rate_limit_holds", key=token_actor)]
    )
    async def probe() -> dict[str, str]:
        return {"status": "ok"}

    with TestClient(app) as http:
        user = http.post(
            "/api/v1/auth/register",
            json={
                "email": f"rl-{uuid.uuid4().hex[:8]}@example.com",
                "password": "pw-123456789",
                "name": "Rate Limited",
            },
        )
        assert user.status_code == 201, user.text
        user_headers = {"Authorization": f"Bearer {user.json()['access_token']}"}
        guest = http.post("/api/v1/auth/guest").json()["access_token"]
        guest_headers = {"Authorization": f"Bearer {guest}"}
        assert http.post("/_probe").status_code == 401
        assert [http.post("/_probe", headers=user_headers).status_code for _ in range(2)] == [
            200,
            200,
        ]
        assert_rate_limited(http.post("/_probe", headers=user_headers))
        assert http.post("/_probe", headers=guest_headers).status_code == 200
