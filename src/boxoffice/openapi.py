"""The OpenAPI document's error answers: every one as application/problem+json (RFC 9457),
with the errors any route of a kind can give added in one place (`app.create_app` calls it)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from boxoffice.errors import PROBLEM_CONTENT_TYPE


def document_problems(app: FastAPI, api_prefix: str) -> None:
    """Every error answer in the OpenAPI document as what it is: application/problem+json.

    Routes document their own domain errors (409s and the like); the errors that any route of a
    kind can give are added here, in one place: bad or oversized bodies, missing credentials or
    role, unknown ids, rate limits, and the database being unavailable.
    """

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas["Problem"] = PROBLEM_SCHEMA
        for path, operations in schema.get("paths", {}).items():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, reason in _common_problems(api_prefix, path, operation).items():
                    responses.setdefault(str(status), {"description": reason})
                for status, response in responses.items():
                    if status.isdigit() and int(status) >= 400:
                        response["content"] = {
                            PROBLEM_CONTENT_TYPE: {
                                "schema": {"$ref": "#/components/schemas/Problem"}
                            }
                        }
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; some problems add members of their own.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
    },
    "additionalProperties": True,
}


def _common_problems(api_prefix: str, path: str, operation: dict[str, Any]) -> dict[int, str]:
    problems = {503: "The database is unavailable; retry later"}
    if "requestBody" in operation:
        problems |= {
            400: "The body is not valid JSON",
            413: "The body is too large",
            422: "The body is not valid",
        }
    if operation.get("parameters"):
        problems[422] = "A parameter is not valid"
    if "{" in path or "requestBody" in operation:
        problems[404] = "Not found (an id in the path or the body)"
    if operation.get("security"):
        problems |= {401: "No, bad or expired token", 403: "Not allowed for your role"}
    if path.startswith(api_prefix + "/auth/") or path == api_prefix + "/bookings":
        problems[429] = "Too many requests; see Retry-After"
    return problems
