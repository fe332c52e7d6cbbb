"""The CSV snapshots of the state (docs/reports.md), on demand from the UI."""

from __future__ import annotations

from tasks import context
from tasks.alerts import operator_flow
from tasks.reports import write_reports
from tasks.summary import RunSummary, finish_run


@operator_flow("report")
def report() -> list[str]:
    """Write the CSV snapshots (sessions, PECs, invoices, statement lines, allocations, payouts,
    e-mails, review queue, aged receivables as of today…) into the output folder's `report/`,
    replacing the previous ones."""
    day = context.business_day(None)
    paths = write_reports(day)
    summary = RunSummary("Rapports CSV")
    summary.lines += [f"`{path}`" for path in paths]
    return finish_run("report-summary", summary, day, result=paths)
