"""the back office: managers of theatres, show formats and languages, rate cards by format

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 11:00:00

- `manager_theatres`: the theatres a `manager` account runs (SPEC "Back office").
- `show_formats`: the formats a show may be in, as data (a new one is a row, no code): 2D, 3D,
  IMAX 2D, IMAX 3D, 4DX, SCREENX.
- `movies.languages`: the audio languages a movie is released in; existing movies get their one
  `language`.
- `shows.format`, `shows.language` (the audio language, one of its movie's), `shows.subtitles`:
  existing shows become 2D in their movie's language. Checked by the catalogue against
  `show_formats` and the movie (no foreign key: SQLite could add one only by copying `shows`).
- `price_rules.format`: a rule for one format (null: any format); one rule per owner, seat type,
  day type and format.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FORMATS = ["2D", "3D", "IMAX 2D", "IMAX 3D", "4DX", "SCREENX"]
JSON_ARRAY = {"postgresql": "json_build_array(language)", "sqlite": "json_array(language)"}
ANY_FORMAT = "coalesce(format, '')"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "manager_theatres",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("theatre_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["theatre_id"], ["theatres.id"], name=op.f("fk_manager_theatres_theatre_id_theatres")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_manager_theatres_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", "theatre_id", name=op.f("pk_manager_theatres")),
    )
    formats = op.create_table(
        "show_formats",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_show_formats")),
    )
    op.bulk_insert(
        formats, [{"code": code, "name": code, "rank": rank} for rank, code in enumerate(FORMATS)]
    )
    op.add_column(
        "movies",
        sa.Column("languages", sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
    )
    op.execute(f"UPDATE movies SET languages = {JSON_ARRAY[dialect]}")
    op.add_column(
        "shows", sa.Column("format", sa.String(length=20), nullable=False, server_default="2D")
    )
    op.add_column(
        "shows", sa.Column("language", sa.String(length=50), nullable=False, server_default="")
    )
    op.add_column("shows", sa.Column("subtitles", sa.String(length=50), nullable=True))
    op.execute(
        "UPDATE shows SET language = (SELECT movies.language FROM movies"
        " WHERE movies.id = shows.movie_id)"
    )
    op.add_column("price_rules", sa.Column("format", sa.String(length=20), nullable=True))
    for owner in ("theatre", "screen"):
        op.drop_index(f"uq_price_rules_{owner}", table_name="price_rules")
        op.create_index(
            f"uq_price_rules_{owner}",
            "price_rules",
            [f"{owner}_id", "seat_type", "day_type", sa.text(ANY_FORMAT)],
            unique=True,
        )


def downgrade() -> None:
    op.execute("DELETE FROM price_rules WHERE format IS NOT NULL")
    for owner in ("theatre", "screen"):
        op.drop_index(f"uq_price_rules_{owner}", table_name="price_rules")
        op.create_index(
            f"uq_price_rules_{owner}",
            "price_rules",
            [f"{owner}_id", "seat_type", "day_type"],
            unique=True,
        )
    with op.batch_alter_table("price_rules") as batch:
        batch.drop_column("format")
    with op.batch_alter_table("shows") as batch:
        for column in ("subtitles", "language", "format"):
            batch.drop_column(column)
    with op.batch_alter_table("movies") as batch:
        batch.drop_column("languages")
    op.drop_table("show_formats")
    op.drop_table("manager_theatres")
