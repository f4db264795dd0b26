"""the sale path's functions written out whole, in one file

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 09:00:00

`boxoffice_hold` and `boxoffice_release_hold` were built by 0004 and string-patched by 0010
(its SKIP LOCKED claim), so neither was written out whole anywhere. Now they are, in
`0013_sale_path.sql` beside this file, as they stood after 0010: the same behaviour, laid out
to be read. A later change of either writes the next version out whole the same way
(`<revision>_sale_path.sql`, loaded by its own migration); tests/db/test_sale_path_functions.py
checks that the database's functions are the newest file's.

PostgreSQL only (SQLite holds through the ORM). Downgrade keeps them: those before behave the same.
"""

from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SALE_PATH = Path(__file__).with_name("0013_sale_path.sql")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # One function a statement (a prepared statement takes one command); each ends "$$;".
        for function in SALE_PATH.read_text().split("$$;")[:-1]:
            op.execute(function + "$$;")


def downgrade() -> None:
    pass
