"""`boxoffice worker`: background upkeep that correctness never waits for.

Each pass sweeps run-out holds to EXPIRED (in batches, each its own transaction, so many workers
can run at once: the batch query skips rows another worker has locked), forgets old idempotency
keys, finishes cancelling the bookings of cancelled shows whose cancelling process died, and
settles payments and refunds (retrying failed refunds with backoff) that a lost webhook, a
crash or the provider left unfinished, offers seats that came back to the shows' waiting lists
(see boxoffice.waitlist.offers), and sends the emails of the outbox (see
boxoffice.notifications).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from boxoffice.bookings import lifecycle as bookings_lifecycle
from boxoffice.bookings.handlers import cancel_show_bookings
from boxoffice.bookings.holds import HoldStore
from boxoffice.bookings.holds_postgres import PostgresHolds
from boxoffice.bookings.holds_sqlite import SqliteHolds
from boxoffice.clock import Clock
from boxoffice.config import RazorpayCredentials, Settings
from boxoffice.db.engine import create_engine, create_sessionmaker
from boxoffice.db.unit_of_work import in_batches
from boxoffice.idempotency import purge_expired
from boxoffice.logs import configure_logging, get_logger
from boxoffice.notifications import sending as notifications_sending
from boxoffice.payments.provider import PaymentProvider
from boxoffice.payments.razorpay_sdk import get_provider
from boxoffice.payments.reconcile import reconcile
from boxoffice.waitlist import offers as waitlist_offers
from boxoffice.wiring import register_handlers

log = get_logger("boxoffice.worker")

SWEEP_BATCH = 500


async def sweep_expired_holds(sessionmaker: async_sessionmaker[Any], clock: Clock) -> int:
    async def batch(session: AsyncSession) -> int:
        return await bookings_lifecycle.sweep_expired(session, clock.now(), SWEEP_BATCH)

    return await in_batches(SimpleNamespace(sessionmaker=sessionmaker), batch, SWEEP_BATCH)


async def finish_show_cancellations(state: Any) -> int:
    """Finishes cancelling the bookings of shows whose cancelling process died."""
    async with state.sessionmaker() as session:
        shows = await bookings_lifecycle.shows_left_cancelling(session, state.clock.now())
    total = 0
    for show_id in shows:
        total += await cancel_show_bookings(state, show_id, "worker")
    return total


def hold_store(settings: Settings, sessionmaker: async_sessionmaker[Any]) -> HoldStore:
    """The engine's hold store, for the worker's own holds (the waiting list's offers)."""
    if settings.is_sqlite:
        return SqliteHolds(sessionmaker)
    return PostgresHolds(sessionmaker.kw["bind"])


async def run_pass(
    sessionmaker: async_sessionmaker[Any],
    settings: Settings,
    provider: PaymentProvider,
    clock: Clock,
) -> None:
    swept = await sweep_expired_holds(sessionmaker, clock)
    # After the sweep, before the emails: the offers' emails go out in the same pass.
    offered = await waitlist_offers.run(
        sessionmaker, settings, clock, hold_store(settings, sessionmaker)
    )
    # Before reconciling: the refunds that finishing a show's cancellation asks for are issued
    # by its batches, and any left unissued are picked up just below.
    state = SimpleNamespace(
        sessionmaker=sessionmaker, provider=provider, clock=clock, settings=settings
    )
    resumed = await finish_show_cancellations(state)
    async with sessionmaker() as session, session.begin():
        await purge_expired(session, clock.now())
    settled = await reconcile(sessionmaker, settings, provider, clock)
    emailed = await notifications_sending.send_due(sessionmaker, settings, clock)
    if swept or settled or resumed or emailed or offered:
        log.info(
            "worker_pass",
            expired_swept=swept,
            payments_settled=settled,
            show_bookings_cancelled=resumed,
            emails_sent=emailed,
            waitlist_offers=offered,
        )


async def run_worker(
    settings: Settings,
    keys: Callable[[], Awaitable[RazorpayCredentials]],
    *,
    once: bool,
    interval: float,
) -> None:
    """Passes until stopped; `keys` gives the Razorpay keys to pay with (the command line's
    wiring: the configured ones, or the sandbox's own)."""
    configure_logging(settings.log_level, settings.log_json)
    register_handlers()
    engine = create_engine(settings)
    sessionmaker = create_sessionmaker(engine, settings)
    clock = Clock()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    log.info("worker_started", once=once, interval=interval)
    provider: PaymentProvider | None = None
    try:
        while not stopping.is_set():
            try:
                # Made in the loop: in sandbox mode the keys are read from the database, which
                # may not answer yet when the worker starts.
                provider = provider or get_provider(settings, await keys())
                await run_pass(sessionmaker, settings, provider, clock)
            except Exception:
                if once:
                    raise
                log.exception("worker_pass_failed")
            if once:
                break
            try:
                await asyncio.wait_for(stopping.wait(), timeout=interval)
            except TimeoutError:
                pass
    finally:
        await engine.dispose()
        log.info("worker_stopped")
