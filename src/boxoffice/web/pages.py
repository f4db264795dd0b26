"""Routes of the web pages: each answers the same shell, whose `app.js` draws the page named by
the path. Assets come from `static/` under /static."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from boxoffice.config import Settings

STATIC = Path(__file__).parent / "static"

SANDBOX_CHECKOUT = "/sandbox/checkout"  # stands in for Razorpay Checkout in the sandbox
API_PATHS = ("/api/", "/_sandbox/")  # machines' paths: their 404 stays problem+json

# Every path the front end draws; app.js maps the same list to page modules.
PAGES = (
    "/",
    "/shows/{show_id}",
    "/shows/{show_id}/queue",
    "/checkout/{booking_id}",
    "/bookings",
    "/bookings/{booking_id}",
    "/ticket",
    "/signin",
    "/account",
    "/forgot-password",
    "/reset-password",
    "/checkin",
    "/counter",
    "/counter/print/{booking_id}",
    "/admin",
    "/admin/sales",
    "/manage",
    "/manage/settings",
    "/manage/screens/new",
    "/manage/screens/{screen_id}",
    "/manage/movies",
    "/manage/schedule",
    "/manage/prices",
    SANDBOX_CHECKOUT,
)

# Razorpay's own Checkout, allowed only when real keys are in use: its script, the frame it opens,
# the calls it makes, and the inline styles it gives its overlay. Nothing of it in the sandbox.
RAZORPAY_SCRIPT = "https://checkout.razorpay.com"
RAZORPAY_FRAMES = "https://api.razorpay.com https://checkout.razorpay.com"
RAZORPAY_CALLS = "https://api.razorpay.com https://lumberjack.razorpay.com"


def content_security_policy(sandbox: bool) -> str:
    """Our own scripts and styles only (no inline script, no eval); with real keys, Razorpay's
    Checkout too. QR codes are drawn in the page, as data: images."""
    directives = [
        "default-src 'self'",
        "script-src 'self'" if sandbox else f"script-src 'self' {RAZORPAY_SCRIPT}",
        "style-src 'self'" if sandbox else "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'" if sandbox else f"connect-src 'self' {RAZORPAY_CALLS}",
        "frame-src 'none'" if sandbox else f"frame-src {RAZORPAY_FRAMES}",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


def mount_web(app: FastAPI, settings: Settings) -> None:
    payments = "sandbox" if settings.razorpay_sandbox else "razorpay"
    shell = (
        (STATIC / "index.html")
        .read_text()
        .replace("{{payments}}", payments)
        .replace("{{max_seats}}", str(settings.max_seats_per_booking))
    )
    headers = {
        "Content-Security-Policy": content_security_policy(settings.razorpay_sandbox),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-cache",
    }

    async def page() -> HTMLResponse:
        return HTMLResponse(shell, headers=headers)

    app.state.web_not_found = HTMLResponse(shell, status_code=404, headers=headers)

    for path in PAGES:
        if path == SANDBOX_CHECKOUT and not settings.razorpay_sandbox:
            continue  # with real keys, Razorpay's own Checkout takes the payment
        app.add_api_route(path, page, methods=["GET", "HEAD"], include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")


def not_found_page(request: Request) -> HTMLResponse | None:
    """The shell, as a 404, for a browser asking for a page that does not exist (app.js then
    draws the app's own not-found page); None for the API and for clients not asking for HTML,
    which keep their problem+json."""
    if request.url.path.startswith(API_PATHS) or "text/html" not in request.headers.get(
        "accept", ""
    ):
        return None
    page: HTMLResponse | None = getattr(request.app.state, "web_not_found", None)
    return page
