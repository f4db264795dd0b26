"""Routes of the web pages: each answers the same shell, whose `app.js` draws the page named by
the path. Assets come from `static/` under /static."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from boxoffice.config import Settings

STATIC = Path(__file__).parent / "static"

# Every path the front end draws; app.js maps the same list to page modules.
PAGES = (
    "/",
    "/shows/{show_id}",
    "/checkout/{booking_id}",
    "/bookings",
    "/bookings/{booking_id}",
    "/signin",
    "/checkin",
    "/admin",
    "/admin/sales",
    "/sandbox/checkout",
)

# Razorpay's own Checkout script and its payment frame, allowed only when real keys are in use.
RAZORPAY_SCRIPT = "https://checkout.razorpay.com"
RAZORPAY_FRAMES = "https://api.razorpay.com https://checkout.razorpay.com"


def content_security_policy(sandbox: bool) -> str:
    """Our own scripts and styles only (no inline script, no eval); with real keys, Razorpay's
    Checkout too. QR codes are fetched with the bearer token and shown as blob: images."""
    script = "'self'" if sandbox else f"'self' {RAZORPAY_SCRIPT}"
    directives = [
        "default-src 'self'",
        f"script-src {script}",
        "style-src 'self'",
        "img-src 'self' blob: data:",
        "connect-src 'self'",
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

    for path in PAGES:
        app.add_api_route(path, page, methods=["GET", "HEAD"], include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
