"""One exception hierarchy for the whole API, rendered as RFC 9457 problem details in one place.

Every error knows its HTTP status and its problem `type`; services raise them, the handler in
`boxoffice.app` renders them. Extra keyword arguments become extension members of the problem
(for example `unavailable_seat_ids`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from fastapi.responses import JSONResponse

PROBLEM_BASE = "https://boxoffice.dev/problems/"
PROBLEM_CONTENT_TYPE = "application/problem+json"


class BoxofficeError(Exception):
    status: ClassVar[int] = 400
    type_slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str | None = None, **extensions: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extensions = extensions
        self.headers: dict[str, str] = {}

    @property
    def type(self) -> str:
        return PROBLEM_BASE + self.type_slug

    def to_problem(self) -> dict[str, Any]:
        return {
            **self.extensions,  # never allowed to shadow the standard members below
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }


class BadRequest(BoxofficeError):
    status = 400


class InvalidInput(BoxofficeError):
    status = 422
    type_slug = "invalid-input"
    title = "Invalid input"


class Unauthenticated(BoxofficeError):
    status = 401
    type_slug = "unauthenticated"
    title = "Authentication required"

    def __init__(self, detail: str | None = None, **extensions: Any) -> None:
        super().__init__(detail, **extensions)
        self.headers["WWW-Authenticate"] = "Bearer"


class Forbidden(BoxofficeError):
    status = 403
    type_slug = "forbidden"
    title = "Not allowed"


class NotFound(BoxofficeError):
    status = 404
    type_slug = "not-found"
    title = "Not found"


class Conflict(BoxofficeError):
    status = 409
    type_slug = "conflict"
    title = "Conflict"


class Gone(BoxofficeError):
    status = 410
    type_slug = "gone"
    title = "Gone"


class PayloadTooLarge(BoxofficeError):
    status = 413
    type_slug = "payload-too-large"
    title = "Request body too large"


class UnsupportedMediaType(BoxofficeError):
    status = 415
    type_slug = "unsupported-media-type"
    title = "Unsupported media type"


class RateLimited(BoxofficeError):
    status = 429
    type_slug = "rate-limited"
    title = "Too many requests"

    def __init__(
        self, retry_after_seconds: int, detail: str | None = None, **extensions: Any
    ) -> None:
        super().__init__(detail, retry_after=retry_after_seconds, **extensions)
        self.headers["Retry-After"] = str(retry_after_seconds)


class ServiceUnavailable(BoxofficeError):
    status = 503
    type_slug = "service-unavailable"
    title = "Service temporarily unavailable"

    def __init__(self, detail: str | None = None, **extensions: Any) -> None:
        super().__init__(detail, **extensions)
        self.headers["Retry-After"] = "5"


class DatabaseUnavailable(ServiceUnavailable):
    """The database is unreachable or not the primary (it died, or a failover is under way)."""

    type_slug = "database-unavailable"
    title = "The database is unavailable"

    def __init__(self, detail: str | None = None, **extensions: Any) -> None:
        super().__init__(detail or "The database is unavailable; retry shortly.", **extensions)
        # A failover takes seconds: come back soon.
        self.headers["Retry-After"] = "2"


class BadGateway(BoxofficeError):
    status = 502
    type_slug = "payment-provider-error"
    title = "The payment provider did not answer as expected"


def problem_response(error: BoxofficeError) -> JSONResponse:
    """The one rendering of an error: application/problem+json with its status and headers."""
    return JSONResponse(
        error.to_problem(),
        status_code=error.status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers=error.headers or None,
    )
