"""Properties of the pure pricing rules (no database, no HTTP)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from boxoffice.catalogue.days import day_type_of
from boxoffice.catalogue.models import DayType
from boxoffice.pricing.rules import resolve_prices

ZONES = [
    "Asia/Kolkata",  # +05:30
    "America/Los_Angeles",  # -08:00 / -07:00 with DST
    "Pacific/Kiritimati",  # +14:00
    "Pacific/Pago_Pago",  # -11:00
    "Asia/Kathmandu",  # +05:45
    "Europe/London",
    "UTC",
]
SEAT_TYPES = ["VIP", "GOLD", "SILVER", "RECLINER"]
DAY_TYPES = list(DayType)

local_days = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))
# instants within two hours either side of a local midnight
near_midnight = st.integers(min_value=-120, max_value=120)
amounts = st.integers(min_value=100, max_value=10_000_000)
FORMATS = ["2D", "3D", "IMAX 3D"]
formats = st.sampled_from(FORMATS)
Rules = dict[tuple[str, DayType, str | None], int]
# Rules for any format (None) and for some formats.
rule_sets = st.dictionaries(
    st.tuples(
        st.sampled_from(SEAT_TYPES), st.sampled_from(DAY_TYPES), st.sampled_from([None, *FORMATS])
    ),
    amounts,
    max_size=16,
)
override_sets = st.dictionaries(st.sampled_from(SEAT_TYPES), amounts, max_size=4)


def _instant_near_midnight(zone: str, day: date, minutes: int) -> datetime:
    midnight = datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)
    return midnight + timedelta(minutes=minutes)


@given(st.sampled_from(ZONES), local_days, near_midnight)
def test_day_type_follows_the_local_weekday(zone: str, day: date, minutes: int) -> None:
    instant = _instant_near_midnight(zone, day, minutes)
    local = instant.astimezone(ZoneInfo(zone)).date()
    expected = DayType.WEEKEND if local.weekday() >= 5 else DayType.WEEKDAY
    assert day_type_of(instant, zone, []) is expected
    # the same instant seen from another offset gives the same answer
    assert day_type_of(instant.astimezone(ZoneInfo("Asia/Tokyo")), zone, []) is expected


@given(st.sampled_from(ZONES), local_days, near_midnight)
def test_a_local_holiday_wins_over_the_weekday(zone: str, day: date, minutes: int) -> None:
    instant = _instant_near_midnight(zone, day, minutes)
    local = instant.astimezone(ZoneInfo(zone)).date()
    assert day_type_of(instant, zone, [local.isoformat()]) is DayType.HOLIDAY
    assert day_type_of(instant, zone, [local]) is DayType.HOLIDAY
    other = local + timedelta(days=1)
    assert day_type_of(instant, zone, [other]) is not DayType.HOLIDAY


def test_saturday_half_past_midnight_in_kolkata_is_weekend_though_friday_in_utc() -> None:
    starts_at = datetime(2026, 12, 5, 0, 30, tzinfo=ZoneInfo("Asia/Kolkata"))
    assert starts_at.astimezone(UTC).weekday() == 4  # Friday 19:00 UTC
    assert day_type_of(starts_at, "Asia/Kolkata") is DayType.WEEKEND
    assert day_type_of(starts_at, "UTC") is DayType.WEEKDAY


@given(st.sampled_from(DAY_TYPES), formats, override_sets, rule_sets, rule_sets)
def test_override_beats_screen_beats_theatre_and_a_format_beats_any_at_each(
    day_type: DayType,
    format: str,
    overrides: dict[str, int],
    screen: Rules,
    theatre: Rules,
) -> None:
    prices, missing = resolve_prices(SEAT_TYPES, day_type, overrides, screen, theatre, format)
    assert set(prices) | set(missing) == set(SEAT_TYPES)
    assert missing == sorted(missing) and not set(prices) & set(missing)
    days = [DayType.HOLIDAY, DayType.WEEKEND] if day_type is DayType.HOLIDAY else [day_type]
    for seat_type in SEAT_TYPES:
        chain = [overrides.get(seat_type)] + [
            rules.get((seat_type, day, rule_format))
            for day in days
            for rules in (screen, theatre)
            for rule_format in (format, None)
        ]
        expected = next((amount for amount in chain if amount is not None), None)
        assert prices.get(seat_type) == expected


@given(st.sampled_from(DAY_TYPES), formats, override_sets, rule_sets, rule_sets)
def test_another_formats_rules_never_price_a_show(
    day_type: DayType, format: str, overrides: dict[str, int], screen: Rules, theatre: Rules
) -> None:
    def mine(rules: Rules) -> Rules:
        return {k: v for k, v in rules.items() if k[2] in (None, format)}

    assert resolve_prices(
        SEAT_TYPES, day_type, overrides, screen, theatre, format
    ) == resolve_prices(SEAT_TYPES, day_type, overrides, mine(screen), mine(theatre), format)


@given(formats, override_sets, rule_sets, rule_sets)
def test_holiday_without_holiday_rules_prices_exactly_as_weekend(
    format: str, overrides: dict[str, int], screen: Rules, theatre: Rules
) -> None:
    def drop_holidays(rules: Rules) -> Rules:
        return {k: v for k, v in rules.items() if k[1] is not DayType.HOLIDAY}

    screen, theatre = drop_holidays(screen), drop_holidays(theatre)
    holiday = resolve_prices(SEAT_TYPES, DayType.HOLIDAY, overrides, screen, theatre, format)
    weekend = resolve_prices(SEAT_TYPES, DayType.WEEKEND, overrides, screen, theatre, format)
    assert holiday == weekend


@given(st.sampled_from([DayType.WEEKDAY, DayType.WEEKEND]), override_sets, rule_sets, rule_sets)
def test_weekday_and_weekend_never_read_holiday_rules(
    day_type: DayType,
    overrides: dict[str, int],
    screen: Rules,
    theatre: Rules,
) -> None:
    def only(rules: Rules) -> Rules:
        return {k: v for k, v in rules.items() if k[1] is day_type}

    assert resolve_prices(SEAT_TYPES, day_type, overrides, screen, theatre) == resolve_prices(
        SEAT_TYPES, day_type, overrides, only(screen), only(theatre)
    )


def test_nothing_priced_names_every_seat_type() -> None:
    assert resolve_prices(["VIP", "GOLD"], DayType.WEEKDAY, {}, {}, {}) == ({}, ["GOLD", "VIP"])
