import httpx


def test_health_reports_the_database(client: httpx.Client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "up"}


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


def test_metrics_are_prometheus_text(client: httpx.Client) -> None:
    client.get("/health")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert "boxoffice_http_requests_total" in response.text
