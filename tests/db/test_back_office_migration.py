"""Migration 0021 on a database with a catalogue: existing shows become 2D in their movie's
language, movies list their one language, price rules price any format; and back down."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from tests.db.test_migrations import _on, application_steps, empty_database

from boxoffice.db.base import UTCDateTime

__all__ = ["empty_database"]  # the fixture, from the migrations' own tests

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _table(name: str, *columns: str) -> sa.TableClause:
    types = {
        "holidays": sa.JSON(),
        "genres": sa.JSON(),
        "release_date": sa.Date(),
        "duration_minutes": sa.Integer(),
        "amount": sa.Integer(),
    }
    return sa.table(
        name,
        *(
            sa.column(
                c,
                sa.Uuid()
                if c == "id" or c.endswith("_id")
                else UTCDateTime()
                if c.endswith("_at")
                else types.get(c, sa.String()),
            )
            for c in columns
        ),
    )


def _catalogue(sync: sa.Connection) -> dict[str, uuid.UUID]:
    ids = {name: uuid.uuid4() for name in ("theatre", "screen", "movie", "show", "rule")}
    sync.execute(
        sa.insert(
            _table(
                "theatres", "id", "name", "city", "address", "timezone", "holidays", "created_at"
            )
        ).values(
            id=ids["theatre"],
            name="Old",
            city="Pune",
            address="FC Road",
            timezone="Asia/Kolkata",
            holidays=[],
            created_at=NOW,
        )
    )
    sync.execute(
        sa.insert(_table("screens", "id", "theatre_id", "name", "created_at")).values(
            id=ids["screen"], theatre_id=ids["theatre"], name="Audi 1", created_at=NOW
        )
    )
    movie = _table(
        "movies",
        "id",
        "title",
        "duration_minutes",
        "language",
        "certificate",
        "genres",
        "release_date",
        "created_at",
    )
    sync.execute(
        sa.insert(movie).values(
            id=ids["movie"],
            title="Old Film",
            duration_minutes=100,
            language="Marathi",
            certificate="U",
            genres=[],
            release_date=date(2026, 11, 1),
            created_at=NOW,
        )
    )
    show = _table(
        "shows",
        "id",
        "movie_id",
        "screen_id",
        "theatre_id",
        "starts_at",
        "ends_at",
        "day_type",
        "status",
        "currency",
        "created_at",
    )
    sync.execute(
        sa.insert(show).values(
            id=ids["show"],
            movie_id=ids["movie"],
            screen_id=ids["screen"],
            theatre_id=ids["theatre"],
            starts_at=NOW + timedelta(days=2),
            ends_at=NOW + timedelta(days=2, minutes=100),
            day_type="WEEKDAY",
            status="SCHEDULED",
            currency="INR",
            created_at=NOW,
        )
    )
    rule = _table("price_rules", "id", "theatre_id", "seat_type", "day_type", "amount")
    sync.execute(
        sa.insert(rule).values(
            id=ids["rule"],
            theatre_id=ids["theatre"],
            seat_type="GOLD",
            day_type="WEEKDAY",
            amount=20000,
        )
    )
    return ids


def test_existing_shows_become_2d_in_their_movies_language(empty_database: str) -> None:
    _on(empty_database, application_steps(("upgrade", "0020")))
    ids = _on(empty_database, _catalogue)
    _on(empty_database, application_steps(("upgrade", "head")))

    def read(sync: sa.Connection) -> tuple[object, ...]:
        shows = sync.execute(sa.text("SELECT format, language, subtitles FROM shows")).one()
        movie = sync.execute(
            sa.select(sa.column("languages", sa.JSON())).select_from(sa.table("movies"))
        ).scalar_one()
        rule = sync.execute(sa.text("SELECT format FROM price_rules")).scalar_one()
        formats = sync.execute(sa.text("SELECT code FROM show_formats ORDER BY rank")).scalars()
        return tuple(shows), movie, rule, list(formats)

    show, languages, rule_format, formats = _on(empty_database, read)
    assert show == ("2D", "Marathi", None)
    assert languages == ["Marathi"]
    assert rule_format is None
    assert formats == ["2D", "3D", "IMAX 2D", "IMAX 3D", "4DX", "SCREENX"]
    assert ids

    _on(empty_database, application_steps(("downgrade", "0020")))
    columns = _on(empty_database, lambda sync: sa.inspect(sync).get_columns("shows"))
    assert not {"format", "language", "subtitles"} & {c["name"] for c in columns}
