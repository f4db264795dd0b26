"""What the sandbox accepts in a request body, checked as Razorpay checks it (its messages)."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import Request

from boxoffice.sandbox.entities import RazorpayAPIError
from boxoffice.sandbox.store import Config

CURRENCIES = {"INR", "USD", "EUR", "GBP", "SGD", "AED", "MYR"}
MIN_AMOUNT = 100  # Razorpay: at least one rupee
MAX_AMOUNT = 2**31 - 1
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{10,100}$")
MAX_MATCHING = 200  # characters of a gate's or an injected failure's `matching`


async def body_of(request: Request, allowed: set[str]) -> dict[str, Any]:
    """The JSON object of the body (none: empty), with no member but the `allowed` ones."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise RazorpayAPIError(400, "The request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise RazorpayAPIError(400, "The request body must be a JSON object")
    extra = sorted(set(body) - allowed)
    if extra:
        raise RazorpayAPIError(
            400, f"{', '.join(extra)} is/are not required and should not be sent", field=extra[0]
        )
    return body


def amount(value: Any, field: str = "amount") -> int:
    if value is None:
        raise RazorpayAPIError(400, f"The {field} field is required.", field=field)
    if isinstance(value, bool) or not isinstance(value, int):
        raise RazorpayAPIError(400, f"The {field} must be an integer.", field=field)
    if value < MIN_AMOUNT:
        raise RazorpayAPIError(400, f"The {field} must be atleast INR 1.00", field=field)
    if value > MAX_AMOUNT:
        raise RazorpayAPIError(400, f"The {field} exceeds the maximum amount allowed.", field=field)
    return value


def currency(value: Any) -> str:
    if not value:
        raise RazorpayAPIError(400, "The currency field is required.", field="currency")
    if value not in CURRENCIES:
        raise RazorpayAPIError(400, "Currency is not supported", field="currency")
    return str(value)


def notes(value: Any) -> dict[str, str]:
    if value is None or value == []:
        return {}
    if not isinstance(value, dict):
        raise RazorpayAPIError(400, "The notes must be an object", field="notes")
    if len(value) > 15:
        raise RazorpayAPIError(400, "Number of notes should not exceed 15", field="notes")
    checked: dict[str, str] = {}
    for key, item in value.items():
        if isinstance(item, dict | list) or len(str(key)) > 256 or len(str(item)) > 256:
            raise RazorpayAPIError(400, f"The notes.{key} is not valid", field="notes")
        checked[str(key)] = "" if item is None else str(item)
    return checked


def receipt(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise RazorpayAPIError(400, "The receipt must be a string.", field="receipt")
    if len(value) > 40:
        raise RazorpayAPIError(
            400, "The receipt may not be greater than 40 characters.", field="receipt"
        )
    return value


def idempotency_key(request: Request) -> str | None:
    """Razorpay's `X-Refund-Idempotency` header, if sent."""
    key = request.headers.get("x-refund-idempotency")
    if key is not None and not _IDEMPOTENCY_KEY.match(key):
        raise RazorpayAPIError(400, "The idempotency key is invalid.")
    return key


def optional_flag(body: dict[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise RazorpayAPIError(400, f"{name} must be a boolean", field=name)
    return value


def config_changes(body: dict[str, Any]) -> dict[str, Any]:
    """The knobs a PATCH /config changes, each of its type and in its range."""
    defaults = Config().as_dict()
    changes = dict(body)
    for name, value in body.items():
        expected = type(defaults[name])
        if expected is float and type(value) is int:
            changes[name] = value = float(value)
        if type(value) is not expected:
            raise RazorpayAPIError(400, f"{name} has the wrong type", field=name)
    if len(changes.get("fail_matching", "")) > MAX_MATCHING:
        raise RazorpayAPIError(400, f"fail_matching is at most {MAX_MATCHING} characters")
    if changes.get("refund_status", "processed") not in ("processed", "pending"):
        raise RazorpayAPIError(400, 'refund_status is "processed" or "pending"')
    if changes.get("fail_next_requests", 0) < 0:
        raise RazorpayAPIError(400, "fail_next_requests must be >= 0")
    return changes


def matching(body: dict[str, Any]) -> str:
    """A gate's `matching`: the text a REST call's path, query or body must contain."""
    value = body.get("matching")
    if not isinstance(value, str) or not 0 < len(value) <= MAX_MATCHING:
        raise RazorpayAPIError(
            400, f"matching is a text of 1 to {MAX_MATCHING} characters", field="matching"
        )
    return value
