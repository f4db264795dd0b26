"""The Razorpay keys of the session's live test server, for tests that play Razorpay's side
(signing webhooks, calling the sandbox's REST API). In sandbox mode they are random per
database, as on any server, so they are read from the running app, never written down."""

from __future__ import annotations

from collections.abc import Generator

import httpx

from boxoffice.config import RazorpayCredentials

SANDBOX_HOOKS = "/_sandbox/razorpay/"

_keys: list[RazorpayCredentials] = []


def remember(keys: RazorpayCredentials) -> None:
    _keys[:] = [keys]


def sandbox_keys() -> RazorpayCredentials:
    assert _keys, "the live_server fixture has not started"
    return _keys[0]


class SandboxHooksAuth(httpx.Auth):
    """The sandbox's key id and secret on its test hooks (`/config`, `/events`, refunds'
    `/process`...), as the sandbox asks: the one place the tests' client authenticates them.
    Its REST API (`/v1/`) is left to each test, which shows its own keys or none on purpose;
    a request carrying its own Authorization keeps it."""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        path = request.url.path
        is_hook = path.startswith(SANDBOX_HOOKS) and not path.startswith(SANDBOX_HOOKS + "v1/")
        if is_hook and "authorization" not in request.headers:
            keys = sandbox_keys()
            yield from httpx.BasicAuth(keys.key_id, keys.key_secret).auth_flow(request)
        else:
            yield request
