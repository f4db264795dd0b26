"""Pure pricing rules (no I/O): the price of each seat type (a show's day type is the
catalogue's: `catalogue.days`).

Amounts are integer minor units (paise). The resolution order is SPEC.md "Pricing":

1. the show's own override for the seat type;
2. the screen's rule for (seat type, day type);
3. the theatre's rule for (seat type, day type).

A `HOLIDAY` show takes a `HOLIDAY` rule where one exists (screen first, then theatre) and
otherwise prices exactly as a `WEEKEND` show (screen `WEEKEND`, then theatre `WEEKEND`). The
fallback is per seat type: a theatre `HOLIDAY` rule for VIP beats a screen `WEEKEND` rule for VIP.

A rule may be for one format (SPEC "Back office": a rate card by format); at each step above, the
rule for the show's format comes before the rule for any format (format null): the most specific
wins, and the level still decides first (a screen's rule for any format beats a theatre's 3D one).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from boxoffice.catalogue.models import DayType

RuleKey = tuple[str, DayType, str | None]  # (seat type, day type, format or None: any)


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
    format: str | None = None,
) -> int | None:
    """The price of one seat type in a show of that format, or None when nothing prices it."""
    if seat_type in show_overrides:
        return show_overrides[seat_type]
    levels = {"screen": screen_rules, "theatre": theatre_rules}
    formats = (format, None) if format is not None else (None,)
    for level, rule_day in _rule_lookup_order(day_type):
        for rule_format in formats:
            amount = levels[level].get((seat_type, rule_day, rule_format))
            if amount is not None:
                return amount
    return None


def resolve_prices(
    seat_types: Iterable[str],
    day_type: DayType,
    show_overrides: Mapping[str, int],
    screen_rules: Mapping[RuleKey, int],
    theatre_rules: Mapping[RuleKey, int],
    format: str | None = None,
) -> tuple[dict[str, int], list[str]]:
    """Prices of every seat type, and the sorted seat types that nothing prices."""
    prices: dict[str, int] = {}
    missing: list[str] = []
    for seat_type in sorted(set(seat_types)):
        amount = resolve_price(
            seat_type, day_type, show_overrides, screen_rules, theatre_rules, format
        )
        if amount is None:
            missing.append(seat_type)
        else:
            prices[seat_type] = amount
    return prices, missing
