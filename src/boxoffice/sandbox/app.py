"""`boxoffice sandbox --port`: the sandbox alone, for a front end or another server to use."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from boxoffice.config import SANDBOX_PATH, Settings
from boxoffice.logs import configure_logging


def create_sandbox_app(settings: Settings | None = None) -> FastAPI:
    """Served at both `/_sandbox/razorpay/...` and `/...`, so `RAZORPAY_BASE_URL` may be
    `http://host:port/_sandbox/razorpay` (the same paths as on the API server) or
    `http://host:port`. It shares state with every server on the same database; it checks the
    same key id and secrets (the configured keys, or the database's own sandbox keys), and
    sends webhooks to
    `RAZORPAY_SANDBOX_WEBHOOK_URL` (default: `PUBLIC_BASE_URL`/api/v1/webhooks/razorpay)."""
    from boxoffice.sandbox.api import router

    settings = settings or Settings()
    configure_logging(settings.log_level, settings.log_json)
    app = FastAPI(title="Razorpay sandbox (Boxoffice)", version="0.1.0")
    app.state.settings = settings
    app.include_router(router, prefix=SANDBOX_PATH)
    app.include_router(router)

    @app.get("/health")
    async def health() -> JSONResponse:
        return JSONResponse({"status": "ok", "service": "razorpay-sandbox"})

    return app
