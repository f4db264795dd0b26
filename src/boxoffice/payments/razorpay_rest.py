"""Razorpay's REST API for the purchase's hot path (order create, payment fetch, capture), over
one shared async HTTP client with keep-alive instead of the SDK's `requests` in a thread.

It sends what the official SDK sends for those calls, byte for byte where it matters (method,
path, JSON body as `json.dumps` writes it, basic auth, `Content-type`, the SDK's `User-Agent`;
tests/payments/test_rest_client.py records both against the sandbox and compares them), trusts
the same CA bundle, and reads the answer as the SDK does: a 2xx's JSON, else Razorpay's
`{"error": {"code", "description"}}` raised as the SDK's own errors (`BAD_REQUEST_ERROR` →
`BadRequestError`, `GATEWAY_ERROR` → `GatewayError`, anything else → `ServerError`), so
`razorpay_sdk.RazorpayProvider` maps and retries them as it does the SDK's.

An asyncio loop owns the connections its client opens: one client per running loop (a server
has one; a test may run several), made on first use.
"""

from __future__ import annotations

import asyncio
import base64
import json
import ssl
import weakref
from typing import Any

import httpx
from razorpay.errors import BadRequestError, GatewayError, ServerError

# An idle connection is let go after 4 s: a server that closes its idle ones at 5 s (uvicorn's
# default, so the sandbox's) could otherwise close one under the next request, which then fails
# (a ReadError: one order in ~400 answered 502 in the purchase storm). Razorpay keeps them longer.
KEEP_ALIVE = httpx.Limits(max_connections=64, max_keepalive_connections=32, keepalive_expiry=4.0)


class RazorpayRest:
    def __init__(
        self,
        auth: tuple[str, str],
        base_url: str,
        timeout_seconds: float,
        user_agent: str,
        ca_bundle: str,
    ) -> None:
        token = base64.b64encode(":".join(auth).encode()).decode()
        self._base_url = base_url
        self._headers = {"User-Agent": user_agent, "Authorization": f"Basic {token}"}
        self._ca_bundle = ca_bundle
        self._tls: ssl.SSLContext | None = None
        self._timeout = httpx.Timeout(timeout_seconds)
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
            weakref.WeakKeyDictionary()
        )

    def _client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            if self._tls is None:  # built once, as the SDK verifies: with its own CA bundle
                self._tls = ssl.create_default_context(cafile=self._ca_bundle)
            client = httpx.AsyncClient(
                base_url=self._base_url,
                headers=self._headers,
                timeout=self._timeout,
                limits=KEEP_ALIVE,
                verify=self._tls,
                trust_env=False,
            )
            self._clients[loop] = client
        return client

    async def get(self, path: str) -> Any:
        return _answer(await self._client().get(path))

    async def post(self, path: str, data: dict[str, Any]) -> Any:
        response = await self._client().post(
            path, content=json.dumps(data), headers={"Content-type": "application/json"}
        )
        return _answer(response)


def _answer(response: httpx.Response) -> Any:
    """What the SDK's `Client.request` returns or raises for this answer."""
    if 200 <= response.status_code < 300:
        return json.dumps({}) if response.status_code == 204 else response.json()
    body = response.json()  # not JSON: ValueError, as the SDK's
    error = body.get("error") if isinstance(body, dict) else None
    message = code = ""
    if isinstance(error, dict):
        message = str(error.get("description", ""))
        code = str(error.get("code", ""))
    if code.upper() == "BAD_REQUEST_ERROR":
        raise BadRequestError(message)
    if code.upper() == "GATEWAY_ERROR":
        raise GatewayError(message)
    raise ServerError(message)
