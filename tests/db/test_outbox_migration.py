"""Migration 0029 on an outbox with emails in it: a confirmation still waiting is emptied, to be
composed from its booking by the worker; another email waiting keeps its message and is sent as
it was written; emails sent keep what was sent; and back down, the emails never composed go."""

from __future__ import annotations

import asyncio
import email
import email.policy
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from tests.conftest import make_settings
from tests.db.test_migrations import _on, application_steps, empty_database

from boxoffice.clock import Clock
from boxoffice.db.base import UTCDateTime
from boxoffice.db.engine import create_engine, create_sessionmaker
from boxoffice.notifications import sending

__all__ = ["empty_database"]  # the fixture, from the migrations' own tests

AT = datetime.now(UTC) - timedelta(minutes=1)
RESET = (
    "From: Boxoffice <tickets@boxoffice.local>\r\nTo: someone@example.com\r\n"
    "Subject: Choose a new password\r\nMessage-ID: <old@boxoffice.local>\r\n\r\n"
    "https://boxoffice.example/reset-password#token=abc\r\n"
)


def _outbox(*columns: str) -> sa.TableClause:
    types: dict[str, Any] = {"attempts": sa.Integer(), "inline_qr": sa.JSON(), "params": sa.JSON()}
    return sa.table(
        "outbox_emails",
        *(
            sa.column(
                c,
                sa.Uuid()
                if c == "id"
                else UTCDateTime()
                if c.endswith("_at")
                else types.get(c, sa.String()),
            )
            for c in columns
        ),
    )


def _rows(sync: sa.Connection) -> dict[str, tuple[Any, ...]]:
    """By "kind status": recipient, message, params."""
    rows = sync.execute(
        sa.text("SELECT kind, status, recipient, message, params FROM outbox_emails")
    )
    return {f"{r[0]} {r[1]}": tuple(r[2:]) for r in rows}


def _queue_before_0029(sync: sa.Connection) -> None:
    columns = (
        "id",
        "kind",
        "recipient",
        "subject",
        "message",
        "inline_qr",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
    )
    common = {
        "recipient": "someone@example.com",
        "attempts": 0,
        "next_attempt_at": AT,
        "created_at": AT,
    }
    sync.execute(
        sa.insert(_outbox(*columns)),
        [
            # Booking ids are left out: the migration goes by kind and status alone.
            {
                **common,
                "id": uuid.uuid4(),
                "kind": "BOOKED",
                "status": "PENDING",
                "subject": "Your tickets",
                "message": "Invoice: [invoice-number]",
                "inline_qr": [{"cid": "a", "qr": "BX1.x", "filename": "t.png"}],
            },
            {
                **common,
                "id": uuid.uuid4(),
                "kind": "BOOKED",
                "status": "SENT",
                "subject": "Your tickets",
                "message": "sent before",
                "inline_qr": None,
            },
            {
                **common,
                "id": uuid.uuid4(),
                "kind": "PASSWORD_RESET",
                "status": "PENDING",
                "subject": "Choose a new password",
                "message": RESET,
                "inline_qr": None,
            },
        ],
    )


def test_0029_keeps_what_it_can_send_and_back_down_drops_what_it_cannot(
    empty_database: str, tmp_path: Path
) -> None:
    _on(empty_database, application_steps(("upgrade", "0028")))
    _on(empty_database, _queue_before_0029)

    _on(empty_database, application_steps(("upgrade", "0029")))
    rows = _on(empty_database, _rows)
    waiting = rows["BOOKED PENDING"]
    assert waiting[:2] == (None, None)  # composed again, from the booking, when sent
    assert waiting[2] in ({}, "{}")  # JSON text on SQLite
    assert rows["BOOKED SENT"][:3] == ("someone@example.com", "sent before", None)
    assert rows["PASSWORD_RESET PENDING"][:3] == ("someone@example.com", RESET, None)

    _on(empty_database, application_steps(("downgrade", "0028")))
    left = _on(
        empty_database,
        lambda sync: set(sync.execute(sa.text("SELECT kind, status FROM outbox_emails"))),
    )
    assert left == {("BOOKED", "SENT"), ("PASSWORD_RESET", "PENDING")}
    _on(empty_database, application_steps(("upgrade", "head")))

    async def send() -> int:
        settings = make_settings(empty_database, outbox_dir=tmp_path)
        engine = create_engine(settings)
        try:
            return await sending.send_due(create_sessionmaker(engine, settings), settings, Clock())
        finally:
            await engine.dispose()

    assert asyncio.run(send()) == 1
    (sent,) = tmp_path.glob("*-password_reset-*.eml")
    message = email.message_from_bytes(sent.read_bytes(), policy=email.policy.default)
    assert str(message["Message-ID"]) == "<old@boxoffice.local>"  # as it was written
    assert "reset-password#token=abc" in str(message.get_body(preferencelist=("plain",)))
    # Sent, a reset's link is kept nowhere: the row says to whom, not what.
    assert _on(empty_database, _rows)["PASSWORD_RESET SENT"][:2] == ("someone@example.com", None)
