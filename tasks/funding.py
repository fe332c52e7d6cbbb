"""PEC reconciliation and follow-up, and an operator's decision on a PEC."""

from __future__ import annotations

from datetime import date

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from adapters.reference_data import reference_data
from services.funding import FundingReport, reconcile_funding, record_operator_decision
from tasks import context
from tasks.outcome_text import log_outcomes


@task(cache_policy=NO_CACHE)
def reconcile_pecs_for(as_of: date) -> FundingReport:
    """Check received PECs, give green lights, chase missing ones, switch day-1 sessions."""
    settings = context.settings()
    report = reconcile_funding(context.engine(), as_of=as_of, now=context.now(),
                               reference=reference_data(), marketplace=context.marketplace(),
                               reminder_days=settings.pec_reminder_days)
    log_outcomes([*report.green_lights, *report.discrepancies, *report.switches])
    return report


@task(cache_policy=NO_CACHE)
def decide_pec(pec_ref: str, accept: bool, note: str, session_ref: str | None, operator: str,
               as_of: date) -> str:
    message = record_operator_decision(context.engine(), pec_ref=pec_ref, accept=accept,
                                       note=note, session_ref=session_ref, operator=operator,
                                       as_of=as_of, now=context.now())
    get_run_logger().info(message)
    return message
