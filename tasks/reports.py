"""The CSV snapshots of the state, for people and tools."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from services.reports import write_report
from tasks import context


@task(cache_policy=NO_CACHE)
def write_reports() -> list[str]:
    """The CSV snapshots (docs/reports.md) in the output folder's `report/`: their paths."""
    folder = context.settings().output_dir / "report"
    return [str(path) for path in write_report(context.engine(), folder)]
