"""money: dated tax rules with slabs (India's rates seeded), films' state waivers, and a
theatre's GST registration, invoice prefix, tax-inclusive pricing, fee and cancellation policy

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 09:00:00

`tax_rule_versions` (category, effective_from: unique) with `tax_slabs` (ascending by
`position`, `up_to` paise of taxable value per ticket, inclusive, null for the open top, at most
one a version), seeded with SPEC "Money"'s rates: ADMISSION from 2019-01-01 12 % up to ₹100 and
18 % above, from 2025-09-22 5 % up to ₹100 and 18 % above; FEE from 2017-07-01 18 %.
`tax_exemptions`: a state waives its SGST on a film's tickets for a period.

Theatres gain nullable registration columns (no gstin: not registered, no GST), `invoice_prefix`
('INV'), `prices_include_tax` (true), `convenience_fee` ('[]': none) and `cancellation_policy`
(null: the default policy). Existing theatres are unregistered, so none of their prices changes.
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEEDED: list[tuple[str, date, list[tuple[int | None, int]]]] = [
    ("ADMISSION", date(2019, 1, 1), [(10_000, 1200), (None, 1800)]),
    ("ADMISSION", date(2025, 9, 22), [(10_000, 500), (None, 1800)]),
    ("FEE", date(2017, 7, 1), [(None, 1800)]),
]


def _theatre_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("legal_name", sa.String(length=200), nullable=True),
        sa.Column("gstin", sa.String(length=15), nullable=True),
        sa.Column("state_code", sa.String(length=2), nullable=True),
        sa.Column("sac", sa.String(length=6), nullable=True),
        sa.Column("invoice_prefix", sa.String(length=8), server_default="INV", nullable=False),
        sa.Column("prices_include_tax", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("convenience_fee", sa.JSON(), server_default="[]", nullable=False),
        sa.Column("cancellation_policy", sa.JSON(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "tax_rule_versions",
        sa.Column(
            "category",
            sa.Enum("ADMISSION", "FEE", name="taxcategory", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tax_rule_versions")),
        sa.UniqueConstraint(
            "category", "effective_from", name=op.f("uq_tax_rule_versions_category")
        ),
    )
    op.create_table(
        "tax_slabs",
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("up_to", sa.Integer(), nullable=True),
        sa.Column("rate_bp", sa.Integer(), nullable=False),
        sa.CheckConstraint("rate_bp BETWEEN 0 AND 10000", name=op.f("ck_tax_slabs_rate_bp_range")),
        sa.CheckConstraint(
            "up_to IS NULL OR up_to >= 0", name=op.f("ck_tax_slabs_up_to_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["tax_rule_versions.id"],
            name=op.f("fk_tax_slabs_version_id_tax_rule_versions"),
        ),
        sa.PrimaryKeyConstraint("version_id", "position", name=op.f("pk_tax_slabs")),
    )
    op.create_index(
        "uq_tax_slabs_open_top",
        "tax_slabs",
        ["version_id"],
        unique=True,
        postgresql_where=sa.text("up_to IS NULL"),
        sqlite_where=sa.text("up_to IS NULL"),
    )
    op.create_table(
        "tax_exemptions",
        sa.Column("movie_id", sa.Uuid(), nullable=False),
        sa.Column("state_code", sa.String(length=2), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("starts_on <= ends_on", name=op.f("ck_tax_exemptions_period_in_order")),
        sa.ForeignKeyConstraint(
            ["movie_id"], ["movies.id"], name=op.f("fk_tax_exemptions_movie_id_movies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tax_exemptions")),
    )
    op.create_index(
        "ix_tax_exemptions_movie_id_state_code", "tax_exemptions", ["movie_id", "state_code"]
    )
    for column in _theatre_columns():
        op.add_column("theatres", column)
    _seed()


def _seed() -> None:
    # Bound as the app's column types store them: SQLite keeps an instant as naive UTC text.
    created_at = datetime(2026, 12, 7, tzinfo=UTC)
    if op.get_bind().dialect.name == "sqlite":
        created_at = created_at.replace(tzinfo=None)
    versions = sa.table(
        "tax_rule_versions",
        sa.column("id", sa.Uuid()),
        sa.column("category", sa.String()),
        sa.column("effective_from", sa.Date()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    slabs = sa.table(
        "tax_slabs",
        sa.column("version_id", sa.Uuid()),
        sa.column("position", sa.Integer()),
        sa.column("up_to", sa.Integer()),
        sa.column("rate_bp", sa.Integer()),
    )
    version_rows: list[dict[str, object]] = []
    slab_rows: list[dict[str, object]] = []
    for category, effective_from, table in SEEDED:
        version_id = uuid.uuid4()
        version_rows.append(
            {
                "id": version_id,
                "category": category,
                "effective_from": effective_from,
                "created_at": created_at,
            }
        )
        slab_rows += [
            {"version_id": version_id, "position": i, "up_to": up_to, "rate_bp": rate_bp}
            for i, (up_to, rate_bp) in enumerate(table)
        ]
    op.bulk_insert(versions, version_rows)
    op.bulk_insert(slabs, slab_rows)


def downgrade() -> None:
    # Not batch mode: on SQLite it rebuilds the table and loses expression indexes reflection
    # cannot see (see 0008). Both engines drop a plain column in place.
    for column in reversed(_theatre_columns()):
        op.execute(f"ALTER TABLE theatres DROP COLUMN {column.name}")
    op.drop_index("ix_tax_exemptions_movie_id_state_code", table_name="tax_exemptions")
    op.drop_table("tax_exemptions")
    op.drop_index("uq_tax_slabs_open_top", table_name="tax_slabs")
    op.drop_table("tax_slabs")
    op.drop_table("tax_rule_versions")
