"""Pure pricing rules (no I/O): the day type of a show and the price of each seat type.

Amounts are integer minor units (paise). The resolution order is SPEC.md "Pricing":

1. the show's own override for the seat type;
2. the screen's rule for (seat type, day type);
3. the theatre's rule for (seat type, day type).

A `HOLIDAY` show takes a `HOLIDAY` rule where one exists (screen first, then theatre) and
otherwise prices exactly as a `WEEKEND` show (screen `WEEKEND`, then theatre `WEEKEND`). The
fallback is per seat type: a theatre `HOLIDAY` rule for VIP beats a screen `WEEKEND` rule for VIP.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from zoneinfo import ZoneInfo

from boxoffice.catalogue.models import DayType

RuleKey = tuple[str, DayType]  # (seat type, day type)

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


def _rule_lookup_order(day_type: DayType) -> list[tuple[str, DayType]]:
    """Which (level, day type) rules are tried, in order, after the show's override."""
    if day_type is DayType.HOLIDAY:
        return [
            ("screen", DayType.HOLIDAY),
            ("theatre", DayType.HOLIDAY),
            ("screen", DayType.WEEKEND),
            ("theatre", DayType.WEEKEND),
        ]
    return [("screen", day_type), ("theatre", day_type)]


def resolve_price(
    seat_type: str,
    day_type: DayType,
    show_overrides: Mapping[str, int],
    screen_rules: Mapping[RuleKey, int],
    theatre_rules: Mapping[RuleKey, int],
) -> int | None:
    """The price of one seat type, or None when nothing prices it."""
    if seat_type in show_overrides:
        return show_overrides[seat_type]
    levels = {"screen": screen_rules, "theatre": theatre_rules}
    for level, rule_day in _rule_lookup_order(day_type):
        amount = levels[level].get((seat_type, rule_day))
        if amount is not None:
            return amount
    return None


def resolve_prices(
    seat_types: Iterable[str],
    day_type: DayType,
    show_overrides: Mapping[str, int],
    screen_rules: Mapping[RuleKey, int],
    theatre_rules: Mapping[RuleKey, int],
) -> tuple[dict[str, int], list[str]]:
    """Prices of every seat type, and the sorted seat types that nothing prices."""
    prices: dict[str, int] = {}
    missing: list[str] = []
    for seat_type in sorted(set(seat_types)):
        amount = resolve_price(seat_type, day_type, show_overrides, screen_rules, theatre_rules)
        if amount is None:
            missing.append(seat_type)
        else:
            prices[seat_type] = amount
    return prices, missing
