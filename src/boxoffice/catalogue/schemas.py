"""Request and response shapes of the catalogue: theatres, screens, movies, shows, seat maps.

Request bodies are strict about what a client can get wrong: unknown fields are refused (a typo
in a PATCH must not silently change nothing), strings are trimmed and bounded, integers are real
JSON integers (not "12", 12.0 or true), dates are "YYYY-MM-DD" strings and instants are ISO 8601
strings with an offset.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    field_validator,
    model_validator,
)

from boxoffice.catalogue.models import Accessibility, DayType, ShowStatus
from boxoffice.money import terms
from boxoffice.text import Text10, Text20, Text50, Text100, Text200, Text300, Text500

MAX_ROWS = 60
MAX_SEATS_PER_ROW = 100
MIN_AMOUNT = 100  # one rupee: the smallest amount Razorpay accepts
MAX_AMOUNT = 10_000_000  # one lakh rupees a seat: anything above is a typo


def _iso_date_string(value: Any) -> Any:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or len(value) != 10:
        raise ValueError("must be a date written YYYY-MM-DD")
    return value


def _iso_datetime_string(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError("must be an ISO 8601 date-time with an offset")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date_string)]


def _within_calendar(value: datetime) -> datetime:
    """Keeps instants where date arithmetic is safe (no year 1 or 9999 overflow)."""
    if not 2000 <= value.year <= 2200:
        raise ValueError("must be between the years 2000 and 2200")
    return value.astimezone(UTC)


IsoInstant = Annotated[
    AwareDatetime, BeforeValidator(_iso_datetime_string), AfterValidator(_within_calendar)
]
StrictInt = Annotated[int, Strict()]
StrictBool = Annotated[bool, Strict()]
Amount = Annotated[int, Strict(), Field(ge=MIN_AMOUNT, le=MAX_AMOUNT)]
SeatTypeCode = Text20


@lru_cache(maxsize=1)
def _known_timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def _iana_timezone(value: str) -> str:
    if value not in _known_timezones():
        raise ValueError(f"{value!r} is not an IANA timezone name (e.g. 'Asia/Kolkata')")
    return value


Timezone = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_iana_timezone)]


def _unique_sorted_dates(values: list[date]) -> list[date]:
    return sorted(set(values))


Holidays = Annotated[list[IsoDate], Field(max_length=366), AfterValidator(_unique_sorted_dates)]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Patch(Request):
    """A partial update: absent fields stay as they are; null is not a value for any of them."""

    @model_validator(mode="after")
    def _no_nulls(self) -> Patch:
        nulls = [name for name in self.model_fields_set if getattr(self, name) is None]
        if nulls:
            raise ValueError(f"fields cannot be null: {', '.join(sorted(nulls))}")
        if not self.model_fields_set:
            raise ValueError("nothing to change")
        return self

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


# --- theatres ---------------------------------------------------------------------------------


class TheatreCreate(Request):
    name: Text200
    city: Text100
    address: Text500
    timezone: Timezone
    holidays: Holidays = Field(default_factory=list)


class TheatrePatch(Patch):
    name: Text200 | None = None
    city: Text100 | None = None
    address: Text500 | None = None
    timezone: Timezone | None = None
    holidays: Holidays | None = None
    legal_name: Text200 | None = None
    gstin: terms.Gstin | None = None
    state_code: terms.StateCode | None = None
    sac: terms.Sac | None = None
    invoice_prefix: terms.InvoicePrefix | None = None
    prices_include_tax: StrictBool | None = None
    convenience_fee: terms.FeeSchedule | None = None
    cancellation_policy: terms.Policy | None = None


class TheatreOut(BaseModel):
    id: uuid.UUID
    name: str
    city: str
    address: str
    timezone: str
    holidays: list[date]
    created_at: datetime
    legal_name: str | None
    gstin: str | None = Field(description="null: not registered for GST (no GST charged)")
    state_code: str | None
    sac: str | None
    invoice_prefix: str
    prices_include_tax: bool
    convenience_fee: list[terms.FeeSlabIn]
    cancellation_policy: list[terms.PolicyTierIn] = Field(
        description="the theatre's tiers, or the default policy's when it has set none"
    )


class TheatreList(BaseModel):
    items: list[TheatreOut]
    limit: int
    offset: int


# --- screens ----------------------------------------------------------------------------------


RowLabel = Annotated[str, StringConstraints(pattern=r"^[A-Z]{1,3}$")]


class RowLayout(Request):
    label: RowLabel = Field(description="1 to 3 capital letters, unique in the screen")
    seat_type: SeatTypeCode
    seats: Annotated[int, Strict(), Field(ge=1, le=MAX_SEATS_PER_ROW)]
    aisles_after: list[StrictInt] = Field(
        default_factory=list,
        max_length=MAX_SEATS_PER_ROW,
        description="seat numbers followed by an aisle, each within 1..seats-1",
    )
    wheelchair: list[StrictInt] = Field(
        default_factory=list,
        max_length=MAX_SEATS_PER_ROW,
        description="seat numbers that are wheelchair spaces (accessibility WHEELCHAIR)",
    )
    companions: list[StrictInt] = Field(
        default_factory=list,
        max_length=MAX_SEATS_PER_ROW,
        description="seat numbers that are companion seats (accessibility COMPANION), each "
        "next to a wheelchair space of the row with no aisle between",
    )

    @model_validator(mode="after")
    def _aisles_inside_the_row(self) -> RowLayout:
        if len(set(self.aisles_after)) != len(self.aisles_after):
            raise ValueError("aisles_after has a seat number twice")
        outside = [a for a in self.aisles_after if not 1 <= a <= self.seats - 1]
        if outside:
            raise ValueError(
                f"aisles_after {outside} outside 1..{self.seats - 1} (a row of {self.seats})"
            )
        return self

    @model_validator(mode="after")
    def _companions_beside_wheelchair_spaces(self) -> RowLayout:
        for name in ("wheelchair", "companions"):
            numbers = getattr(self, name)
            if len(set(numbers)) != len(numbers):
                raise ValueError(f"{name} has a seat number twice")
            outside = [n for n in numbers if not 1 <= n <= self.seats]
            if outside:
                raise ValueError(f"{name} {outside} outside 1..{self.seats} (row {self.label})")
        both = sorted(set(self.wheelchair) & set(self.companions))
        if both:
            raise ValueError(f"seats {both} of row {self.label} are both wheelchair and companion")
        spaces, aisles = set(self.wheelchair), set(self.aisles_after)
        alone = [
            n
            for n in self.companions
            if not (n - 1 in spaces and n - 1 not in aisles)
            and not (n + 1 in spaces and n not in aisles)
        ]
        if alone:
            raise ValueError(
                f"companions {alone} of row {self.label} are not next to a wheelchair space "
                "(same row, no aisle between)"
            )
        return self

    def accessibility_of(self, number: int) -> Accessibility | None:
        if number in self.wheelchair:
            return Accessibility.WHEELCHAIR
        if number in self.companions:
            return Accessibility.COMPANION
        return None


class SweetSpot(Request):
    """The seat "best available" aims for: its row label and seat number."""

    row: RowLabel
    number: Annotated[int, Strict(), Field(ge=1, le=MAX_SEATS_PER_ROW)]


class Layout(Request):
    rows: list[RowLayout] = Field(min_length=1, max_length=MAX_ROWS)
    sweet_spot: SweetSpot | None = Field(
        None, description="default: the middle of the row about two thirds of the way back"
    )

    @field_validator("rows")
    @classmethod
    def _unique_labels(cls, rows: list[RowLayout]) -> list[RowLayout]:
        labels = [row.label for row in rows]
        twice = sorted({label for label in labels if labels.count(label) > 1})
        if twice:
            raise ValueError(f"row labels appear more than once: {', '.join(twice)}")
        return rows

    @model_validator(mode="after")
    def _sweet_spot_is_a_seat(self) -> Layout:
        spot = self.sweet_spot
        if spot is None:
            return self
        row = next((row for row in self.rows if row.label == spot.row), None)
        if row is None:
            raise ValueError(f"sweet_spot: the layout has no row {spot.row}")
        if spot.number > row.seats:
            raise ValueError(f"sweet_spot: row {spot.row} has {row.seats} seats")
        return self


class ScreenCreate(Layout):
    name: Text100


class SeatOut(BaseModel):
    id: uuid.UUID
    label: str
    row: str
    number: int
    seat_type: str
    x: int
    y: int
    accessibility: Accessibility | None = Field(
        description="WHEELCHAIR (a space), COMPANION (next to one) or null"
    )


class SweetSpotOut(BaseModel):
    row: str
    number: int


class ScreenOut(BaseModel):
    id: uuid.UUID
    theatre_id: uuid.UUID
    name: str
    created_at: datetime
    sweet_spot: SweetSpotOut | None  # null: the default (see ScreenCreate)
    seat_count: int
    seats: list[SeatOut]


class ScreenSummary(BaseModel):
    id: uuid.UUID
    theatre_id: uuid.UUID
    name: str
    created_at: datetime
    sweet_spot: SweetSpotOut | None


class ScreenList(BaseModel):
    items: list[ScreenSummary]


# --- movies -----------------------------------------------------------------------------------


def _unique_languages(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


Languages = Annotated[
    list[Text50],
    Field(max_length=20, description="the audio languages it is released in"),
    AfterValidator(_unique_languages),
]
FormatCode = Annotated[Text20, Field(description="a format's code (GET /formats), e.g. 3D")]


class MovieCreate(Request):
    title: Text300
    duration_minutes: Annotated[int, Strict(), Field(ge=1, le=600)]
    language: Text50 = Field(description="its original language (always one of `languages`)")
    languages: Languages = Field(default_factory=list)
    certificate: Text10
    genres: list[Text50] = Field(default_factory=list, max_length=10)
    release_date: IsoDate


class MoviePatch(Patch):
    title: Text300 | None = None
    duration_minutes: Annotated[int, Strict(), Field(ge=1, le=600)] | None = None
    language: Text50 | None = None
    languages: Languages | None = None
    certificate: Text10 | None = None
    genres: Annotated[list[Text50], Field(max_length=10)] | None = None
    release_date: IsoDate | None = None


class MovieOut(BaseModel):
    id: uuid.UUID
    title: str
    duration_minutes: int
    language: str
    languages: list[str] = Field(description="the audio languages it is released in")
    certificate: str
    genres: list[str]
    release_date: date
    created_at: datetime
    poster_url: str | None = Field(
        description="The poster (WebP), this version of it: cacheable for good; null: none"
    )


class MovieList(BaseModel):
    items: list[MovieOut]
    limit: int
    offset: int


# --- shows ------------------------------------------------------------------------------------


class PriceOverride(Request):
    seat_type: SeatTypeCode
    amount: Amount


class ShowCreate(Request):
    movie_id: uuid.UUID
    screen_id: uuid.UUID
    starts_at: IsoInstant = Field(description="ISO 8601 with an offset, in the future")
    format: FormatCode = "2D"
    language: Text50 | None = Field(
        None, description="the audio language, one of the movie's `languages` (default: its own)"
    )
    subtitles: Text50 | None = None
    price_overrides: list[PriceOverride] = Field(default_factory=list, max_length=20)

    @field_validator("price_overrides")
    @classmethod
    def _one_override_per_seat_type(cls, overrides: list[PriceOverride]) -> list[PriceOverride]:
        types = [o.seat_type for o in overrides]
        twice = sorted({t for t in types if types.count(t) > 1})
        if twice:
            raise ValueError(f"more than one override for: {', '.join(twice)}")
        return overrides


class ShowOut(BaseModel):
    id: uuid.UUID
    movie_id: uuid.UUID
    screen_id: uuid.UUID
    theatre_id: uuid.UUID
    starts_at: datetime = Field(description="in the theatre's local offset")
    ends_at: datetime = Field(description="starts_at + the movie's duration")
    timezone: str
    format: str
    language: str = Field(description="the audio language")
    subtitles: str | None
    day_type: DayType
    status: ShowStatus
    currency: str
    prices: dict[str, int]
    cancelled_at: datetime | None
    created_at: datetime
    seat_count: int = Field(description="the show's seats")
    queue_opens_at: datetime | None = Field(
        default=None, description="sold through the on-sale queue, which opens then"
    )


MAX_BATCH = 200


class ShowBatch(Request):
    """Shows to schedule together: all of them, or none."""

    shows: list[ShowCreate] = Field(min_length=1, max_length=MAX_BATCH)


class ShowBatchOut(BaseModel):
    shows: list[ShowOut]


class FormatOut(BaseModel):
    code: str
    name: str


class ScreenName(BaseModel):
    id: uuid.UUID
    name: str


class ShowDetailOut(ShowOut):
    """One show with what a page about it names, so that it needs one answer: the movie, the
    theatre (its address and timezone) and the screen."""

    movie: MovieOut
    theatre: TheatreOut
    screen: ScreenName


class ShowListItem(ShowOut):
    seats_sold: int = Field(description="seats of bookings BOOKED now (held seats not counted)")


class ShowList(BaseModel):
    items: list[ShowListItem]
    limit: int
    offset: int


# --- seat map ---------------------------------------------------------------------------------


class SeatMapSeat(BaseModel):
    id: uuid.UUID
    label: str
    row: str
    number: int
    seat_type: str
    x: int
    y: int
    price: int
    status: str = Field(description="AVAILABLE, HELD, BOOKED or BLOCKED (off sale)")
    accessibility: Accessibility | None = Field(
        description="WHEELCHAIR (a space), COMPANION (next to one) or null"
    )


class SeatMap(BaseModel):
    show_id: uuid.UUID
    currency: str
    version: int  # never decreases; grows with every write to the show's seats
    seats: list[SeatMapSeat]
