"""The calendar of a theatre (pure, no I/O): a show's local date and its day type, which its
prices depend on (SPEC "Pricing")."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from boxoffice.catalogue.models import DayType

# Saturday and Sunday (datetime.weekday(): Monday is 0).
WEEKEND_DAYS = frozenset({5, 6})


def local_date(instant: datetime, timezone: str) -> date:
    """The calendar date of an instant in an IANA timezone."""
    if instant.tzinfo is None:
        raise ValueError("a naive datetime has no place in time")
    return instant.astimezone(ZoneInfo(timezone)).date()


def day_type_of(starts_at: datetime, timezone: str, holidays: Iterable[date | str] = ()) -> DayType:
    """WEEKDAY, WEEKEND or HOLIDAY of a show, from its start in the theatre's own timezone."""
    day = local_date(starts_at, timezone)
    holiday_dates = {h if isinstance(h, date) else date.fromisoformat(h) for h in holidays}
    if day in holiday_dates:
        return DayType.HOLIDAY
    return DayType.WEEKEND if day.weekday() in WEEKEND_DAYS else DayType.WEEKDAY
