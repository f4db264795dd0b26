"""movies have posters

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-08 10:00:00

A poster's bytes live in a table of their own (`movie_posters`), so that reading a movie, a show
with its movie, or the list of movies never loads an image; `movies.poster_etag` says whether a
movie has one, and which, so that its answer names the poster's address and a revalidation is
answered without the image.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("movies", sa.Column("poster_etag", sa.String(length=32), nullable=True))
    op.create_table(
        "movie_posters",
        sa.Column("movie_id", sa.Uuid(), nullable=False),
        sa.Column("media_type", sa.String(length=30), nullable=False),
        sa.Column("image", sa.LargeBinary(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["movie_id"], ["movies.id"], name=op.f("fk_movie_posters_movie_id_movies")
        ),
        sa.PrimaryKeyConstraint("movie_id", name=op.f("pk_movie_posters")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # WebP is compressed already: stored out of line without another try at compressing it.
        op.execute("ALTER TABLE movie_posters ALTER COLUMN image SET STORAGE EXTERNAL")


def downgrade() -> None:
    op.drop_table("movie_posters")
    # In place on both engines (see 0028): a batch operation would copy `movies` and drop the
    # original, which SQLite's foreign keys refuse once other rows point at a movie.
    op.execute("ALTER TABLE movies DROP COLUMN poster_etag")
