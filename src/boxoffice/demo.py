"""The demo catalogue `make run` loads (`boxoffice seed-demo`): two cities, four theatres in
Asia/Kolkata, six screens of VIP/GOLD/SILVER seats with aisles, six (invented) movies with
posters drawn here, and four shows a day on every screen for the next seven days, with weekday,
weekend and holiday prices.
Each theatre is registered for GST (invented GSTINs of a valid form, check character included),
charges a convenience fee and has a cancellation policy.

It goes through the same service functions as the API (validation, pricing, overlap checks,
inventory rows), and does nothing when the demo is already there.
"""

from __future__ import annotations

import io
import textwrap
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.catalogue import posters, schedule
from boxoffice.catalogue import repository as catalogue_repository
from boxoffice.catalogue import service as catalogue_service
from boxoffice.catalogue.models import DayType
from boxoffice.catalogue.schemas import (
    MovieCreate,
    ScreenCreate,
    ShowCreate,
    TheatreCreate,
    TheatrePatch,
)
from boxoffice.config import Settings
from boxoffice.pricing import service as pricing_service
from boxoffice.pricing.schemas import PriceRuleIn

TIMEZONE = "Asia/Kolkata"
DAYS = 7
SHOW_TIMES = [time(9, 30), time(13, 0), time(16, 30), time(20, 0)]

LARGE_SCREEN: list[dict[str, Any]] = [
    *({"label": r, "seat_type": "SILVER", "seats": 18, "aisles_after": [4, 14]} for r in "ABCD"),
    *({"label": r, "seat_type": "GOLD", "seats": 18, "aisles_after": [4, 14]} for r in "EFGHIJ"),
    *({"label": r, "seat_type": "VIP", "seats": 12, "aisles_after": [6]} for r in "KL"),
]  # 204 seats
SMALL_SCREEN: list[dict[str, Any]] = [
    *({"label": r, "seat_type": "SILVER", "seats": 16, "aisles_after": [4, 12]} for r in "ABCD"),
    *({"label": r, "seat_type": "GOLD", "seats": 16, "aisles_after": [4, 12]} for r in "EFGHI"),
    *({"label": r, "seat_type": "VIP", "seats": 10, "aisles_after": [5]} for r in "JK"),
]  # 164 seats

MOVIES: list[dict[str, Any]] = [
    {"title": "Monsoon Express", "duration_minutes": 148, "language": "Hindi",
     "certificate": "UA", "genres": ["Action", "Thriller"]},
    {"title": "The Last Ferry to Elephanta", "duration_minutes": 126, "language": "English",
     "certificate": "UA", "genres": ["Drama", "Mystery"]},
    {"title": "Kaveri Nights", "duration_minutes": 139, "language": "Kannada",
     "certificate": "U", "genres": ["Romance", "Drama"]},
    {"title": "Chai & Chaos", "duration_minutes": 112, "language": "Hindi",
     "certificate": "U", "genres": ["Comedy", "Family"]},
    {"title": "Orbit 9", "duration_minutes": 131, "language": "English",
     "certificate": "UA", "genres": ["Sci-Fi", "Adventure"]},
    {"title": "Vettai Raja", "duration_minutes": 162, "language": "Tamil",
     "certificate": "A", "genres": ["Action"]},
]  # fmt: skip

# Each movie's poster: drawn here (a gradient, a sun, the title), top colour to bottom colour.
POSTER_COLOURS = [
    ((24, 70, 120), (8, 14, 32)),
    ((120, 40, 30), (22, 10, 10)),
    ((30, 110, 90), (8, 30, 28)),
    ((190, 110, 20), (80, 20, 40)),
    ((60, 30, 120), (6, 6, 20)),
    ((150, 20, 20), (30, 6, 6)),
]

# amounts in paise
WEEKDAY = {"VIP": 45000, "GOLD": 30000, "SILVER": 18000}
WEEKEND = {"VIP": 55000, "GOLD": 38000, "SILVER": 24000}
HOLIDAY = {"VIP": 60000, "GOLD": 42000, "SILVER": 26000}

MARKER_THEATRE = ("Starlight Cinemas Lower Parel", "Mumbai")
Colour = tuple[int, int, int]

# ₹20 a ticket up to ₹200, 10 % of the price above (GST on top); a chain's tiered refunds.
MULTIPLEX_FEE = [{"up_to": 20000, "amount": 2000}, {"up_to": None, "rate_bp": 1000}]
SINGLE_SCREEN_FEE = [{"up_to": None, "amount": 1500}]
TIERED_POLICY = [
    {"until_minutes_before": 120, "refund_bp": 7500},
    {"until_minutes_before": 20, "refund_bp": 5000},
]
ALL_OR_NOTHING = [{"until_minutes_before": 240, "refund_bp": 10000}]


def _registration(legal_name: str, gstin: str, prefix: str) -> dict[str, Any]:
    return {
        "legal_name": legal_name,
        "gstin": gstin,
        "state_code": gstin[:2],
        "sac": "999614",  # invented for the demo: a 6-digit code under heading 9996
        "invoice_prefix": prefix,
    }


def _next(month: int, day: int, today: date) -> date:
    candidate = date(today.year, month, day)
    return candidate if candidate >= today else date(today.year + 1, month, day)


def _theatres(today: date) -> list[dict[str, Any]]:
    christmas, republic_day = _next(12, 25, today), _next(1, 26, today)
    return [
        {
            "name": MARKER_THEATRE[0],
            "city": "Mumbai",
            "address": "Senapati Bapat Marg, Lower Parel, Mumbai 400013",
            # A near "holiday" so that the demo has HOLIDAY-priced shows to look at.
            "holidays": sorted({today + timedelta(days=3), christmas}),
            "screens": [("Audi 1", LARGE_SCREEN), ("Audi 2", SMALL_SCREEN)],
            "holiday_prices": True,
            "money": _registration("Starlight Cinemas Pvt Ltd", "27AAKCS4821M1ZW", "SLP")
            | {"convenience_fee": MULTIPLEX_FEE, "cancellation_policy": TIERED_POLICY},
        },
        {
            "name": "Marine Lines Talkies",
            "city": "Mumbai",
            "address": "Queens Road, Marine Lines, Mumbai 400020",
            "holidays": [christmas, republic_day],
            "screens": [("Screen 1", SMALL_SCREEN)],
            "holiday_prices": False,
            "money": _registration("Marine Lines Talkies", "27AAFFM7302Q1ZV", "MLT")
            | {"convenience_fee": SINGLE_SCREEN_FEE, "cancellation_policy": ALL_OR_NOTHING},
        },
        {
            "name": "Indiranagar Picture Palace",
            "city": "Bengaluru",
            "address": "100 Feet Road, Indiranagar, Bengaluru 560038",
            "holidays": [christmas, republic_day],
            "screens": [("Gold Class", LARGE_SCREEN), ("Screen 2", SMALL_SCREEN)],
            "holiday_prices": True,
            "money": _registration("Indiranagar Picture Palace Pvt Ltd", "29AADCI5517B1ZT", "IPP")
            | {"convenience_fee": MULTIPLEX_FEE, "cancellation_policy": TIERED_POLICY},
        },
        {
            "name": "Starlight Cinemas Whitefield",
            "city": "Bengaluru",
            "address": "ITPL Main Road, Whitefield, Bengaluru 560066",
            "holidays": [christmas],
            "screens": [("Audi 1", SMALL_SCREEN)],
            "holiday_prices": False,
            "money": _registration("Starlight Cinemas Pvt Ltd", "29AAKCS4821M1ZS", "SLW")
            | {"convenience_fee": MULTIPLEX_FEE, "cancellation_policy": TIERED_POLICY},
        },
    ]


def _poster(title: str, language: str, top: Colour, bottom: Colour) -> bytes:
    """A demo movie's poster, as a PNG an admin might upload."""
    width, height = 480, 720
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        share = y / (height - 1)
        draw.line([(0, y), (width, y)], fill=_mix(top, bottom, share))
    sun = _mix(top, (255, 230, 180), 0.55)
    draw.ellipse((72, 96, width - 72, 96 + width - 144), fill=sun)
    for index, line in enumerate(textwrap.wrap(title.upper(), 12)):
        at = (width / 2, height * 0.62 + index * 62)
        draw.text(at, line, font=ImageFont.load_default(54), fill="white", anchor="ma")
    small = ImageFont.load_default(26)
    draw.text((width / 2, height - 60), language.upper(), font=small, fill="white", anchor="ma")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _mix(a: Colour, b: Colour, share: float) -> Colour:
    return (
        round(a[0] + (b[0] - a[0]) * share),
        round(a[1] + (b[1] - a[1]) * share),
        round(a[2] + (b[2] - a[2]) * share),
    )


def _rules(day_type: DayType, prices: dict[str, int]) -> list[PriceRuleIn]:
    return [PriceRuleIn(seat_type=t, day_type=day_type, amount=a) for t, a in prices.items()]


async def seed_demo(session: AsyncSession, settings: Settings, now: datetime) -> bool:
    """Loads the demo catalogue; False (and nothing done) when it is already present."""
    if await catalogue_repository.find_theatre_by_name(session, *MARKER_THEATRE) is not None:
        return False
    zone = ZoneInfo(TIMEZONE)
    today = now.astimezone(zone).date()

    movies = [
        await catalogue_service.create_movie(
            session,
            MovieCreate.model_validate({**movie, "release_date": today - timedelta(days=7 * i)}),
            now,
        )
        for i, movie in enumerate(MOVIES)
    ]
    for movie, (top, bottom) in zip(movies, POSTER_COLOURS, strict=True):
        poster = _poster(movie.title, movie.language, top, bottom)
        await posters.replace_poster(session, movie.id, "image/png", poster, now)

    screen_index = 0
    for spec in _theatres(today):
        theatre = await catalogue_service.create_theatre(
            session,
            TheatreCreate(
                name=spec["name"],
                city=spec["city"],
                address=spec["address"],
                timezone=TIMEZONE,
                holidays=spec["holidays"],
            ),
            now,
        )
        await catalogue_service.update_theatre(
            session, theatre.id, TheatrePatch.model_validate(spec["money"]), now
        )
        rules = _rules(DayType.WEEKDAY, WEEKDAY) + _rules(DayType.WEEKEND, WEEKEND)
        if spec["holiday_prices"]:
            rules += _rules(DayType.HOLIDAY, HOLIDAY)
        await pricing_service.replace_theatre_rules(session, theatre.id, rules, now)

        for name, rows in spec["screens"]:
            screen = await catalogue_service.create_screen(
                session, theatre.id, ScreenCreate.model_validate({"name": name, "rows": rows}), now
            )
            if name == "Gold Class":  # a premium screen: its own VIP prices beat the theatre's
                await pricing_service.replace_screen_rules(
                    session,
                    screen.screen.id,
                    _rules(DayType.WEEKDAY, {"VIP": 65000})
                    + _rules(DayType.WEEKEND, {"VIP": 75000}),
                    now,
                )
            for day in range(DAYS):
                for slot, at in enumerate(SHOW_TIMES):
                    starts_at = datetime.combine(today + timedelta(days=day), at, tzinfo=zone)
                    if starts_at <= now + timedelta(minutes=15):
                        continue
                    movie = movies[(screen_index + day + slot) % len(movies)]
                    overrides = (
                        [{"seat_type": "VIP", "amount": 70000}]
                        if slot == len(SHOW_TIMES) - 1 and day == 1
                        else []
                    )
                    await schedule.create_show(
                        session,
                        settings,
                        ShowCreate.model_validate(
                            {
                                "movie_id": movie.id,
                                "screen_id": screen.screen.id,
                                "starts_at": starts_at,
                                "price_overrides": overrides,
                            }
                        ),
                        now,
                    )
            screen_index += 1
    return True
