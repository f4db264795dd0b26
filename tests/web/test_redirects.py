"""The shop sends a visitor back only to its own pages (issue 22, item 5): sign-in's `next` and
the sandbox payment's `return_to` are resolved the way the browser resolves them, and anything
that lands on another origin goes home instead. Before, `/signin?next=/%5Cevil.example/phish`
(the browser reads `\\` as `/`) and `/<TAB>/evil` (it drops the tab) passed a prefix check, and
the sandbox handed the payment triple to whatever `return_to` named."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote, urlsplit

import httpx
import pytest
from playwright.sync_api import Page, Route, expect
from tests.api import Headers, register
from tests.conftest import LiveServer
from tests.payments.checkout import start_payment
from tests.tickets.helpers import hold
from tests.web.conftest import NewPage

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-9"
ELSEWHERE = [
    "/\\evil.example/phish",
    "/\t/evil.example/phish",
    "/\n/evil.example",
    "\\\\evil.example",
    "//evil.example/phish",
    "https://evil.example/phish",
    "javascript:alert(1)",
]


@pytest.fixture
def visitor(new_page: NewPage, live_server: LiveServer) -> Iterator[tuple[Page, list[str]]]:
    """A page that may load only this server: any other request is recorded and answered by us,
    so that a redirect elsewhere shows up as a recorded request, never as a network error."""
    page = new_page(live_server.url)
    own = urlsplit(live_server.url).netloc
    elsewhere: list[str] = []

    def only_ours(route: Route) -> None:
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.fulfill(status=200, content_type="text/html", body="<h1>phished</h1>")

    page.context.route("**/*", only_ours)
    yield page, elsewhere


def sign_in(page: Page, email: str) -> None:
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


@pytest.mark.parametrize("target", ELSEWHERE, ids=range(len(ELSEWHERE)))
def test_sign_in_never_sends_the_visitor_to_another_origin(
    visitor: tuple[Page, list[str]], live_server: LiveServer, client: httpx.Client, target: str
) -> None:
    page, elsewhere = visitor
    email = f"next-{abs(hash(target))}@example.com"
    register(client, email=email, password=PASSWORD)
    page.goto(f"/signin?next={quote(target, safe='')}")
    sign_in(page, email)
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert elsewhere == []


def test_sign_in_still_returns_to_the_page_it_came_from(
    visitor: tuple[Page, list[str]], live_server: LiveServer, client: httpx.Client
) -> None:
    page, elsewhere = visitor
    register(client, email="back@example.com", password=PASSWORD)
    page.goto("/signin?next=%2Fbookings%3Fsort%3Dnew")
    sign_in(page, "back@example.com")
    page.wait_for_url(f"{live_server.url}/bookings?sort=new")
    assert elsewhere == []


def _order(client: httpx.Client, customer: Headers, show_id: str) -> str:
    booking = hold(client, customer, show_id, 1)
    order = start_payment(client, customer, booking["id"])
    assert order.status_code == 201, order.text
    return str(order.json()["order_id"])


@pytest.mark.parametrize("target", ELSEWHERE[:3], ids=range(3))
def test_the_sandbox_payment_hands_its_answer_only_to_this_shop(
    visitor: tuple[Page, list[str]],
    live_server: LiveServer,
    client: httpx.Client,
    show: dict[str, object],
    target: str,
) -> None:
    page, elsewhere = visitor
    order_id = _order(client, register(client), str(show["id"]))
    return_to = quote(target, safe="")
    page.goto(f"/sandbox/checkout?order_id={order_id}&amount=100&return_to={return_to}")
    page.get_by_role("button", name="Pay ₹1.00").click()
    page.wait_for_url(f"{live_server.url}/?**")
    assert "razorpay_payment_id=" in page.url
    assert elsewhere == []
