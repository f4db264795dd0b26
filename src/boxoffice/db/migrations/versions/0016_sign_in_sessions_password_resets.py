"""accounts that sign out and recover: sign-in sessions (refresh token families), password reset
tokens, and outbox emails that belong to no booking

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 09:00:00

- sign_in_sessions: one sign-in on one device; every refresh token belongs to one
  (refresh_tokens.session_id), and ending it ends them all (sign-out, a password change or
  reset). Each refresh token already issued gets a session of its own, with its id.
- password_reset_tokens: the SHA-256 of each reset link's token, single use, with its expiry.
- outbox_emails.booking_id may be empty: a password reset link tells of no booking.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_sessions",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sign_in_sessions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_sessions")),
    )
    op.create_index(op.f("ix_sign_in_sessions_user_id"), "sign_in_sessions", ["user_id"])
    op.execute(
        "INSERT INTO sign_in_sessions (id, user_id, last_used_at, revoked_at, created_at) "
        "SELECT id, user_id, created_at, revoked_at, created_at FROM refresh_tokens"
    )
    with op.batch_alter_table("refresh_tokens") as batch:
        batch.add_column(sa.Column("session_id", sa.Uuid(), nullable=True))
    op.execute("UPDATE refresh_tokens SET session_id = id")
    with op.batch_alter_table("refresh_tokens") as batch:
        batch.alter_column("session_id", existing_type=sa.Uuid(), nullable=False)
        batch.create_foreign_key(
            op.f("fk_refresh_tokens_session_id_sign_in_sessions"),
            "sign_in_sessions",
            ["session_id"],
            ["id"],
        )
        batch.create_index(op.f("ix_refresh_tokens_session_id"), ["session_id"])

    op.create_table(
        "password_reset_tokens",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_password_reset_tokens_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_reset_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_reset_tokens_token_hash")),
    )
    op.create_index(op.f("ix_password_reset_tokens_user_id"), "password_reset_tokens", ["user_id"])

    with op.batch_alter_table("outbox_emails") as batch:
        batch.alter_column("booking_id", existing_type=sa.Uuid(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM outbox_emails WHERE booking_id IS NULL")
    with op.batch_alter_table("outbox_emails") as batch:
        batch.alter_column("booking_id", existing_type=sa.Uuid(), nullable=False)
    op.drop_index(op.f("ix_password_reset_tokens_user_id"), table_name="password_reset_tokens")
    op.drop_table("password_reset_tokens")
    with op.batch_alter_table("refresh_tokens") as batch:
        batch.drop_index(op.f("ix_refresh_tokens_session_id"))
        batch.drop_constraint(
            op.f("fk_refresh_tokens_session_id_sign_in_sessions"), type_="foreignkey"
        )
        batch.drop_column("session_id")
    op.drop_index(op.f("ix_sign_in_sessions_user_id"), table_name="sign_in_sessions")
    op.drop_table("sign_in_sessions")
