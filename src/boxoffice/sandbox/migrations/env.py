"""Alembic environment of the sandbox's own tables: a lineage apart from the application's, with
a version table of its own, run by `boxoffice.sandbox.migrate` on the sandbox's database (the
application's on PostgreSQL, the sandbox's own file on SQLite) and only where the sandbox is on."""

from __future__ import annotations

from alembic import context

from boxoffice.db.migrate import only_tables_of
from boxoffice.sandbox.migrate import VERSION_TABLE
from boxoffice.sandbox.models import SandboxBase

target_metadata = SandboxBase.metadata


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=target_metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_name=only_tables_of(target_metadata),
)
with context.begin_transaction():
    context.run_migrations()
