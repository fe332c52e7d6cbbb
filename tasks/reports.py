"""The CSV snapshots of the state, for people and tools; the aged receivables of a night."""

from __future__ import annotations

from datetime import date

from prefect import task
from prefect.cache_policies import NO_CACHE

from backoffice.outcomes import ReceivablesAged
from services.reports import aged_receivables, write_report
from tasks import context
from tasks.outcome_text import log_outcomes


@task(cache_policy=NO_CACHE)
def write_reports(as_of: date) -> list[str]:
    """The CSV snapshots (docs/reports.md) in the output folder's `report/`, the receivables
    aged as of the business date `as_of`: their paths."""
    folder = context.settings().output_dir / "report"
    return [str(path) for path in write_report(context.engine(), folder, as_of=as_of)]


@task(cache_policy=NO_CACHE)
def age_receivables_for(as_of: date) -> ReceivablesAged:
    """What the funders owe as of the business date, by age, and what to chase first."""
    aged = aged_receivables(context.engine(), as_of=as_of)
    log_outcomes([aged])
    return aged
