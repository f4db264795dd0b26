"""Route classes of the sandbox: Razorpay's error shape, its basic auth and the injected failures.

Everything but Checkout's stand-in (what a customer's browser does) asks for the sandbox's key
id and secret: its REST API as Razorpay's does, and its test hooks too, which can break every
payment (`/config`) or show every webhook's signature (`/events`).

Errors are answered in Razorpay's `{"error": {"code", "description", ...}}` shape (not as the
application's problems), so the SDK reads them as it reads Razorpay's.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from boxoffice.config import RazorpayCredentials
from boxoffice.sandbox.entities import RazorpayAPIError, server_error
from boxoffice.sandbox.store import get_store

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class SandboxRoute(APIRoute):
    """Renders `RazorpayAPIError` and invalid input in Razorpay's error shape (not as problems)."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            try:
                return await self.guarded(request, handler)
            except RazorpayAPIError as error:
                return error.response()
            except RequestValidationError as error:
                first = error.errors()[0] if error.errors() else {}
                field = ".".join(str(part) for part in first.get("loc", ())[1:]) or None
                return RazorpayAPIError(
                    400, f"{field or 'request'}: {first.get('msg', 'invalid')}", field=field
                ).response()

        return route_handler

    async def guarded(self, request: Request, handler: Handler) -> Response:
        return await handler(request)


class SandboxHookRoute(SandboxRoute):
    """The test hooks: the sandbox's key id and secret (basic auth), no injected failures."""

    async def guarded(self, request: Request, handler: Handler) -> Response:
        _authenticate(request, await get_store(request).credentials())
        return await handler(request)


class RazorpayApiRoute(SandboxRoute):
    """The REST API: basic auth first, then the gates and failures a test set for the call."""

    async def guarded(self, request: Request, handler: Handler) -> Response:
        store = get_store(request)
        _authenticate(request, await store.credentials())
        body = (await request.body()).decode("utf-8", "replace")
        call = f"{request.url.path}?{request.url.query} {body}"  # what gates and failures match
        await store.wait_at_gates(call)
        after_applying = await store.take_injected_failure(call)
        if after_applying is False:
            raise server_error()
        response = await handler(request)
        if after_applying and 200 <= response.status_code < 300:
            lost = server_error().response()
            lost.background = response.background  # webhooks still go out, as they would
            return lost
        return response


def _authenticate(request: Request, credentials: RazorpayCredentials) -> None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise RazorpayAPIError(401, "Please provide your api key for authentication purposes.")
    try:
        key_id, _, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        key_id, secret = "", ""
    valid_id = hmac.compare_digest(key_id.encode(), credentials.key_id.encode())
    valid_secret = hmac.compare_digest(secret.encode(), credentials.key_secret.encode())
    if not (valid_id and valid_secret):
        raise RazorpayAPIError(401, "The api key provided is invalid")
