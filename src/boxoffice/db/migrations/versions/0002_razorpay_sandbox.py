"""razorpay sandbox: the offline Razorpay test double's own tables

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 17:08:23.784983

Used on PostgreSQL; on SQLite the sandbox keeps these tables in a file of its own (see
boxoffice.sandbox.models), and they stay empty here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "razorpay_sandbox_config",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("refund_status", sa.String(length=20), nullable=False),
        sa.Column("auto_deliver_webhooks", sa.Boolean(), nullable=False),
        sa.Column("fail_next_requests", sa.Integer(), nullable=False),
        sa.Column("fail_after_applying", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_razorpay_sandbox_config")),
    )
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


def downgrade() -> None:
    op.drop_index(op.f("ix_razorpay_sandbox_refunds_payment_id"), "razorpay_sandbox_refunds")
    op.drop_table("razorpay_sandbox_refunds")
    op.drop_index(op.f("ix_razorpay_sandbox_payments_order_id"), "razorpay_sandbox_payments")
    op.drop_table("razorpay_sandbox_payments")
    op.drop_table("razorpay_sandbox_orders")
    for column in ("payment_id", "order_id", "created_at"):
        op.drop_index(op.f(f"ix_razorpay_sandbox_events_{column}"), "razorpay_sandbox_events")
    op.drop_table("razorpay_sandbox_events")
    op.drop_table("razorpay_sandbox_config")
