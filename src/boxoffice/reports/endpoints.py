from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from boxoffice.accounts.dependencies import AdminDep
from boxoffice.dependencies import NowDep, ReadSessionDep
from boxoffice.reports import service
from boxoffice.reports.schemas import SalesReport, ShowReport

router = APIRouter(tags=["reports"])

CSV_FIELDS = ("date", "shows", "tickets", "gross", "refunded", "net", "occupancy")


@router.get(
    "/admin/shows/{show_id}/report",
    response_model=ShowReport,
    responses={404: {"description": "Unknown show"}},
)
async def show_report(
    show_id: uuid.UUID, _admin: AdminDep, session: ReadSessionDep, now: NowDep
) -> ShowReport:
    """Seats (capacity, booked, held, available) and money (gross, refunded, net) of a show."""
    return await service.show_report(session, show_id, now)


@router.get(
    "/admin/reports/sales",
    response_model=SalesReport,
    responses={
        200: {"content": {"text/csv": {}}, "description": "JSON, or the days as CSV"},
        404: {"description": "Unknown theatre"},
    },
)
async def sales_report(
    _admin: AdminDep,
    session: ReadSessionDep,
    theatre_id: uuid.UUID,
    from_: Annotated[dt.date, Query(alias="from", description="first show date, theatre-local")],
    to: Annotated[dt.date, Query(description="last show date (inclusive), theatre-local")],
    format: Literal["json", "csv"] = "json",
) -> SalesReport | Response:
    """Per day (every day from `from` to `to`), per movie and in total, for one theatre."""
    report = await service.sales_report(session, theatre_id, from_, to)
    if format == "json":
        return report
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    for day in report.days:
        writer.writerow([day.date.isoformat(), *(getattr(day, f) for f in CSV_FIELDS[1:])])
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="sales-{theatre_id}-{from_}-{to}.csv"'
        },
    )
