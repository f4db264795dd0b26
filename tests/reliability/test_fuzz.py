"""Property-based fuzzing of every operation in our own OpenAPI document (schemathesis).

Requests are generated from the app's OpenAPI document (the one `/openapi.json` serves, checked
below) and sent to the live test server as an admin, the widest access, with real ids swapped
into every other case so fuzzed bodies reach past the 404s. Every response must:
- never be a 5xx;
- when 2xx, have the documented content type and match the documented schema;
- when 4xx, be an RFC 9457 problem (application/problem+json, its `status`, `type`, `title`).

Bounded and reproducible: schemathesis' coverage phase sends ~90 deterministic boundary cases
an operation, then FUZZ_MAX_EXAMPLES (default 10) generated ones (positive and negative),
derandomized: about a minute a database in `make test`. `make fuzz` runs 300 an operation.

Error answers are held to the document too: every status answered must be listed for its
operation (status_code_conformance), as application/problem+json. FUZZ_STRICT=0 relaxes that
to "no 5xx and well-formed problems", for exploring a change that has not documented its errors
yet.
"""

from __future__ import annotations

import os
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests.api import make_admin, ready_show, seat_ids
from tests.conftest import LiveServer, make_settings

from boxoffice.app import create_app

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "10"))
STRICT = os.environ.get("FUZZ_STRICT", "1") == "1"
STREAM_READ_SECONDS = 2  # the snapshot event arrives at once; then the stream only waits


def success_content_type(ctx: Any, response: Any, case: Any) -> bool | None:
    """The documented content type, for the 2xx answers clients are built against."""
    if response.status_code < 400:
        return content_type_conformance(ctx, response, case)
    return None


def success_schema(ctx: Any, response: Any, case: Any) -> bool | None:
    """The documented body schema, for the 2xx answers."""
    if response.status_code < 400:
        return response_schema_conformance(ctx, response, case)
    return None


def errors_are_problems(ctx: Any, response: Any, case: Any) -> bool | None:
    """SPEC "API conventions": every error is RFC 9457 problem+json with its own status."""
    if response.status_code < 400:
        return None
    content_type = response.headers.get("content-type", [""])
    content_type = content_type[0] if isinstance(content_type, list) else content_type
    assert content_type.startswith("application/problem+json"), (
        f"{response.status_code} answered as {content_type!r}, not application/problem+json"
    )
    body = response.json()
    assert isinstance(body, dict), body
    assert body.get("status") == response.status_code, body
    assert body.get("type") and body.get("title"), body
    return None


CHECKS: list[Any] = [not_a_server_error, success_content_type, success_schema, errors_are_problems]
if STRICT:
    # Every status answered must be documented, with its documented content type and schema.
    CHECKS += [status_code_conformance, content_type_conformance, response_schema_conformance]


def _document() -> dict[str, Any]:
    """The OpenAPI document of the app as the live server builds it (same code, same settings
    shape); `test_the_served_document_is_the_one_fuzzed` checks the served one is identical."""
    app = create_app(make_settings("sqlite:///unused-by-openapi.db"))
    return app.openapi()


DOCUMENT = _document()
schema = schemathesis.openapi.from_dict(DOCUMENT)


@pytest.fixture
def world(client: httpx.Client, db: Any) -> dict[str, Any]:
    """An admin, and real objects whose ids replace the generated ones in every other case."""
    admin = make_admin(client, db)
    show = ready_show(client, admin)
    seats = seat_ids(client, show["id"])
    held = client.post(
        "/api/v1/bookings", json={"show_id": show["id"], "seat_ids": seats[:2]}, headers=admin
    )
    assert held.status_code == 201, held.text
    ids = {
        "show_id": show["id"],
        "movie_id": show["movie_id"],
        "screen_id": show["screen_id"],
        "booking_id": held.json()["id"],
    }
    screen = client.get(f"/api/v1/screens/{show['screen_id']}").json()
    ids["theatre_id"] = screen["theatre_id"]
    return {"admin": admin, "ids": ids, "calls": 0}


def test_the_served_document_is_the_one_fuzzed(client: httpx.Client) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.json() == DOCUMENT


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_fuzz(case: Any, live_server: LiveServer, world: dict[str, Any]) -> None:
    world["calls"] += 1
    if case.path_parameters and world["calls"] % 2 == 0:
        for name in case.path_parameters:
            if name in world["ids"]:
                case.path_parameters[name] = world["ids"][name]
    # A live stream never ends: schemathesis validates what it read when the timeout passes,
    # which for a 30 s timeout made the stream's few cases most of the suite's time.
    timeout = STREAM_READ_SECONDS if case.path.endswith("/stream") else 30
    case.call_and_validate(
        base_url=live_server.url, headers=world["admin"], checks=CHECKS, timeout=timeout
    )
