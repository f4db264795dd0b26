"""The shop's account pages (SPEC "Accounts", issue 22): "Sign out" ends the session on the
server, the account page changes the password and signs out everywhere, and a forgotten
password is reset through the emailed link."""

from __future__ import annotations

import re
import threading

import httpx
import pytest
from playwright.sync_api import Page, expect
from tests.accounts.test_password_reset import NEW_PASSWORD, reset_emails, token_in
from tests.accounts.test_sessions import PASSWORD, new_account, refresh, sign_in
from tests.api import problem
from tests.conftest import LiveServer, TestDatabase
from tests.web.conftest import NewPage

pytestmark = pytest.mark.browser


def signed_in_page(new_page: NewPage, live_server: LiveServer, address: str) -> Page:
    page = new_page(live_server.url)
    page.goto("/signin?next=/account")
    page.get_by_label("Email", exact=True).fill(address)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    return page


def stored_tokens(page: Page) -> dict[str, str]:
    return {"refresh_token": page.evaluate("localStorage.getItem('boxoffice.refresh')")}


def test_sign_out_ends_the_session_on_the_server(
    new_page: NewPage, live_server: LiveServer, client: httpx.Client
) -> None:
    address = new_account(client)
    page = signed_in_page(new_page, live_server, address)
    tokens = stored_tokens(page)
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    assert page.evaluate("localStorage.getItem('boxoffice.refresh')") is None
    problem(refresh(client, tokens), 401)


def test_changing_the_password_signs_out_the_other_devices(
    new_page: NewPage, live_server: LiveServer, client: httpx.Client
) -> None:
    address = new_account(client)
    elsewhere = sign_in(client, address)
    page = signed_in_page(new_page, live_server, address)

    page.get_by_label("Current password").fill("not-it-at-all")
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("alert")).to_contain_text("The current password is wrong")

    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status")).to_contain_text("Every other device")
    problem(refresh(client, elsewhere), 401)
    assert refresh(client, stored_tokens(page)).status_code == 200  # this device goes on
    sign_in(client, address, NEW_PASSWORD)

    page.get_by_role("button", name="Sign out everywhere").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()


def _reset_email(db: TestDatabase, live_server: LiveServer, address: str) -> str:
    """The reset email the worker sends, from a thread of its own: its pass runs an event loop
    (asyncio.run), and Playwright's sync API keeps one running in this thread."""
    sent: list[str] = []
    worker = threading.Thread(target=lambda: sent.extend(reset_emails(db, live_server, address)))
    worker.start()
    worker.join(timeout=120)
    assert len(sent) == 1, sent
    return sent[0]


def test_a_forgotten_password_is_reset_through_the_emailed_link(
    new_page: NewPage, live_server: LiveServer, client: httpx.Client, db: TestDatabase
) -> None:
    address = new_account(client)
    elsewhere = sign_in(client, address)
    page = new_page(live_server.url)
    page.goto("/signin")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(address)
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("status")).to_contain_text("If an account uses this address")

    link = (
        f"{live_server.url}/reset-password#token={token_in(_reset_email(db, live_server, address))}"
    )
    page.goto(link)
    page.get_by_label("New password").fill(NEW_PASSWORD)
    assert "token" not in page.url  # out of the address bar (and its history) at once
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_role("status")).to_contain_text("signed out everywhere")
    problem(refresh(client, elsewhere), 401)

    page.get_by_role("link", name="Sign in with your new password").click()
    page.get_by_label("Email", exact=True).fill(address)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    page.goto(link)  # the link works once
    page.get_by_label("New password").fill("yet-another-secret")
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_role("alert")).to_contain_text(re.compile("not valid"))
    expect(page.get_by_role("link", name="Ask for a new link")).to_be_visible()
