"""All SQL of invoicing: documents, their lines, and the counters that number them."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from boxoffice.catalogue.models import Movie, Show, Theatre
from boxoffice.db.engine import dialect_insert, is_postgres
from boxoffice.invoicing.models import Document, DocumentCounter, DocumentLine, Series

_UNNUMBERED = "invoicing_unnumbered"
SeriesKey = tuple[uuid.UUID, str, Series]  # theatre, financial year, series


async def sale_facts(session: AsyncSession, show_id: uuid.UUID) -> tuple[Show, Theatre, str]:
    """The show, its theatre and its film's title."""
    show, theatre, title = (
        await session.execute(
            select(Show, Theatre, Movie.title)
            .join(Theatre, Theatre.id == Show.theatre_id)
            .join(Movie, Movie.id == Show.movie_id)
            .where(Show.id == show_id)
        )
    ).one()
    return show, theatre, title


async def add_document(
    session: AsyncSession, document: Document, lines: Sequence[DocumentLine]
) -> None:
    """Writes a document and its lines, unnumbered: it is numbered as the transaction commits
    (`number_pending`), so that its series' counter is locked for the commit alone."""
    values = {column.key: getattr(document, column.key) for column in Document.__table__.columns}
    await session.execute(insert(Document).values(**values))
    await session.execute(
        insert(DocumentLine),
        [
            {column.key: getattr(line, column.key) for column in DocumentLine.__table__.columns}
            for line in lines
        ],
    )
    key = (document.theatre_id, document.financial_year, document.series)
    session.info.setdefault(_UNNUMBERED, defaultdict(list))[key].append(document.id)


def number_pending(session: Session) -> None:
    """Numbers the documents the transaction issued, as the last thing before it commits (a
    `before_commit` listener, registered after every other one in `boxoffice.wiring`).

    Per series, one increment of its counter row by the number of documents, which locks the
    row until the commit ends: a rollback undoes the increment (no gap), a commit keeps it
    (never handed out again). On PostgreSQL that increment and the serials it gives are one
    statement, the transaction's last; series in a fixed order, so two transactions never wait
    on each other's counters.
    """
    pending: dict[SeriesKey, list[uuid.UUID]] = session.info.pop(_UNNUMBERED, None) or {}
    for key in sorted(pending, key=lambda k: (str(k[0]), k[1], k[2].value)):
        _number(session, key, pending[key])


def forget_pending(session: Session, *_: Any) -> None:
    """A rolled-back transaction issued nothing."""
    session.info.pop(_UNNUMBERED, None)


def _number(session: Session, key: SeriesKey, ids: list[uuid.UUID]) -> None:
    theatre_id, year, series = key
    count = len(ids)
    bump = dialect_insert(session)(DocumentCounter).values(
        theatre_id=theatre_id, financial_year=year, series=series, last_serial=count
    )
    bump = bump.on_conflict_do_update(
        index_elements=[
            DocumentCounter.theatre_id,
            DocumentCounter.financial_year,
            DocumentCounter.series,
        ],
        set_={"last_serial": DocumentCounter.last_serial + bump.excluded.last_serial},
    ).returning(DocumentCounter.last_serial)
    # The documents in the order they were issued: last - count + 1, ..., last.
    place = case(
        {document_id: i + 1 - count for i, document_id in enumerate(ids)}, value=Document.id
    )
    last: Any
    if is_postgres(session):
        # One statement: the increment, and the serials it gives.
        last = select(bump.cte("counter").c.last_serial).scalar_subquery()
    else:  # SQLite: writers take turns on the database anyway
        last = session.execute(bump).scalar_one()
    session.execute(
        update(Document)
        .where(Document.id.in_(ids))
        .values(serial=last + place)
        .execution_options(synchronize_session=False)
    )


async def invoice_of(session: AsyncSession, booking_id: uuid.UUID) -> Document | None:
    """The booking's tax invoice or receipt."""
    found: Document | None = await session.scalar(
        select(Document).where(
            Document.booking_id == booking_id, Document.series != Series.CREDIT_NOTE
        )
    )
    return found


async def credit_note_of_refund(session: AsyncSession, refund_id: uuid.UUID) -> Document | None:
    found: Document | None = await session.scalar(
        select(Document).where(Document.refund_id == refund_id)
    )
    return found


async def credit_notes_of(session: AsyncSession, invoice_id: uuid.UUID) -> list[Document]:
    return list(
        await session.scalars(
            select(Document)
            .where(Document.invoice_id == invoice_id)
            .order_by(Document.issued_at, Document.serial)
        )
    )


async def lines_of(
    session: AsyncSession, document_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[DocumentLine]]:
    found: dict[uuid.UUID, list[DocumentLine]] = {document_id: [] for document_id in document_ids}
    if document_ids:
        rows = await session.scalars(
            select(DocumentLine)
            .where(DocumentLine.document_id.in_(document_ids))
            .order_by(DocumentLine.document_id, DocumentLine.position)
        )
        for line in rows:
            found[line.document_id].append(line)
    return found


async def invoice_numbers(
    session: AsyncSession, booking_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The number of each of these bookings' invoices (or receipts), where it has one."""
    if not booking_ids:
        return {}
    rows = await session.scalars(
        select(Document).where(
            Document.booking_id.in_(booking_ids),
            Document.series != Series.CREDIT_NOTE,
            Document.serial.is_not(None),
        )
    )
    return {document.booking_id: document.number for document in rows if document.number}
