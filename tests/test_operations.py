from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from tests.conftest import TEST_JWT_SECRET, TestDatabase, make_settings, running_app
from tests.support.http import loopback_client
from tests.support.private_postgres import private_postgres
from tests.support.servers import bare_env, serve_refusing

from boxoffice.db.migrate import upgrade_to_head


def test_health_reports_the_database(client: httpx.Client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "up", "payments": "sandbox"}


def test_ready_when_migrations_are_current(client: httpx.Client) -> None:
    response = client.get("/ready")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ready"


def test_unknown_route_is_a_problem(client: httpx.Client) -> None:
    response = client.get("/api/v1/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_oversized_body_is_413(client: httpx.Client) -> None:
    response = client.post("/api/v1/auth/login", content=b"x" * (2 * 1024 * 1024))
    assert response.status_code == 413
    assert response.json()["status"] == 413


# --- security review: what /health says, who may read /metrics, bodies without a length -----


def test_health_says_payments_run_on_the_sandbox(client: httpx.Client) -> None:
    assert client.get("/health").json()["payments"] == "sandbox"


def test_metrics_need_the_metrics_token(db: TestDatabase) -> None:
    with running_app(db.url, metrics_token=None) as server, loopback_client() as http:
        assert http.get(f"{server.url}/metrics").status_code == 404  # unset: not served at all
    token = "metrics-" + "x" * 24
    with running_app(db.url, metrics_token=token) as server, loopback_client() as http:
        url = f"{server.url}/metrics"
        assert http.get(url).status_code == 401
        assert http.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 401
        scraped = http.get(url, headers={"Authorization": f"Bearer {token}"})
        assert scraped.status_code == 200
        assert "boxoffice_http_requests_total" in scraped.text
        assert token not in scraped.text


def test_a_chunked_body_over_the_limit_is_413_too(client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b"x" * 64 * 1024  # 2.5 MiB in all, with no Content-Length

    response = client.post(
        "/api/v1/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/problem+json"
    # A small chunked body still reaches the route.
    small = client.post(
        "/api/v1/auth/login",
        content=iter([b'{"email": "nobody@example.com", ', b'"password": "wrong-password"}']),
        headers={"Content-Type": "application/json"},
    )
    assert small.status_code == 401, small.text


@pytest.mark.postgres_only
def test_ready_and_health_while_postgresql_is_stopped() -> None:
    with private_postgres() as postgres:
        asyncio.run(upgrade_to_head(make_settings(postgres.url)))
        with running_app(postgres.url) as server, loopback_client(timeout=15) as http:
            assert http.get(f"{server.url}/ready").status_code == 200
            postgres.stop()
            ready = http.get(f"{server.url}/ready")
            assert ready.status_code == 503
            assert ready.headers["content-type"] == "application/problem+json"
            assert ready.headers["retry-after"]
            assert http.get(f"{server.url}/health").json() == {
                "status": "ok",
                "database": "down",
                "payments": "sandbox",
            }
            postgres.start()
            assert http.get(f"{server.url}/health").json()["database"] == "up"
            assert http.get(f"{server.url}/ready").status_code == 200


def test_a_missing_or_short_jwt_secret_fails_at_start(db: TestDatabase) -> None:
    for secret in (None, "too-short"):
        env = bare_env(db.url, TEST_JWT_SECRET, RAZORPAY_SANDBOX="true")
        env.pop("JWT_SECRET")
        if secret is not None:
            env["JWT_SECRET"] = secret
        refused = serve_refusing(env)
        assert refused.returncode == 2
        assert "JWT_SECRET" in refused.stderr
        assert secret is None or secret not in refused.stderr
