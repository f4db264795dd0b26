"""The FastAPI application: routers of every domain, one error handler, operational endpoints."""

from __future__ import annotations

import asyncio
import hmac
import signal
import threading
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException

from boxoffice.accounts.endpoints import me_router
from boxoffice.accounts.endpoints import router as auth_router
from boxoffice.bookings.charges import ChargeTables
from boxoffice.bookings.chooser import SeatChooser
from boxoffice.bookings.endpoints import SalePathLane
from boxoffice.bookings.endpoints import router as bookings_router
from boxoffice.bookings.holds import HoldStore
from boxoffice.bookings.holds_postgres import PostgresHolds
from boxoffice.bookings.holds_sqlite import SqliteHolds
from boxoffice.bookings.sale import Sale
from boxoffice.catalogue import service as catalogue_service
from boxoffice.catalogue.block_endpoints import router as blocks_router
from boxoffice.catalogue.endpoints import SeatMapFromMemory
from boxoffice.catalogue.endpoints import router as catalogue_router
from boxoffice.catalogue.poster_endpoints import POSTER_UPLOAD
from boxoffice.catalogue.poster_endpoints import router as posters_router
from boxoffice.catalogue.schedule_endpoints import router as schedule_router
from boxoffice.catalogue.seatmap import SEAT_CHANGES, SeatMaps
from boxoffice.catalogue.seatstream import SeatFeeds
from boxoffice.catalogue.streamquota import StreamQuota
from boxoffice.clock import Clock
from boxoffice.config import SANDBOX_PATH, Settings
from boxoffice.counter.endpoints import router as counter_router
from boxoffice.db.admission import Admission
from boxoffice.db.engine import (
    DRIVER_CONFLICTS,
    DRIVER_ERRORS,
    create_engine,
    create_read_engine,
    create_sessionmaker,
    needs_new_connection,
)
from boxoffice.db.migrate import current_revision, head_revision
from boxoffice.db.notifications import Channel, ChannelListener, LocalChannel, attach
from boxoffice.db.unit_of_work import unit_of_work
from boxoffice.errors import (
    PROBLEM_CONTENT_TYPE,
    BoxofficeError,
    Conflict,
    DatabaseUnavailable,
    InvalidInput,
    ServiceUnavailable,
    Unauthenticated,
    problem_response,
)
from boxoffice.invoicing.endpoints import router as invoicing_router
from boxoffice.logs import configure_logging, get_logger
from boxoffice.metrics import exposition
from boxoffice.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from boxoffice.openapi import document_problems
from boxoffice.payments.endpoints import router as payments_router
from boxoffice.payments.lane import WebhookLane
from boxoffice.payments.razorpay_sdk import get_provider
from boxoffice.pricing.endpoints import router as pricing_router
from boxoffice.queue.batches import JoinBatches
from boxoffice.queue.endpoints import router as queue_router
from boxoffice.queue.gate import admission_check
from boxoffice.queue.lane import QueueLane
from boxoffice.queue.onsale_endpoints import router as onsale_router
from boxoffice.queue.tokens import QueueKeys
from boxoffice.reports.endpoints import router as reports_router
from boxoffice.sandbox import router as sandbox_router
from boxoffice.sandbox.store import store_of
from boxoffice.staff.endpoints import router as staff_router
from boxoffice.taxes.endpoints import router as taxes_router
from boxoffice.tickets.endpoints import router as tickets_router
from boxoffice.views import bookings as booking_views
from boxoffice.views.endpoints import router as views_router
from boxoffice.waitlist.endpoints import router as waitlist_router
from boxoffice.web import mount_web, not_found_page
from boxoffice.wiring import register_handlers

log = get_logger("boxoffice.app")

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    if problem := settings.payments_problem():
        raise RuntimeError(problem)
    configure_logging(settings.log_level, settings.log_json)
    register_handlers()
    engine = create_engine(settings)
    read_engine = create_read_engine(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        credentials = settings.razorpay_keys
        if settings.razorpay_sandbox:
            log.warning(
                "razorpay_sandbox_enabled",
                detail="RAZORPAY_SANDBOX=true: payments go to the offline sandbox and no money "
                "moves; anyone can pay with its Checkout stand-in. Never in production.",
            )
            credentials = credentials or await store_of(app.state).credentials()
        assert credentials is not None  # Settings refuses to load with neither
        app.state.provider = get_provider(settings, credentials)
        channel = app.state.seat_channel
        channel.start()
        await _warm_queue_keys(app)
        _end_streams_on_exit(app.state.seat_feeds)
        log.info("startup", database=engine.dialect.name, payments=settings.payments_mode)
        yield
        await app.state.seat_feeds.stop()
        await channel.stop()
        await engine.dispose()
        if read_engine is not None:
            await read_engine.dispose()

    app = FastAPI(
        title="Boxoffice",
        version="0.1.0",
        description="Movie-ticket booking: catalogue, seat holds, Razorpay payments.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = clock or Clock()
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine, settings)
    app.state.read_engine = read_engine
    app.state.read_sessionmaker = create_sessionmaker(read_engine or engine, settings)
    app.state.seat_maps = SeatMaps()
    app.state.seat_channel = _seat_channel(settings, app.state.seat_maps)
    attach(engine, SEAT_CHANGES, app.state.seat_channel)
    app.state.seat_feeds = _seat_feeds(app, settings)
    app.state.queue_keys = QueueKeys(app.state.sessionmaker, settings)
    # The queue lane's (PostgreSQL): the joins' batches, and the connections its other
    # statements may hold at once (the pool's, but the one a batch of joins holds).
    app.state.queue_joins = JoinBatches(engine)
    app.state.queue_lane_slots = asyncio.Semaphore(max(1, settings.db_pool_size - 1))
    app.state.sale = Sale(
        settings,
        app.state.clock,
        engine,
        _hold_store(settings, app),
        SeatChooser(),
        _admission(settings),
        app.state.seat_maps,
        lambda: unit_of_work(app.state),
        booking_views.answer,
        ChargeTables(app.state.sessionmaker, settings),
        queue_check=admission_check(app.state.queue_keys),
    )

    for router in (
        auth_router,
        me_router,
        catalogue_router,
        schedule_router,
        posters_router,
        blocks_router,
        pricing_router,
        taxes_router,
        bookings_router,
        payments_router,
        invoicing_router,
        views_router,
        tickets_router,
        staff_router,
        counter_router,
        reports_router,
        waitlist_router,
        queue_router,
        onsale_router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    if settings.razorpay_sandbox:
        app.include_router(sandbox_router, prefix=SANDBOX_PATH, include_in_schema=False)

    _add_operational_routes(app)
    mount_web(app, settings)
    _add_error_handlers(app)
    document_problems(app, API_PREFIX)
    # The last added runs first: the access log, the queue's crowd (it reads no body), the
    # body limit, then the sale path's answers from memory or in front of the router.
    app.add_middleware(SeatMapFromMemory)
    app.add_middleware(WebhookLane, prefix=API_PREFIX)
    app.add_middleware(SalePathLane, prefix=API_PREFIX)
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.max_request_bytes,
        larger={POSTER_UPLOAD: settings.max_poster_bytes},
    )
    if not settings.is_sqlite:  # a crowd joining a queue comes to many processes, on PostgreSQL
        app.add_middleware(QueueLane, prefix=API_PREFIX)
    app.add_middleware(RequestContextMiddleware)
    return app


_KEYS_UNREAD: tuple[type[Exception], ...] = (
    sa_exc.SQLAlchemyError,
    OSError,
    BoxofficeError,
    *DRIVER_ERRORS,
)


async def _warm_queue_keys(app: FastAPI) -> None:
    """Reads (or, on a new database, makes) the signing key once at start, committed on its
    own: a request need not make it in its own transaction, which could roll back."""
    try:
        await app.state.queue_keys.signer(app.state.clock.now())
    except _KEYS_UNREAD as error:
        log.warning("queue_keys_not_read", error=type(error).__name__)  # read on first use


def _hold_store(settings: Settings, app: FastAPI) -> HoldStore:
    """The engine's hold store: the one place that chooses it."""
    if settings.is_sqlite:
        return SqliteHolds(app.state.sessionmaker)
    return PostgresHolds(app.state.engine)


def _admission(settings: Settings) -> Admission:
    """The sale path's gate; each client's share of it is capped with the rate limits (off
    for load tests from one host)."""
    shares = settings.rate_limit_enabled
    return Admission(
        settings.db_pool_size,
        settings.max_waiting_sale_requests,
        settings.max_sale_requests_in_flight_per_customer if shares else 0,
        settings.max_sale_requests_in_flight_per_address if shares else 0,
    )


def _seat_channel(settings: Settings, maps: SeatMaps) -> Channel:
    """How seat writes anywhere reach this process's seat maps (see
    `boxoffice.catalogue.seatmap`). PostgreSQL: LISTEN, which also sends what this process
    announces. SQLite (one process, no notifications): straight to the maps, which check the
    database's version themselves."""
    if settings.is_sqlite:
        return LocalChannel(lambda show_id: maps.changed(uuid.UUID(show_id)))

    def on_gap() -> None:
        maps.notified = listener.connected
        maps.forget_all()

    listener = ChannelListener(
        settings.listen_dsn,
        SEAT_CHANGES,
        on_message=lambda show_id: maps.changed(uuid.UUID(show_id)),
        on_gap=on_gap,
    )
    return listener


def _seat_feeds(app: FastAPI, settings: Settings) -> SeatFeeds:
    """The live seat streams of this process, told of every change the seat maps hear of."""
    state = app.state

    # The feeds read with a few of the pool's connections at most: the rest stay the sale
    # path's and /health's, however many shows are followed.
    reads = asyncio.Semaphore(settings.seat_stream_db_connections)

    async def read(show_id: uuid.UUID, now: Any) -> Any:
        async with reads:
            return await catalogue_service.seat_map(
                state.sessionmaker, state.seat_maps, show_id, now
            )

    feeds = SeatFeeds(read, state.clock, settings, StreamQuota.from_settings(settings))
    state.seat_maps.observers.append(feeds.changed)
    return feeds


def _end_streams_on_exit(feeds: SeatFeeds) -> None:
    """A stream never ends by itself, and uvicorn waits for open responses before it stops: on
    SIGTERM/SIGINT end them at once (their clients reconnect to another process). Signals reach
    the main thread only (not a test's server thread)."""
    if threading.current_thread() is not threading.main_thread():
        return
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(number)
        if not callable(previous):
            continue

        def on_exit(signum: int, frame: Any, previous: Any = previous) -> None:
            loop.call_soon_threadsafe(feeds.close_all)
            previous(signum, frame)

        signal.signal(number, on_exit)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(BoxofficeError)
    async def _domain_error(_request: Request, error: BoxofficeError) -> JSONResponse:
        return problem_response(error)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
        return problem_response(
            InvalidInput("The request is not valid.", errors=_validation_errors(error))
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
        # Starlette's own errors: unknown route (404), wrong method (405).
        if error.status_code == 404 and (page := not_found_page(request)) is not None:
            return page
        body = {
            "type": "about:blank",
            "title": str(error.detail),
            "status": error.status_code,
            "detail": str(error.detail),
        }
        return JSONResponse(
            body,
            status_code=error.status_code,
            media_type=PROBLEM_CONTENT_TYPE,
            headers=getattr(error, "headers", None),
        )

    async def _integrity_error(_request: Request, error: Exception) -> JSONResponse:
        # A safety net: services check first, but a racing request can still trip a constraint
        # (or a new booking's id its code's: `bookings.codes`). Through SQLAlchemy or, on the
        # sale path's own connection, from the driver itself.
        cause = error.orig if isinstance(error, sa_exc.IntegrityError) else error
        log.warning("integrity_error", error=type(cause).__name__)
        return problem_response(Conflict("The change conflicts with the current state; retry."))

    app.add_exception_handler(sa_exc.IntegrityError, _integrity_error)
    for driver_conflict in DRIVER_CONFLICTS:
        app.add_exception_handler(driver_conflict, _integrity_error)

    @app.exception_handler(sa_exc.DBAPIError)
    async def _database_error(_request: Request, error: sa_exc.DBAPIError) -> JSONResponse:
        log.error("database_error", error=type(error.orig).__name__, detail=str(error.orig)[:200])
        return problem_response(_database_unavailable(error))

    @app.exception_handler(sa_exc.TimeoutError)
    async def _pool_timeout(_request: Request, _error: sa_exc.TimeoutError) -> JSONResponse:
        log.error("database_pool_timeout")
        return problem_response(ServiceUnavailable("The database is busy; retry shortly."))

    async def _driver_error(_request: Request, error: Exception) -> JSONResponse:
        # The sale path's statements outside a session go to the driver itself, so its errors
        # arrive unwrapped.
        log.error("database_error", error=type(error).__name__, detail=str(error)[:200])
        return problem_response(_database_unavailable(error))

    for driver_error in DRIVER_ERRORS:
        app.add_exception_handler(driver_error, _driver_error)

    @app.exception_handler(OSError)
    async def _connection_error(_request: Request, error: OSError) -> JSONResponse:
        log.error("connection_error", error=type(error).__name__)
        return problem_response(ServiceUnavailable("A backing service is unreachable."))


def _database_unavailable(error: Exception) -> ServiceUnavailable:
    """503 either way; `database-unavailable` when the database is gone or not the primary
    (a failover), which clients may retry soon."""
    if needs_new_connection(error):
        return DatabaseUnavailable()
    return ServiceUnavailable("The database is unavailable; retry shortly.")


def _validation_errors(error: RequestValidationError) -> list[dict[str, Any]]:
    """Pydantic's errors without the echoed input (it may hold a password)."""
    return [
        {"loc": list(item.get("loc", ())), "msg": item.get("msg", ""), "type": item.get("type")}
        for item in error.errors()
    ]


def _add_operational_routes(app: FastAPI) -> None:
    @app.get("/health", tags=["operations"])
    async def health(request: Request) -> JSONResponse:
        """Liveness: the process answers; says whether the database does too."""
        database = "up" if await _database_reachable(request) else "down"
        settings = request.app.state.settings
        body = {"status": "ok", "database": database, "payments": settings.payments_mode}
        if settings.instance_id:
            body["instance"] = settings.instance_id
        return JSONResponse(body)

    @app.get("/ready", tags=["operations"])
    async def ready(request: Request) -> JSONResponse:
        """Readiness: the database answers and its schema is at the newest migration."""
        try:
            current = await current_revision(request.app.state.engine)
        except (sa_exc.SQLAlchemyError, OSError, DatabaseUnavailable):
            return _not_ready("database unreachable")
        if current != head_revision():
            return _not_ready(f"migrations not current ({current} != {head_revision()})")
        return JSONResponse({"status": "ready", "revision": current})

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    async def prometheus_metrics(request: Request) -> Response:
        """Prometheus text, for the scraper that presents `METRICS_TOKEN` as a bearer token
        (404 without the setting: the counters say too much about the business to be public)."""
        expected = request.app.state.settings.metrics_token
        if expected is None:
            raise StarletteHTTPException(404, "Not Found")
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.encode(), expected.get_secret_value().encode()
        ):
            raise Unauthenticated("/metrics needs the METRICS_TOKEN as a bearer token.")
        return Response(exposition(), media_type=CONTENT_TYPE_LATEST)


async def _database_reachable(request: Request) -> bool:
    try:
        async with request.app.state.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return True
    except (sa_exc.SQLAlchemyError, OSError, DatabaseUnavailable):
        return False


def _not_ready(reason: str) -> JSONResponse:
    return problem_response(ServiceUnavailable(f"Not ready: {reason}."))
