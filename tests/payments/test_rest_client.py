"""The purchase's provider calls (order create, payment fetch, capture) go through a shared async
client (`payments.razorpay_rest`) instead of the SDK: they must be the SDK's own requests. Both
are recorded as they reach a sandbox served on its own port, and compared: method, path, query,
body, and the headers Razorpay reads (auth, content type, user agent). Connection-level
headers (`Accept-Encoding`, `Connection`) belong to each HTTP library and are not compared."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from tests.conftest import LiveServer, listening_socket, make_settings, serving
from tests.support.http import async_loopback_client
from tests.support.keys import sandbox_keys

from boxoffice.config import SANDBOX_PATH
from boxoffice.payments.provider import ProviderRejected
from boxoffice.payments.razorpay_sdk import RazorpayProvider
from boxoffice.sandbox import create_sandbox_app

COMPARED_HEADERS = ("authorization", "content-type", "user-agent")


@pytest.fixture
def recorded_sandbox(live_server: LiveServer) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """The sandbox alone on a port of its own (the live server's database and keys), and the
    REST API requests it received, as received."""
    app = create_sandbox_app(make_settings(live_server.settings.database_url))
    seen: list[dict[str, Any]] = []

    async def recorder(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        messages, body = [], b""
        while True:
            message = await receive()
            messages.append(message)
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if "/v1/" in scope["path"]:
            headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
            seen.append(
                {
                    "method": scope["method"],
                    "path": scope["path"],
                    "query": scope["query_string"],
                    "body": body,
                    # The SDK's user agent ends in a space (h11 sends none: a field value's
                    # surrounding whitespace is not part of it, RFC 9110 5.5).
                    **{name: (headers.get(name) or "").rstrip() for name in COMPARED_HEADERS},
                }
            )

        async def replay() -> Any:
            return messages.pop(0) if messages else await receive()

        await app(scope, replay, send)

    with listening_socket() as sock:
        with serving(recorder, sock):
            yield f"http://127.0.0.1:{sock.getsockname()[1]}{SANDBOX_PATH}", seen


def test_the_hot_path_sends_what_the_sdk_sends(
    recorded_sandbox: tuple[str, list[dict[str, Any]]],
) -> None:
    base, seen = recorded_sandbox
    keys = sandbox_keys()
    sdk = RazorpayProvider(keys, base, 10.0, rest=False)
    rest = RazorpayProvider(keys, base, 10.0)
    notes = {"booking_id": "b-1"}

    async def both(call: Any) -> list[Any]:
        answers = []
        for provider in (sdk, rest):
            try:
                answers.append(await call(provider))
            except ProviderRejected as refused:
                answers.append(type(refused))
        return answers

    async def purchase() -> list[list[Any]]:
        orders = await both(lambda p: p.create_order(45_000, "INR", "receipt-0001", notes))
        async with async_loopback_client() as browser:
            paid = await browser.post(
                f"{base}/checkout/{orders[0].id}",
                json={"outcome": "success", "deliver_webhooks": False},
            )
        payment_id = paid.json()["razorpay_payment_id"]
        fetched = await both(lambda p: p.fetch_payment(payment_id))
        # Captured already (the sandbox captures at Checkout): both are answered alike.
        captured = await both(lambda p: p.capture_payment(payment_id, 45_000, "INR"))
        return [orders, fetched, captured]

    orders, fetched, captured = asyncio.run(purchase())

    assert len(seen) == 6, seen
    for by_sdk, by_rest in zip(seen[0::2], seen[1::2], strict=True):
        assert by_rest == by_sdk
    assert [request["method"] for request in seen[0::2]] == ["POST", "GET", "POST"]
    assert seen[4]["path"].endswith("/capture")
    # The answers read the same way too.
    assert (orders[1].amount, orders[1].currency, orders[1].notes) == (45_000, "INR", notes)
    assert fetched[0] == fetched[1]
    assert captured[0] == captured[1]
