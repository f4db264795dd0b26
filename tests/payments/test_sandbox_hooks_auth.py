"""The sandbox's test hooks want its key id and secret (issue 22, item 8): with the sandbox on,
nobody else may break every payment through `/config` or read every webhook's signature from
`/events`. Checkout's stand-in stays open: the customer's browser calls it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import APIRouter
from tests.support.keys import sandbox_keys

from boxoffice.sandbox.api import checkout_stand_in, hooks

SANDBOX = "/_sandbox/razorpay"


@pytest.fixture(autouse=True)
def _sandbox_defaults(client: httpx.Client) -> Iterator[None]:
    yield
    client.delete(f"{SANDBOX}/config")


def routes(of: APIRouter) -> set[tuple[str, str]]:
    return {
        (method, str(route.path)) for route in of.routes for method in getattr(route, "methods", ())
    }


def test_every_hook_is_refused_without_the_keys_or_with_wrong_ones(client: httpx.Client) -> None:
    assert routes(checkout_stand_in) == {("POST", "/checkout/{order_id}")}  # open: nothing else
    assert {path for _, path in routes(hooks)} >= {
        "/config",
        "/events",
        "/events/{event_id}/deliver",
        "/refunds/{refund_id}/process",
        "/refunds/{refund_id}/fail",
    }
    keys = sandbox_keys()
    wrong = (
        httpx.BasicAuth(keys.key_id, keys.key_secret + "x"),
        httpx.BasicAuth("rzp_test_someoneelse", keys.key_secret),
    )
    for method, path in sorted(routes(hooks)):
        url = SANDBOX + path.replace("{", "x_").replace("}", "")
        body = {"fail_next_requests": 5} if method == "PATCH" else {}
        for auth in (None, *wrong):
            response = client.request(method, url, json=body, auth=auth)
            assert response.status_code == 401, (method, path, auth, response.text)
            assert response.json()["error"]["code"] == "BAD_REQUEST_ERROR"
    # Nothing was changed by those attempts.
    assert client.get(f"{SANDBOX}/config").json()["fail_next_requests"] == 0


def test_with_the_keys_the_hooks_work_and_checkout_needs_none(client: httpx.Client) -> None:
    keys = httpx.BasicAuth(sandbox_keys().key_id, sandbox_keys().key_secret)
    changed = client.patch(f"{SANDBOX}/config", json={"refund_status": "pending"}, auth=keys)
    assert changed.status_code == 200 and changed.json()["refund_status"] == "pending"
    assert client.get(f"{SANDBOX}/config", auth=keys).json()["refund_status"] == "pending"
    assert client.delete(f"{SANDBOX}/config", auth=keys).json()["refund_status"] == "processed"
    assert client.get(f"{SANDBOX}/events", auth=keys).status_code == 200
    unknown = client.post(f"{SANDBOX}/refunds/rfnd_NoSuchRefund00/process", json={}, auth=keys)
    assert unknown.status_code in (400, 404), unknown.text
    # The stand-in for Checkout answers the browser without keys (here: no such order).
    stand_in = client.post(f"{SANDBOX}/checkout/order_NoSuchOrder000", json={}, auth=None)
    assert stand_in.status_code != 401, stand_in.text
