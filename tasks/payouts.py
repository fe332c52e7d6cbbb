"""Trainer payouts: decide and schedule, export the SEPA files, track their execution."""

from __future__ import annotations

from datetime import date

from prefect import task
from prefect.cache_policies import NO_CACHE

from services.payouts import (
    PayoutReport,
    export_batches,
    render_self_billed_invoices,
    retry_payout,
    schedule_payouts,
    track_executions,
)
from tasks import context
from tasks.outcome_text import log_outcomes


@task(cache_policy=NO_CACHE)
def track_payout_executions() -> PayoutReport:
    """The statements imported so far against the exported payouts: executed, or returned."""
    report = track_executions(context.engine(), now=context.now(),
                              marketplace=context.marketplace())
    log_outcomes([*report.executed, *report.failed])
    return report


@task(cache_policy=NO_CACHE)
def schedule_and_export_payouts(as_of: date, report: PayoutReport) -> PayoutReport:
    """Decide what each trainer is owed, issue the self-billed invoices, write the SEPA files."""
    settings, marketplace = context.settings(), context.marketplace()
    engine, now = context.engine(), context.now()
    schedule_payouts(engine, as_of=as_of, now=now, mode=settings.payout_mode,
                     nda_policy=settings.nda_policy, report=report)
    render_self_billed_invoices(engine, output_dir=settings.output_dir, now=now,
                                marketplace=marketplace, workers=settings.render_workers)
    export_batches(engine, as_of=as_of, now=now, output_dir=settings.output_dir,
                   marketplace=marketplace, version=settings.sepa_version, report=report)
    log_outcomes([*report.scheduled, *report.review, *report.batches])
    return report


@task(cache_policy=NO_CACHE)
def retry_returned_transfer(payout_id: str, note: str, operator: str) -> str:
    """An operator's retry of a returned transfer (audit-logged): what was done, in French."""
    return retry_payout(context.engine(), payout_id=payout_id, note=note, now=context.now(),
                        operator=operator)
