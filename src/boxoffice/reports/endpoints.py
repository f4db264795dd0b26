from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections.abc import Iterable, Sequence
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from boxoffice.accounts.dependencies import OperatorDep, ensure_manages_theatre
from boxoffice.catalogue.access import ensure_manages_show
from boxoffice.dependencies import NowDep, ReadSessionDep
from boxoffice.reports import service
from boxoffice.reports.schemas import GstReport, SalesReport, ShowReport

router = APIRouter(tags=["reports"])

MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"

# SPEC's day fields, then the split of `gross` (taxable + cgst + sgst + fees).
CSV_FIELDS = (
    "date",
    "shows",
    "tickets",
    "gross",
    "refunded",
    "net",
    "occupancy",
    "taxable",
    "cgst",
    "sgst",
    "fees",
)


@router.get(
    "/admin/shows/{show_id}/report",
    response_model=ShowReport,
    responses={404: {"description": "Unknown show"}},
)
async def show_report(
    show_id: uuid.UUID, principal: OperatorDep, session: ReadSessionDep, now: NowDep
) -> ShowReport:
    """Seats (capacity, booked, held, blocked, available) and money (gross, refunded, net) of
    a show, for admins and the managers of its theatre."""
    await ensure_manages_show(session, principal, show_id)
    return await service.show_report(session, show_id, now)


@router.get(
    "/admin/reports/sales",
    response_model=SalesReport,
    responses={
        200: {"content": {"text/csv": {}}, "description": "JSON, or the days as CSV"},
        403: {"description": "Not a manager of the theatre"},
        404: {"description": "Unknown theatre"},
    },
)
async def sales_report(
    principal: OperatorDep,
    session: ReadSessionDep,
    theatre_id: uuid.UUID,
    from_: Annotated[dt.date, Query(alias="from", description="first show date, theatre-local")],
    to: Annotated[dt.date, Query(description="last show date (inclusive), theatre-local")],
    format: Literal["json", "csv"] = "json",
) -> SalesReport | Response:
    """Per day (every day from `from` to `to`), per movie and in total, for one theatre (its
    managers and admins)."""
    await ensure_manages_theatre(session, principal, theatre_id)
    report = await service.sales_report(session, theatre_id, from_, to)
    if format == "json":
        return report
    rows = [
        [day.date.isoformat(), *(getattr(day, f) for f in CSV_FIELDS[1:])] for day in report.days
    ]
    return _csv(CSV_FIELDS, rows, f"sales-{theatre_id}-{from_}-{to}.csv")


GST_CSV_FIELDS = (
    "supply",
    "rate_bp",
    "taxable",
    "cgst",
    "sgst",
    "series",
    "first",
    "last",
    "count",
)


@router.get(
    "/admin/reports/gst",
    response_model=GstReport,
    responses={
        200: {"content": {"text/csv": {}}, "description": "JSON, or the rates and ranges as CSV"},
        403: {"description": "Not a manager of the theatre"},
        404: {"description": "Unknown theatre"},
    },
)
async def gst_report(
    principal: OperatorDep,
    session: ReadSessionDep,
    theatre_id: uuid.UUID,
    month: Annotated[str, Query(pattern=MONTH, description="YYYY-MM, theatre-local")],
    format: Literal["json", "csv"] = "json",
) -> GstReport | Response:
    """A month's GST on the theatre's sales: per rate, the taxable value, CGST and SGST of its
    tax invoices for tickets and for fees, less the month's credit notes; and the invoice and
    credit-note numbers the month used, with their counts. For admins and the theatre's
    managers."""
    await ensure_manages_theatre(session, principal, theatre_id)
    report = await service.gst_report(session, theatre_id, month)
    if format == "json":
        return report
    rows: list[list[object]] = [
        [supply, rate.rate_bp, tax.taxable, tax.cgst, tax.sgst, "", "", "", ""]
        for rate in report.rates
        for supply, tax in (("tickets", rate.tickets), ("fees", rate.fees))
    ]
    rows += [
        ["documents", "", "", "", "", r.series, r.first, r.last, r.count] for r in report.documents
    ]
    return _csv(GST_CSV_FIELDS, rows, f"gst-{theatre_id}-{month}.csv")


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]], filename: str) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
