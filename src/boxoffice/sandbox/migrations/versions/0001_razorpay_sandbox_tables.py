"""razorpay sandbox tables: the offline Razorpay test double's own, in a lineage of their own

Revision ID: sandbox_0001
Revises: (none: the first of the sandbox's lineage, apart from the application's)
Create Date: 2026-12-08 09:00:00

The tables the application's migrations 0002, 0003 and 0005 used to make in every database. A
database they were made in keeps them, rows and all (the sandbox's keys among them): each table
is created only where it is absent, and a config table made before 0003 or 0005 gets the column
it lacks. Downgrading drops them, whoever made them.
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "sandbox_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("sandbox",)
depends_on: str | Sequence[str] | None = None

# Columns the application's 0003 and 0005 added to a config table that 0002 had made.
LATER_CONFIG_COLUMNS = {
    "auto_capture": lambda: sa.Column(
        "auto_capture", sa.Boolean(), nullable=False, server_default=sa.true()
    ),
    "delay_seconds": lambda: sa.Column(
        "delay_seconds", sa.Float(), nullable=False, server_default="0"
    ),
}


def _orders() -> None:
    op.create_table(
        "razorpay_sandbox_orders",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("amount_paid", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("receipt", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_razorpay_sandbox_orders")),
    )


def _payments() -> None:
    op.create_table(
        "razorpay_sandbox_payments",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("captured", sa.Boolean(), nullable=False),
        sa.Column("amount_refunded", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("contact", sa.String(length=30), nullable=True),
        sa.Column("error_code", sa.String(length=50), nullable=True),
        sa.Column("error_description", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["razorpay_sandbox_orders.id"],
            name=op.f("fk_razorpay_sandbox_payments_order_id_razorpay_sandbox_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_razorpay_sandbox_payments")),
    )
    op.create_index(
        op.f("ix_razorpay_sandbox_payments_order_id"), "razorpay_sandbox_payments", ["order_id"]
    )


def _refunds() -> None:
    op.create_table(
        "razorpay_sandbox_refunds",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("payment_id", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("receipt", sa.String(length=40), nullable=True),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["razorpay_sandbox_payments.id"],
            name=op.f("fk_razorpay_sandbox_refunds_payment_id_razorpay_sandbox_payments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_razorpay_sandbox_refunds")),
        sa.UniqueConstraint(
            "payment_id",
            "idempotency_key",
            name=op.f("uq_razorpay_sandbox_refunds_payment_id"),
        ),
    )
    op.create_index(
        op.f("ix_razorpay_sandbox_refunds_payment_id"), "razorpay_sandbox_refunds", ["payment_id"]
    )


def _events() -> None:
    op.create_table(
        "razorpay_sandbox_events",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("event", sa.String(length=50), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=True),
        sa.Column("payment_id", sa.String(length=40), nullable=True),
        sa.Column("refund_id", sa.String(length=40), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("deliveries", sa.Integer(), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_razorpay_sandbox_events")),
    )
    for column in ("created_at", "order_id", "payment_id"):
        op.create_index(
            op.f(f"ix_razorpay_sandbox_events_{column}"), "razorpay_sandbox_events", [column]
        )


def _config() -> None:
    op.create_table(
        "razorpay_sandbox_config",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("refund_status", sa.String(length=20), nullable=False),
        sa.Column("auto_deliver_webhooks", sa.Boolean(), nullable=False),
        sa.Column("fail_next_requests", sa.Integer(), nullable=False),
        sa.Column("fail_after_applying", sa.Boolean(), nullable=False),
        *(column() for column in LATER_CONFIG_COLUMNS.values()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_razorpay_sandbox_config")),
    )


def _credentials() -> None:
    op.create_table(
        "razorpay_sandbox_credentials",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("key_id", sa.String(length=40), nullable=False),
        sa.Column("key_secret", sa.String(length=100), nullable=False),
        sa.Column("webhook_secret", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_razorpay_sandbox_credentials")),
    )


# Parents before children.
TABLES: dict[str, Callable[[], None]] = {
    "razorpay_sandbox_orders": _orders,
    "razorpay_sandbox_payments": _payments,
    "razorpay_sandbox_refunds": _refunds,
    "razorpay_sandbox_events": _events,
    "razorpay_sandbox_config": _config,
    "razorpay_sandbox_credentials": _credentials,
}


def upgrade() -> None:
    present = set(sa.inspect(op.get_bind()).get_table_names())
    for name, create in TABLES.items():
        if name not in present:
            create()
    config = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("razorpay_sandbox_config")}
    missing = [column() for name, column in LATER_CONFIG_COLUMNS.items() if name not in config]
    if missing:
        with op.batch_alter_table("razorpay_sandbox_config") as batch:
            for column in missing:
                batch.add_column(column)


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
