"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 16:54:23.103305
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_records",
        sa.Column("customer", sa.String(length=64), nullable=False),
        sa.Column("endpoint", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("customer", "endpoint", "key", name=op.f("pk_idempotency_records")),
    )
    op.create_index(
        op.f("ix_idempotency_records_created_at"),
        "idempotency_records",
        ["created_at"],
        unique=False,
    )
    op.create_table(
        "movies",
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=50), nullable=False),
        sa.Column("certificate", sa.String(length=10), nullable=False),
        sa.Column("genres", sa.JSON(), nullable=False),
        sa.Column("release_date", sa.Date(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_movies")),
    )
    op.create_index(op.f("ix_movies_title"), "movies", ["title"], unique=False)
    op.create_table(
        "provider_events",
        sa.Column("event_id", sa.String(length=100), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("event_type", sa.String(length=50), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_provider_events")),
    )
    op.create_table(
        "seat_types",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_seat_types")),
    )
    op.bulk_insert(
        sa.table("seat_types", sa.column("code"), sa.column("name"), sa.column("rank")),
        [
            {"code": "VIP", "name": "VIP", "rank": 1},
            {"code": "GOLD", "name": "Gold", "rank": 2},
            {"code": "SILVER", "name": "Silver", "rank": 3},
        ],
    )
    op.create_table(
        "theatres",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("holidays", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_theatres")),
    )
    op.create_index(op.f("ix_theatres_city"), "theatres", ["city"], unique=False)
    op.create_table(
        "users",
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column(
            "role",
            sa.Enum("customer", "admin", name="role", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "guests",
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("linked_user_id", sa.Uuid(), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["linked_user_id"], ["users.id"], name=op.f("fk_guests_linked_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guests")),
    )
    op.create_index(op.f("ix_guests_linked_user_id"), "guests", ["linked_user_id"], unique=False)
    op.create_table(
        "refresh_tokens",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_refresh_tokens_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_tokens")),
    )
    op.create_index(op.f("ix_refresh_tokens_user_id"), "refresh_tokens", ["user_id"], unique=False)
    op.create_table(
        "screens",
        sa.Column("theatre_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["theatre_id"], ["theatres.id"], name=op.f("fk_screens_theatre_id_theatres")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screens")),
        sa.UniqueConstraint("theatre_id", "name", name=op.f("uq_screens_theatre_id")),
    )
    op.create_index(op.f("ix_screens_theatre_id"), "screens", ["theatre_id"], unique=False)
    op.create_table(
        "price_rules",
        sa.Column("theatre_id", sa.Uuid(), nullable=True),
        sa.Column("screen_id", sa.Uuid(), nullable=True),
        sa.Column("seat_type", sa.String(length=20), nullable=False),
        sa.Column(
            "day_type",
            sa.Enum("WEEKDAY", "WEEKEND", "HOLIDAY", name="daytype", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "(theatre_id IS NULL) <> (screen_id IS NULL)",
            name=op.f("ck_price_rules_theatre_xor_screen"),
        ),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_price_rules_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["screen_id"], ["screens.id"], name=op.f("fk_price_rules_screen_id_screens")
        ),
        sa.ForeignKeyConstraint(
            ["seat_type"], ["seat_types.code"], name=op.f("fk_price_rules_seat_type_seat_types")
        ),
        sa.ForeignKeyConstraint(
            ["theatre_id"], ["theatres.id"], name=op.f("fk_price_rules_theatre_id_theatres")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_rules")),
    )
    op.create_index(
        "uq_price_rules_screen", "price_rules", ["screen_id", "seat_type", "day_type"], unique=True
    )
    op.create_index(
        "uq_price_rules_theatre",
        "price_rules",
        ["theatre_id", "seat_type", "day_type"],
        unique=True,
    )
    op.create_table(
        "seats",
        sa.Column("screen_id", sa.Uuid(), nullable=False),
        sa.Column("row", sa.String(length=5), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=10), nullable=False),
        sa.Column("seat_type", sa.String(length=20), nullable=False),
        sa.Column("x", sa.Integer(), nullable=False),
        sa.Column("y", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["screen_id"], ["screens.id"], name=op.f("fk_seats_screen_id_screens")
        ),
        sa.ForeignKeyConstraint(
            ["seat_type"], ["seat_types.code"], name=op.f("fk_seats_seat_type_seat_types")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seats")),
        sa.UniqueConstraint("screen_id", "label", name=op.f("uq_seats_screen_id")),
    )
    op.create_table(
        "shows",
        sa.Column("movie_id", sa.Uuid(), nullable=False),
        sa.Column("screen_id", sa.Uuid(), nullable=False),
        sa.Column("theatre_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "day_type",
            sa.Enum("WEEKDAY", "WEEKEND", "HOLIDAY", name="daytype", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("SCHEDULED", "CANCELLED", name="showstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["movie_id"], ["movies.id"], name=op.f("fk_shows_movie_id_movies")),
        sa.ForeignKeyConstraint(
            ["screen_id"], ["screens.id"], name=op.f("fk_shows_screen_id_screens")
        ),
        sa.ForeignKeyConstraint(
            ["theatre_id"], ["theatres.id"], name=op.f("fk_shows_theatre_id_theatres")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shows")),
    )
    op.create_index(op.f("ix_shows_movie_id"), "shows", ["movie_id"], unique=False)
    op.create_index(
        "ix_shows_screen_id_starts_at", "shows", ["screen_id", "starts_at"], unique=False
    )
    op.create_index(op.f("ix_shows_starts_at"), "shows", ["starts_at"], unique=False)
    op.create_index(op.f("ix_shows_theatre_id"), "shows", ["theatre_id"], unique=False)
    op.create_table(
        "bookings",
        sa.Column("show_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("guest_id", sa.Uuid(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING",
                "BOOKED",
                "CANCELLED",
                "EXPIRED",
                name="bookingstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("amount_total", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_total >= 0", name=op.f("ck_bookings_amount_not_negative")),
        sa.CheckConstraint(
            "user_id IS NOT NULL OR guest_id IS NOT NULL", name=op.f("ck_bookings_has_customer")
        ),
        sa.ForeignKeyConstraint(
            ["guest_id"], ["guests.id"], name=op.f("fk_bookings_guest_id_guests")
        ),
        sa.ForeignKeyConstraint(["show_id"], ["shows.id"], name=op.f("fk_bookings_show_id_shows")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_bookings_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
    )
    op.create_index(
        "ix_bookings_guest_id_created_at", "bookings", ["guest_id", "created_at"], unique=False
    )
    op.create_index("ix_bookings_show_id_status", "bookings", ["show_id", "status"], unique=False)
    op.create_index(
        "ix_bookings_status_expires_at", "bookings", ["status", "expires_at"], unique=False
    )
    op.create_index(
        "ix_bookings_user_id_created_at", "bookings", ["user_id", "created_at"], unique=False
    )
    op.create_table(
        "show_price_overrides",
        sa.Column("show_id", sa.Uuid(), nullable=False),
        sa.Column("seat_type", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_show_price_overrides_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["seat_type"],
            ["seat_types.code"],
            name=op.f("fk_show_price_overrides_seat_type_seat_types"),
        ),
        sa.ForeignKeyConstraint(
            ["show_id"], ["shows.id"], name=op.f("fk_show_price_overrides_show_id_shows")
        ),
        sa.PrimaryKeyConstraint("show_id", "seat_type", name=op.f("pk_show_price_overrides")),
    )
    op.create_table(
        "booking_seats",
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("seat_id", sa.Uuid(), nullable=False),
        sa.Column("label", sa.String(length=10), nullable=False),
        sa.Column("seat_type", sa.String(length=20), nullable=False),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_booking_seats_booking_id_bookings")
        ),
        sa.ForeignKeyConstraint(
            ["seat_id"], ["seats.id"], name=op.f("fk_booking_seats_seat_id_seats")
        ),
        sa.PrimaryKeyConstraint("booking_id", "seat_id", name=op.f("pk_booking_seats")),
    )
    op.create_table(
        "booking_transitions",
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column(
            "from_status",
            sa.Enum(
                "PENDING",
                "BOOKED",
                "CANCELLED",
                "EXPIRED",
                name="bookingstatus",
                native_enum=False,
                length=20,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_status",
            sa.Enum(
                "PENDING",
                "BOOKED",
                "CANCELLED",
                "EXPIRED",
                name="bookingstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_booking_transitions_booking_id_bookings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_transitions")),
    )
    op.create_index(
        "ix_booking_transitions_booking_id_at",
        "booking_transitions",
        ["booking_id", "at"],
        unique=False,
    )
    op.create_table(
        "payments",
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("payment_id", sa.String(length=64), nullable=True),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "CREATED",
                "CAPTURED",
                "FAILED",
                "REFUNDED",
                "PARTIALLY_REFUNDED",
                name="paymentstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_payments_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_payments_booking_id_bookings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_payments_booking_id")),
        sa.UniqueConstraint("order_id", name=op.f("uq_payments_order_id")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_payments_payment_id")),
    )
    op.create_table(
        "show_seats",
        sa.Column("show_id", sa.Uuid(), nullable=False),
        sa.Column("seat_id", sa.Uuid(), nullable=False),
        sa.Column("seat_type", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=10), nullable=False),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=True),
        sa.Column("held_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_show_seats_booking_id_bookings"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["seat_id"], ["seats.id"], name=op.f("fk_show_seats_seat_id_seats")
        ),
        sa.ForeignKeyConstraint(
            ["show_id"], ["shows.id"], name=op.f("fk_show_seats_show_id_shows")
        ),
        sa.PrimaryKeyConstraint("show_id", "seat_id", name=op.f("pk_show_seats")),
    )
    op.create_index("ix_show_seats_booking_id", "show_seats", ["booking_id"], unique=False)
    op.create_table(
        "refunds",
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("provider_refund_id", sa.String(length=64), nullable=True),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING", "PROCESSED", "FAILED", name="refundstatus", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_refunds_amount_positive")),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_refunds_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_refunds_payment_id")),
        sa.UniqueConstraint("provider_refund_id", name=op.f("uq_refunds_provider_refund_id")),
    )


def downgrade() -> None:
    op.drop_table("refunds")
    op.drop_index("ix_show_seats_booking_id", table_name="show_seats")
    op.drop_table("show_seats")
    op.drop_table("payments")
    op.drop_index("ix_booking_transitions_booking_id_at", table_name="booking_transitions")
    op.drop_table("booking_transitions")
    op.drop_table("booking_seats")
    op.drop_table("show_price_overrides")
    op.drop_index("ix_bookings_user_id_created_at", table_name="bookings")
    op.drop_index("ix_bookings_status_expires_at", table_name="bookings")
    op.drop_index("ix_bookings_show_id_status", table_name="bookings")
    op.drop_index("ix_bookings_guest_id_created_at", table_name="bookings")
    op.drop_table("bookings")
    op.drop_index(op.f("ix_shows_theatre_id"), table_name="shows")
    op.drop_index(op.f("ix_shows_starts_at"), table_name="shows")
    op.drop_index("ix_shows_screen_id_starts_at", table_name="shows")
    op.drop_index(op.f("ix_shows_movie_id"), table_name="shows")
    op.drop_table("shows")
    op.drop_table("seats")
    op.drop_index("uq_price_rules_theatre", table_name="price_rules")
    op.drop_index("uq_price_rules_screen", table_name="price_rules")
    op.drop_table("price_rules")
    op.drop_index(op.f("ix_screens_theatre_id"), table_name="screens")
    op.drop_table("screens")
    op.drop_index(op.f("ix_refresh_tokens_user_id"), table_name="refresh_tokens")
    op.drop_table("refresh_tokens")
    op.drop_index(op.f("ix_guests_linked_user_id"), table_name="guests")
    op.drop_table("guests")
    op.drop_table("users")
    op.drop_index(op.f("ix_theatres_city"), table_name="theatres")
    op.drop_table("theatres")
    op.drop_table("seat_types")
    op.drop_table("provider_events")
    op.drop_index(op.f("ix_movies_title"), table_name="movies")
    op.drop_table("movies")
    op.drop_index(op.f("ix_idempotency_records_created_at"), table_name="idempotency_records")
    op.drop_table("idempotency_records")
