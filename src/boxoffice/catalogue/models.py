from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    false,
    func,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from boxoffice.db.base import Base, IdMixin, TimestampMixin, str_enum


class SeatType(Base):
    """Seat types are data (VIP, GOLD, SILVER are seeded by the first migration)."""

    __tablename__ = "seat_types"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    rank: Mapped[int] = mapped_column(Integer)  # display order, best first


class ShowFormat(Base):
    """The formats a show may be in, as data (2D, 3D, IMAX 2D, IMAX 3D, 4DX, SCREENX are seeded
    by migration 0021; another is a row)."""

    __tablename__ = "show_formats"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    rank: Mapped[int] = mapped_column(Integer)  # display order


class Theatre(IdMixin, TimestampMixin, Base):
    __tablename__ = "theatres"

    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100), index=True)
    address: Mapped[str] = mapped_column(String(500))
    timezone: Mapped[str] = mapped_column(String(64))  # IANA name
    holidays: Mapped[list[str]] = mapped_column(JSON, default=list)  # ISO dates, local
    # Money (SPEC "Money", shapes in money.terms; migration 0011). No gstin: not registered for
    # GST, so its tickets carry none. `cancellation_policy` null: the default policy.
    legal_name: Mapped[str | None] = mapped_column(String(200))
    gstin: Mapped[str | None] = mapped_column(String(15))
    state_code: Mapped[str | None] = mapped_column(String(2))
    sac: Mapped[str | None] = mapped_column(String(6))
    invoice_prefix: Mapped[str] = mapped_column(String(8), default="INV", server_default="INV")
    prices_include_tax: Mapped[bool] = mapped_column(default=True, server_default=true())
    convenience_fee: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, default=list, server_default="[]"
    )
    cancellation_policy: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # Bumped by every change of its terms: the sale path's charge tables name the version they
    # were built from, and the claim refuses an older one (migration 0018).
    terms_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Screen(IdMixin, TimestampMixin, Base):
    __tablename__ = "screens"
    __table_args__ = (UniqueConstraint("theatre_id", "name"),)

    theatre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("theatres.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # Where "best available" aims (a seat, by row and number), when the screen names one
    # (migration 0008); else the middle of the row two thirds back (bookings.best_available).
    sweet_spot_row: Mapped[str | None] = mapped_column(String(5))
    sweet_spot_number: Mapped[int | None] = mapped_column(Integer)


# "Audi 1" and "AUDI 1" are one screen: the database refuses the second (migration 0016).
Index("uq_screens_theatre_id_lower_name", Screen.theatre_id, func.lower(Screen.name), unique=True)


class Accessibility(enum.StrEnum):
    WHEELCHAIR = "WHEELCHAIR"  # a space for a wheelchair
    COMPANION = "COMPANION"  # a seat next to a wheelchair space, for the person with them


class Seat(IdMixin, Base):
    __tablename__ = "seats"
    __table_args__ = (
        UniqueConstraint("screen_id", "label"),
        # One seat per (row, number) and per grid position (migration 0016).
        Index("uq_seats_screen_id_row_number", "screen_id", "row", "number", unique=True),
        Index("uq_seats_screen_id_x_y", "screen_id", "x", "y", unique=True),
    )

    screen_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("screens.id"))
    row: Mapped[str] = mapped_column(String(5))
    number: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(10))
    seat_type: Mapped[str] = mapped_column(ForeignKey("seat_types.code"))
    x: Mapped[int] = mapped_column(Integer)
    y: Mapped[int] = mapped_column(Integer)
    # Independent of its type (SPEC "Back office"): a wheelchair space, a companion seat next to
    # one, or neither (null); best available hands them out only when asked (migration 0022).
    accessibility: Mapped[Accessibility | None] = mapped_column(str_enum(Accessibility))


class Movie(IdMixin, TimestampMixin, Base):
    __tablename__ = "movies"

    title: Mapped[str] = mapped_column(String(300), index=True)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(50))  # its original language
    # The audio languages it is released in (a show's language is one of them; migration 0021).
    languages: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    certificate: Mapped[str] = mapped_column(String(10))
    genres: Mapped[list[str]] = mapped_column(JSON, default=list)
    release_date: Mapped[date]
    # The poster's ETag while it has one (its bytes are in `movie_posters`): the movie's answer
    # names the poster's address without reading the image (migration 0019).
    poster_etag: Mapped[str | None] = mapped_column(String(32))


class MoviePoster(Base):
    """A movie's poster as the server re-encoded it, in a table of its own so that no read of
    a movie loads its bytes. In the database, not on a disk, so that every API process on any
    host serves the same poster with nothing else to share (README "Posters")."""

    __tablename__ = "movie_posters"

    movie_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("movies.id"), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(30))
    image: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime]


class ShowStatus(enum.StrEnum):
    SCHEDULED = "SCHEDULED"
    CANCELLED = "CANCELLED"


class DayType(enum.StrEnum):
    WEEKDAY = "WEEKDAY"
    WEEKEND = "WEEKEND"
    HOLIDAY = "HOLIDAY"


class Show(IdMixin, TimestampMixin, Base):
    __tablename__ = "shows"
    __table_args__ = (
        Index("ix_shows_screen_id_starts_at", "screen_id", "starts_at"),
        # Two scheduled shows never start together on one screen (the overlap rule's core, kept
        # by the database even when two creates race; migration 0016).
        Index(
            "uq_shows_screen_id_starts_at_scheduled",
            "screen_id",
            "starts_at",
            unique=True,
            postgresql_where=text("status = 'SCHEDULED'"),
            sqlite_where=text("status = 'SCHEDULED'"),
        ),
        # The sales report: a theatre's shows over a range of days.
        Index("ix_shows_theatre_id_starts_at", "theatre_id", "starts_at"),
    )

    movie_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("movies.id"), index=True)
    screen_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("screens.id"))
    # Denormalised from the screen so that listing by theatre or city needs no extra join.
    theatre_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("theatres.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    day_type: Mapped[DayType] = mapped_column(str_enum(DayType))
    status: Mapped[ShowStatus] = mapped_column(str_enum(ShowStatus))
    currency: Mapped[str] = mapped_column(String(3))
    cancelled_at: Mapped[datetime | None]
    # Checked against `show_formats` and the movie's `languages` when scheduled (migration 0021).
    format: Mapped[str] = mapped_column(String(20), server_default="2D")
    language: Mapped[str] = mapped_column(String(50), server_default="")  # audio
    subtitles: Mapped[str | None] = mapped_column(String(50))
    # Its seats (fixed when the show is made: a new layout never touches an existing show), so
    # that how full a show is needs no count.
    seat_count: Mapped[int] = mapped_column(Integer, server_default="0")
    # Set by `boxoffice archive` once its seat rows are gone (retention): its seat map is gone.
    archived_at: Mapped[datetime | None]
    # Sold through the fair on-sale queue (`boxoffice.queue`) when set: the opening of the
    # on-sale the show sells in (`OnSaleShow`), while that on-sale is in force; a hold then needs
    # its admission token. Kept with the show by `onsale_repository` (the one writer) so that the
    # show's reads and the sale path's summary read it with the show, with no join.
    queue_opens_at: Mapped[datetime | None]


class OnSale(IdMixin, Base):
    """Shows sold together behind one fair queue (`boxoffice.queue`, migration 0030): one
    opening, one draw, one pace, one place per visitor, one admission for every show of it. A
    show's own queue (`PUT /shows/{id}/queue`) is an on-sale of that one show. Lifted: its shows
    went on sale to all (their `queue_opens_at` is null); the row stays, with its draw, if any."""

    __tablename__ = "onsales"

    name: Mapped[str] = mapped_column(String(200))
    opens_at: Mapped[datetime]
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    lifted_at: Mapped[datetime | None]


class OnSaleShow(Base):
    """A show sold through an on-sale: one on-sale a show at a time (the key)."""

    __tablename__ = "onsale_shows"

    show_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shows.id"), primary_key=True)
    onsale_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("onsales.id"), index=True)


class ShowSeat(Base):
    """The inventory: one row per seat of a show, created with the show.

    A seat is free when `booking_id` is NULL or its hold ran out (`held_until` in the past); a
    confirmed seat has a `booking_id` and no `held_until`. Because each (show, seat) is one row
    with one `booking_id`, two live bookings can never own the same seat: the hold is a single
    conditional UPDATE of these rows (see bookings.repository).
    """

    __tablename__ = "show_seats"

    show_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shows.id"), primary_key=True)
    seat_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("seats.id"), primary_key=True)
    seat_type: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(10))
    price: Mapped[int] = mapped_column(Integer)  # current price, minor units
    # Deferred: the hold claims the seats first and inserts its booking in the same transaction.
    booking_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("bookings.id", deferrable=True, initially="DEFERRED")
    )
    held_until: Mapped[datetime | None]
    # Times this row was written: a show's seat-map version is their sum (migration 0004).
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    # Off sale (house seats, a broken seat, a camera): every claim refuses it, in the claim's own
    # conditional write; `seat_blocks` says why, who and when (migration 0022).
    blocked: Mapped[bool] = mapped_column(default=False, server_default=false())


class SeatBlock(IdMixin, Base):
    """The audit of a seat taken off sale in one show: why, by whom and when, and, once it is
    back on sale, by whom and when. `ShowSeat.blocked` is what the claim reads; at most one block
    of a seat is open (not yet lifted) at a time."""

    __tablename__ = "seat_blocks"
    __table_args__ = (
        Index("ix_seat_blocks_show_id_blocked_at", "show_id", "blocked_at"),
        Index(
            "uq_seat_blocks_show_id_seat_id_open",
            "show_id",
            "seat_id",
            unique=True,
            postgresql_where=text("unblocked_at IS NULL"),
            sqlite_where=text("unblocked_at IS NULL"),
        ),
    )

    show_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shows.id"))
    # No foreign key: the audit outlives a layout that is replaced; the label says which seat.
    seat_id: Mapped[uuid.UUID]
    label: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(200))
    blocked_by: Mapped[str] = mapped_column(String(100))  # the actor: "user:<id>"
    blocked_at: Mapped[datetime]
    unblocked_by: Mapped[str | None] = mapped_column(String(100))
    unblocked_at: Mapped[datetime | None]
