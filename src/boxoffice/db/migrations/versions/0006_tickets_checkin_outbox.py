"""tickets, check-in, staff, email outbox, report indexes

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:00:00

Signed e-tickets (and the Ed25519 keys that sign them), check-in answers kept by nonce, the staff
accounts' theatres, the email outbox the worker sends from, and the index the sales report reads
a theatre's shows by. Portable: PostgreSQL and SQLite alike.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ticket_signing_keys",
        sa.Column("kid", sa.String(length=40), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("private_key", sa.String(length=64), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_ticket_signing_keys")),
        sa.UniqueConstraint("generation", name=op.f("uq_ticket_signing_keys_generation")),
    )
    op.create_table(
        "staff_theatres",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("theatre_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["theatre_id"], ["theatres.id"], name=op.f("fk_staff_theatres_theatre_id_theatres")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_staff_theatres_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", "theatre_id", name=op.f("pk_staff_theatres")),
    )
    op.create_table(
        "outbox_emails",
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING",
                "SENDING",
                "SENT",
                "FAILED",
                name="emailstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_outbox_emails_booking_id_bookings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_emails")),
        sa.UniqueConstraint("booking_id", "kind", name=op.f("uq_outbox_emails_booking_id")),
    )
    op.create_index(
        "ix_outbox_emails_status_next_attempt_at",
        "outbox_emails",
        ["status", "next_attempt_at"],
        unique=False,
    )
    op.create_table(
        "tickets",
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("show_id", sa.Uuid(), nullable=False),
        sa.Column("seat_id", sa.Uuid(), nullable=False),
        sa.Column("seat_label", sa.String(length=10), nullable=False),
        sa.Column("seat_type", sa.String(length=20), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "VALID", "CHECKED_IN", "REVOKED", name="ticketstatus", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("kid", sa.String(length=40), nullable=False),
        sa.Column("qr", sa.String(length=600), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("gate", sa.String(length=40), nullable=True),
        sa.Column("checked_in_by", sa.String(length=100), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_tickets_booking_id_bookings")
        ),
        sa.ForeignKeyConstraint(["seat_id"], ["seats.id"], name=op.f("fk_tickets_seat_id_seats")),
        sa.ForeignKeyConstraint(["show_id"], ["shows.id"], name=op.f("fk_tickets_show_id_shows")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("booking_id", "seat_id", name=op.f("uq_tickets_booking_id")),
    )
    op.create_index(
        "ix_tickets_show_id_revoked_at", "tickets", ["show_id", "revoked_at"], unique=False
    )
    op.create_index("ix_tickets_show_id_status", "tickets", ["show_id", "status"], unique=False)
    op.create_table(
        "checkin_answers",
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("nonce", sa.String(length=100), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_checkin_answers_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("ticket_id", "nonce", name=op.f("pk_checkin_answers")),
    )
    op.create_index(
        "ix_shows_theatre_id_starts_at", "shows", ["theatre_id", "starts_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_shows_theatre_id_starts_at", table_name="shows")
    op.drop_table("checkin_answers")
    op.drop_index("ix_tickets_show_id_status", table_name="tickets")
    op.drop_index("ix_tickets_show_id_revoked_at", table_name="tickets")
    op.drop_table("tickets")
    op.drop_index("ix_outbox_emails_status_next_attempt_at", table_name="outbox_emails")
    op.drop_table("outbox_emails")
    op.drop_table("staff_theatres")
    op.drop_table("ticket_signing_keys")
