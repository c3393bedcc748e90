"""The termly report on a plan: gathered through GraphQL as its reader may see it (gather.py), drawn (charts.py)
and rendered (formats.py) as HTML, PDF, CSV or XLSX. Served at GET /reports/plans/{id} (made in the costly-read
process: service/costly.py) and by `send-records report`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from service.authorisation import Principal
from service.graphql.context import Context
from service.reports.gather import ReportNotFound, gather

__all__ = ["FORMATS", "ReportNotFound", "make_report"]

FORMATS = {"html": "text/html; charset=utf-8", "pdf": "application/pdf", "csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


async def make_report(commands: Any, principal: Principal, plan_id: str, as_at: datetime | None,
                      since: datetime | None, form: str) -> tuple[bytes, str, str]:
    """The report's bytes, media type and file name; ReportNotFound if the reader may not read such a plan."""
    from service.graphql.schema import schema

    async def ask(query: str, variables: dict) -> dict:
        result = await schema.execute(query, variable_values=variables,
                                      context_value=Context(commands=commands, principal=principal))
        if result.errors:
            raise ReportNotFound(result.errors[0].message)
        return result.data

    report = await gather(ask, commands.read_model, plan_id, as_at, since)
    from service.reports.formats import render  # the renderers load with a process's first report (see costly.py)

    stamp = report.as_at.strftime("%Y%m%dT%H%M%SZ")
    return render(report, form), FORMATS[form], f"report-{plan_id}-{stamp}.{form}"
