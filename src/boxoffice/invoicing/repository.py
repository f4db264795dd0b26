"""All SQL of invoicing: documents, their lines, and the counters that number them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, distinct, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from boxoffice.catalogue.models import Movie, Show, Theatre
from boxoffice.db import kept
from boxoffice.db.engine import is_postgres
from boxoffice.invoicing.models import Document, DocumentLine, GstSummary, LineKind, Series


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
    """Writes a document (unnumbered) and its lines. The database numbers it: on PostgreSQL as
    the transaction commits (migration 0017's deferred trigger), on SQLite at once."""
    values = {column.key: getattr(document, column.key) for column in Document.__table__.columns}
    await session.execute(insert(Document).values(**values))
    await session.execute(
        insert(DocumentLine),
        [
            {column.key: getattr(line, column.key) for column in DocumentLine.__table__.columns}
            for line in lines
        ],
    )


def add_to_gst_summary(
    session: AsyncSession, document: Document, lines: Sequence[DocumentLine], month: str
) -> None:
    """Adds the document's lines to its theatre's GST summary of `month`, by series, kind and
    rate, as the transaction that writes it commits (`db.kept`)."""
    for line in lines:
        key = {
            "theatre_id": document.theatre_id,
            "month": month,
            "series": document.series,
            "kind": line.kind,
            "rate_bp": line.rate_bp,
        }
        kept.add(session, GstSummary, key, taxable=line.taxable, cgst=line.cgst, sgst=line.sgst)


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


# --- the GST summary rebuilt from the lines (`boxoffice gst-summary`) ----------------------


async def lock_documents(session: AsyncSession) -> None:
    """PostgreSQL: no document is written until this transaction ends (reads go on), so that
    sums read from the lines stay whole until they are written. (SQLite: one writer anyway.)"""
    if is_postgres(session):
        await session.execute(text("LOCK TABLE documents IN SHARE MODE"))


async def theatres_issuing_since(session: AsyncSession, since: datetime) -> list[Theatre]:
    found = select(distinct(Document.theatre_id)).where(Document.issued_at >= since)
    return list(await session.scalars(select(Theatre).where(Theatre.id.in_(found))))


async def line_sums(
    session: AsyncSession, theatre_id: uuid.UUID, start: datetime, end: datetime
) -> list[tuple[Series, LineKind, int, int, int, int]]:
    """Per series, kind and rate, the sums of the lines of the theatre's documents carrying a
    GSTIN issued in [start, end)."""
    rows = await session.execute(
        select(
            Document.series,
            DocumentLine.kind,
            DocumentLine.rate_bp,
            func.sum(DocumentLine.taxable),
            func.sum(DocumentLine.cgst),
            func.sum(DocumentLine.sgst),
        )
        .join(Document, Document.id == DocumentLine.document_id)
        .where(
            Document.theatre_id == theatre_id,
            Document.issued_at >= start,
            Document.issued_at < end,
            Document.gstin.is_not(None),
        )
        .group_by(Document.series, DocumentLine.kind, DocumentLine.rate_bp)
    )
    return [(r[0], r[1], int(r[2]), int(r[3]), int(r[4]), int(r[5])) for r in rows]


async def replace_gst_summary(
    session: AsyncSession,
    theatre_id: uuid.UUID,
    month: str,
    sums: Sequence[tuple[Series, LineKind, int, int, int, int]],
) -> None:
    await session.execute(
        delete(GstSummary).where(GstSummary.theatre_id == theatre_id, GstSummary.month == month)
    )
    if sums:
        await session.execute(
            insert(GstSummary),
            [
                {
                    "theatre_id": theatre_id,
                    "month": month,
                    "series": series,
                    "kind": kind,
                    "rate_bp": rate_bp,
                    "taxable": taxable,
                    "cgst": cgst,
                    "sgst": sgst,
                }
                for series, kind, rate_bp, taxable, cgst, sgst in sums
            ],
        )
