"""PostgreSQL's hold store: the sale path's statements, each one round trip.

A hold is the hottest write of an on-sale. Through the ORM it was three statements plus BEGIN and
COMMIT, each paying SQLAlchemy's statement building and result processing; here it is one call
of `boxoffice_hold` (the rules of `holds_sqlite`'s claim, written out whole with the other
function in db/migrations/versions/0022_sale_path.sql; the seats' charges come with it, as the
arrays of the show's charge table), sent as the driver's own prepared
statement, so without an Idempotency-Key, in autocommit, the whole hold is one round trip. A
cancel of a live hold is one call of `boxoffice_release_hold`, and best available reads the
free seats in one statement whose two arrays asyncpg decodes in C.

Without a session the statements go on a connection of `autocommit_connection`, the one helper
that takes one; in a session (an Idempotency-Key's record must commit with the hold), through
the session. A refused hold raises `boxoffice:<code>` with JSON details, which rolls back all of
it, and which this store hands on as a `Refusal`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from boxoffice.bookings.charges import LINE_COLUMNS
from boxoffice.bookings.codes import CODE_INDEX
from boxoffice.bookings.holds import (
    CODE_TAKEN,
    Claim,
    HeldSeat,
    Refusal,
    Release,
    ReleasedHold,
    held_view,
)
from boxoffice.bookings.models import BookingStatus, BookingTransition
from boxoffice.bookings.reads import BookingView
from boxoffice.catalogue.models import ShowStatus
from boxoffice.db.engine import autocommit_connection

HOLD = (
    "SELECT * FROM boxoffice_hold($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
    "$13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)"
)
RELEASE_HOLD = "SELECT * FROM boxoffice_release_hold($1, $2, $3, $4, $5, $6, $7)"
# A seat is free as `boxoffice_hold` sees it: no booking, or a run-out hold, and not blocked. As
# two arrays in one row: asyncpg decodes them in C, for about half the client CPU of a row a seat
# (measured: 0.26 against 0.46 ms for 300 seats).
FREE_SEATS = (
    "SELECT array_agg(seat_id), array_agg(price) FROM show_seats "
    "WHERE show_id = $1 AND (booking_id IS NULL OR held_until <= $2) AND NOT blocked"
)
GRID = (
    "SELECT ss.seat_id, s.row, s.number, s.x, s.y, ss.seat_type, "
    "sc.sweet_spot_row, sc.sweet_spot_number, s.accessibility "
    "FROM show_seats ss JOIN seats s ON s.id = ss.seat_id JOIN screens sc ON sc.id = s.screen_id "
    "WHERE ss.show_id = $1"
)
SALE_STATE = "SELECT status, starts_at FROM shows WHERE id = $1"
_REFUSAL_PREFIX = "boxoffice:"

Fetch = Callable[..., Awaitable[Sequence[Any]]]  # (statement, *arguments) -> rows


class PostgresHolds:
    """The `HoldStore` of PostgreSQL."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @asynccontextmanager
    async def seats(self, session: AsyncSession | None = None) -> AsyncIterator[_Seats]:
        if session is not None:
            yield _Seats(_fetch_in(session), session)
            return
        async with autocommit_connection(self._engine) as connection:
            yield _Seats(connection.fetch, None)

    async def release(
        self, release: Release, session: AsyncSession | None = None
    ) -> ReleasedHold | None:
        arguments = (
            release.booking_id,
            release.kind,
            release.customer_id,
            release.is_admin,
            release.now,
            release.reason,
            release.actor,
        )
        if session is not None:
            rows = await _fetch_in(session)(RELEASE_HOLD, *arguments)
        else:
            async with autocommit_connection(self._engine) as connection:
                rows = await connection.fetch(RELEASE_HOLD, *arguments)
        return _released(release.booking_id, rows[0]) if rows else None


class _Seats:
    """`SaleSeats` on a driver connection in autocommit, or in a session's transaction."""

    def __init__(self, fetch: Fetch, session: AsyncSession | None) -> None:
        self._fetch = fetch
        self._session = session

    async def claim(self, claim: Claim, *, may_retry: bool = False) -> BookingView:
        caps = claim.caps
        arguments = (
            claim.booking_id,
            claim.show_id,
            list(claim.seat_ids),
            caps.kind,
            caps.customer_id,
            caps.client_ip,
            claim.now,
            claim.expires_at,
            claim.actor,
            caps.pending_bookings,
            caps.held_seats,
            caps.held_seats_per_address,
            claim.charges.terms_version,
            *claim.charges.arrays,
            claim.charges.policy_json,
        )
        retriable = may_retry or self._session is None  # no transaction left aborted
        try:
            if may_retry and self._session is not None:
                # A refused statement aborts the transaction: the savepoint keeps it usable.
                async with self._session.begin_nested():
                    rows = await self._fetch(HOLD, *arguments)
            else:
                rows = await self._fetch(HOLD, *arguments)
        except (asyncpg.RaiseError, asyncpg.UniqueViolationError, DBAPIError) as error:
            refusal = _refusal(error, retriable)
            if refusal is None:
                raise
            raise refusal from None
        return held_view(claim, rows, rows[0][4])

    async def free_seats(self, show_id: uuid.UUID, now: datetime) -> dict[Any, int]:
        seat_ids, prices = (await self._fetch(FREE_SEATS, show_id, now))[0]
        return dict(zip(seat_ids, prices, strict=True)) if seat_ids else {}

    async def grid(self, show_id: uuid.UUID) -> Sequence[Sequence[Any]]:
        return await self._fetch(GRID, show_id)

    async def sale_state(self, show_id: uuid.UUID) -> tuple[ShowStatus, datetime] | None:
        rows = await self._fetch(SALE_STATE, show_id)
        return (ShowStatus(rows[0][0]), rows[0][1]) if rows else None


def _fetch_in(session: AsyncSession) -> Fetch:
    """A statement in the session's transaction, through the session (as the driver's own
    numbered parameters: `$1`...)."""

    async def fetch(statement: str, *arguments: Any) -> Sequence[Any]:
        connection = await session.connection()
        return (await connection.exec_driver_sql(statement, arguments)).all()

    return fetch


def _refusal(error: BaseException, retriable: bool) -> Refusal | None:
    """The `Refusal` a function raised, from the driver's error or SQLAlchemy's around it; or,
    where the claim may be tried again (`retriable`), `CODE_TAKEN` for a new booking's id whose
    code another booking has (`bookings.codes`)."""
    while error is not None and not isinstance(
        error, (asyncpg.RaiseError, asyncpg.UniqueViolationError)
    ):
        error = error.__cause__  # type: ignore[assignment]
    if isinstance(error, asyncpg.UniqueViolationError):
        taken = retriable and error.constraint_name == CODE_INDEX
        return Refusal(CODE_TAKEN, {}) if taken else None
    if error is None or not error.message.startswith(_REFUSAL_PREFIX):
        return None
    details = json.loads(error.detail) if error.detail else {}
    if "first_expiry" in details:
        first = details["first_expiry"]
        details["first_expiry"] = None if first is None else datetime.fromisoformat(first)
    return Refusal(error.message.removeprefix(_REFUSAL_PREFIX), details)


def _released(booking_id: uuid.UUID, row: Sequence[Any]) -> ReleasedHold:
    show_id, amount_total, currency, created_at, user_id, guest_id, seats, history = row
    return ReleasedHold(
        show_id=show_id,
        amount_total=amount_total,
        currency=currency,
        created_at=created_at,
        user_id=user_id,
        guest_id=guest_id,
        seats=[
            HeldSeat(
                uuid.UUID(seat["seat_id"]),
                seat["label"],
                seat["seat_type"],
                seat["price"],
                {name: seat[name] for name in LINE_COLUMNS},
            )
            for seat in _json(seats)
        ],
        history=[
            BookingTransition(
                booking_id=booking_id,
                from_status=BookingStatus(entry["from"]) if entry["from"] else None,
                to_status=BookingStatus(entry["to"]),
                at=datetime.fromisoformat(entry["at"]),
                reason=entry["reason"],
                actor=entry["actor"],
            )
            for entry in _json(history)
        ],
    )


def _json(value: Any) -> Any:
    # Pooled connections decode json columns themselves (SQLAlchemy sets a codec).
    return json.loads(value) if isinstance(value, str | bytes) else value
