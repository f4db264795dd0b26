"""Shifts: a cashier opens one at a theatre's counter with a cash float, sells and refunds into
it, and closes it once, with the cash the drawer should hold and the totals per method.

A shift belongs to its cashier: only they sell or refund into it (a sale or refund locks its
row, so a close waits for it, and nothing goes into a shift once closed). A cashier has one
open shift at a time (a unique index); a manager of its theatre or an admin may close it too.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.accounts.dependencies import ensure_manages_theatre
from boxoffice.accounts.principal import Principal
from boxoffice.catalogue import service as catalogue_service
from boxoffice.config import Settings
from boxoffice.counter import repository
from boxoffice.counter.errors import (
    NoOpenShift,
    NotYourShift,
    ShiftAlreadyOpen,
    ShiftClosed,
    ShiftElsewhere,
    ShiftNotFound,
)
from boxoffice.counter.models import Method, Shift, ShiftStatus
from boxoffice.counter.repository import Totals
from boxoffice.errors import Forbidden, InvalidInput
from boxoffice.staff.service import ensure_may_sell_at


@dataclass(frozen=True)
class ShiftView:
    shift: Shift
    totals: Totals

    @property
    def expected_cash(self) -> int:
        """The float and the cash taken less the cash given back; final once closed."""
        if self.shift.expected_cash is not None:
            return self.shift.expected_cash
        return self.shift.opening_float + self.totals.net(Method.CASH)

    def document(self) -> dict[str, object]:
        shift, totals = self.shift, self.totals
        return {
            "id": shift.id,
            "theatre_id": shift.theatre_id,
            "cashier_id": shift.cashier_id,
            "status": shift.status.value,
            "opening_float": shift.opening_float,
            "currency": shift.currency,
            "opened_at": shift.opened_at,
            "closed_at": shift.closed_at,
            "expected_cash": self.expected_cash,
            "totals": {m.value: totals.net(m) for m in Method},
            "sales": {m.value: totals.sales.get(m, 0) for m in Method},
            "refunds": {m.value: totals.refunds.get(m, 0) for m in Method},
            "sales_count": totals.sales_count,
            "refunds_count": totals.refunds_count,
        }


async def open_shift(
    session: AsyncSession,
    principal: Principal,
    theatre_id: uuid.UUID,
    opening_float: int,
    now: datetime,
    settings: Settings,
) -> ShiftView:
    """Opens the caller's shift at the theatre (404 no such theatre; 403 not allowed to sell
    there; 409 with `shift_id` when the caller has an open shift already)."""
    await catalogue_service.get_theatre(session, theatre_id)
    await ensure_may_sell_at(session, principal, theatre_id)
    existing = await repository.open_shift_of(session, principal.id)
    shift = Shift(
        id=uuid.uuid4(),
        theatre_id=theatre_id,
        cashier_id=principal.id,
        status=ShiftStatus.OPEN,
        opening_float=opening_float,
        currency=settings.default_currency,
        opened_at=now,
        closed_at=None,
        expected_cash=None,
    )
    if existing is not None or not await repository.add_shift(session, shift):
        existing = existing or await repository.open_shift_of(session, principal.id)
        raise ShiftAlreadyOpen(
            "Close your open shift before opening another.",
            shift_id=str(existing.id) if existing else None,
        )
    return ShiftView(shift, Totals())


async def shift_to_work_in(
    session: AsyncSession,
    principal: Principal,
    theatre_id: uuid.UUID,
    shift_id: uuid.UUID | None,
) -> Shift:
    """The caller's open shift at the theatre, locked until the sale or refund commits: the one
    named (403 another cashier's; 409 closed), else the caller's open one (409 none)."""
    if shift_id is None:
        shift = await repository.open_shift_of(session, principal.id, for_update=True)
        if shift is None:
            raise NoOpenShift("Open a shift at this theatre's counter first.")
    else:
        shift = await repository.get_shift(session, shift_id, for_update=True)
        if shift is None:
            raise ShiftNotFound()
        if shift.cashier_id != principal.id:
            raise NotYourShift("Only its cashier sells or refunds into a shift.")
        if shift.status is ShiftStatus.CLOSED:
            raise ShiftClosed("This shift is closed: open a new one.", shift_id=str(shift.id))
    if shift.theatre_id != theatre_id:
        raise ShiftElsewhere(
            "Your open shift is at another theatre: close it and open one here.",
            shift_id=str(shift.id),
        )
    return shift


async def close_shift(
    session: AsyncSession, principal: Principal, shift_id: uuid.UUID, now: datetime
) -> ShiftView:
    """Closes the shift once (409 when closed already): its cashier, a manager of its theatre or
    an admin."""
    shift = await _readable_shift(session, principal, shift_id, for_update=True)
    totals = (await repository.totals_of(session, [shift.id]))[shift.id]
    if shift.status is ShiftStatus.CLOSED:
        raise ShiftClosed("This shift is closed already; a closed shift is never reopened.")
    expected = shift.opening_float + totals.net(Method.CASH)
    if not await repository.close(session, shift, now, expected):
        raise ShiftClosed("This shift was closed by another request.")
    return ShiftView(shift, totals)


async def get_shift(session: AsyncSession, principal: Principal, shift_id: uuid.UUID) -> ShiftView:
    shift = await _readable_shift(session, principal, shift_id)
    return ShiftView(shift, (await repository.totals_of(session, [shift.id]))[shift.id])


async def current_shift(session: AsyncSession, principal: Principal) -> ShiftView:
    """The caller's open shift (409 `no-open-shift` when none)."""
    shift = await repository.open_shift_of(session, principal.id)
    if shift is None:
        raise NoOpenShift("You have no open shift.")
    return ShiftView(shift, (await repository.totals_of(session, [shift.id]))[shift.id])


async def shifts_of_day(
    session: AsyncSession, principal: Principal, theatre_id: uuid.UUID, day: date
) -> list[ShiftView]:
    """The theatre's shifts opened on `day` (its own timezone's), for a manager or an admin."""
    theatre = await catalogue_service.get_theatre(session, theatre_id)
    await ensure_manages_theatre(session, principal, theatre_id)
    if not 1900 <= day.year <= 9000:
        raise InvalidInput("No shift was ever opened on that date.", field="date")
    zone = ZoneInfo(theatre.timezone)
    start = datetime.combine(day, dt.time(), zone)
    end = datetime.combine(day + timedelta(days=1), dt.time(), zone)
    shifts = await repository.shifts_of_theatre(session, theatre_id, start, end)
    totals = await repository.totals_of(session, [shift.id for shift in shifts])
    return [ShiftView(shift, totals[shift.id]) for shift in shifts]


async def _readable_shift(
    session: AsyncSession, principal: Principal, shift_id: uuid.UUID, *, for_update: bool = False
) -> Shift:
    """The shift, for its cashier, a manager of its theatre or an admin; 404 for anyone else."""
    shift = await repository.get_shift(session, shift_id, for_update=for_update)
    if shift is None:
        raise ShiftNotFound()
    if shift.cashier_id != principal.id:
        try:
            await ensure_manages_theatre(session, principal, shift.theatre_id)
        except Forbidden:
            raise ShiftNotFound() from None
    return shift
