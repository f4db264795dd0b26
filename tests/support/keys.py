"""The Razorpay keys of the session's live test server, for tests that play Razorpay's side
(signing webhooks, calling the sandbox's REST API). In sandbox mode they are random per
database, as on any server, so they are read from the running app, never written down."""

from __future__ import annotations

from boxoffice.config import RazorpayCredentials

_keys: list[RazorpayCredentials] = []


def remember(keys: RazorpayCredentials) -> None:
    _keys[:] = [keys]


def sandbox_keys() -> RazorpayCredentials:
    assert _keys, "the live_server fixture has not started"
    return _keys[0]
