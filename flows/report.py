"""The CSV snapshots of the state (docs/reports.md), on demand from the UI."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from adapters.reports import write_report
from tasks import context
from tasks.alerts import operator_flow
from tasks.summary import RunSummary, finish_run


@task(cache_policy=NO_CACHE)
def _write_report() -> list[str]:
    folder = context.settings().output_dir / "report"
    return [str(path) for path in write_report(context.engine(), folder)]


@operator_flow("report")
def report() -> list[str]:
    """Write the CSV snapshots (sessions, PECs, invoices, statement lines, allocations, payouts,
    e-mails, review queue…) into the output folder's `report/`, replacing the previous ones."""
    paths = _write_report()
    summary = RunSummary("Rapports CSV")
    summary.lines += [f"`{path}`" for path in paths]
    return finish_run("report-summary", summary, context.business_day(None), result=paths)
