"""The web pages as HTTP sees them: one shell per page, our own assets only, and a CSP that lets
our scripts run and no one else's (Razorpay's Checkout only with real keys)."""

from __future__ import annotations

import re

import httpx
import pytest
from tests.conftest import TestDatabase, running_app
from tests.payments.test_sandbox_mode import REAL_KEYS
from tests.support.http import loopback_client

from boxoffice.web.pages import PAGES, SANDBOX_CHECKOUT, STATIC

VENDOR = STATIC / "vendor"
EXAMPLES = {"{show_id}": "00000000-0000-0000-0000-000000000001", "{booking_id}": "x"}


@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_the_shell_with_a_strict_policy(client: httpx.Client, path: str) -> None:
    for name, value in EXAMPLES.items():
        path = path.replace(name, value)
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/static/app.js">' in response.text
    assert 'content="sandbox"' in response.text  # the test server pays into the sandbox
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "unsafe" not in policy and "razorpay" not in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"


def test_with_real_keys_the_pages_admit_razorpay_checkout_and_no_other_script(
    db: TestDatabase,
) -> None:
    with running_app(db.url, **REAL_KEYS) as server, loopback_client(base_url=server.url) as http:
        page = http.get("/")
        assert 'content="razorpay"' in page.text  # app.js then loads Checkout's own script
        policy = page.headers["content-security-policy"]
        assert "script-src 'self' https://checkout.razorpay.com;" in policy
        assert "frame-src https://api.razorpay.com https://checkout.razorpay.com" in policy
        assert "unsafe-eval" not in policy
        assert http.get(SANDBOX_CHECKOUT).status_code == 404  # no stand-in with real keys


def test_every_asset_is_served_by_the_app_and_none_comes_from_elsewhere(
    client: httpx.Client,
) -> None:
    assets = [p for p in STATIC.rglob("*") if p.is_file()]
    for asset in assets:
        response = client.get(f"/static/{asset.relative_to(STATIC).as_posix()}")
        assert response.status_code == 200, asset
        if asset.suffix == ".js":
            assert response.headers["content-type"].startswith("text/javascript")
    ours = [asset for asset in assets if VENDOR not in asset.parents]
    foreign = {
        (asset.name, url)
        for asset in ours
        for url in re.findall(r"https?://[^\s\"'`)]+", asset.read_text())
        if not url.startswith(("https://checkout.razorpay.com/", "http://www.w3.org/"))
    }
    assert foreign == set()
    script_url = re.compile(r"https://checkout\.razorpay\.com")
    assert [a.name for a in assets if script_url.search(a.read_text())] == ["payment.js"]


def test_every_vendored_library_is_listed_with_its_licence() -> None:
    """Libraries from the npm registry, committed as shipped (their comments name their authors'
    sites; the policy lets the pages load nothing from anywhere but here)."""
    listing = (VENDOR / "README.md").read_text()
    for library in VENDOR.glob("*.js"):
        assert f"`{library.name}`" in listing, library
        licence = library.with_suffix(".LICENSE")
        assert licence.is_file() and f"`{licence.name}`" in listing, licence


def test_an_unknown_page_is_the_apps_not_found_page_for_browsers_and_a_problem_for_the_rest(
    client: httpx.Client,
) -> None:
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    page = client.get("/no-such-page", headers=browser)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/static/app.js">' in page.text  # it draws "not found"
    assert "script-src 'self';" in page.headers["content-security-policy"]
    for path, headers in [("/no-such-page", {}), ("/api/v1/no-such-thing", browser)]:
        response = client.get(path, headers=headers)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
