"""PEC reconciliation on demand, and an operator's decision on a PEC in review."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from prefect import flow, runtime
from pydantic import Field

from adapters.funding import FundingReport
from tasks import context
from tasks.funding import decide_pec, reconcile_pecs_for
from tasks.mail import deliver_pending_emails
from tasks.summary import RunSummary, add_funding, publish_summary


class PecDecisionChoice(StrEnum):
    accept = "accept"
    reject = "reject"


@flow(name="reconcile-pecs", log_prints=True)
def reconcile_pecs(as_of: date | None = None) -> FundingReport:
    """Check the received PECs, give green lights, send reminders, switch day-1 sessions."""
    day = context.business_day(as_of)
    report = reconcile_pecs_for(day)
    mail = deliver_pending_emails()
    summary = RunSummary(f"Réconciliation des PEC au {day.isoformat()}")
    add_funding(summary, report)
    summary.lines.append(f"E-mails envoyés : {mail.performed}, en échec : {mail.failed}")
    publish_summary("reconcile-pecs-summary", summary)
    return report


@flow(name="resolve-pec", log_prints=True)
def resolve_pec(
    pec_ref: Annotated[str, Field(description="La PEC à trancher (ex. PEC-0015)")],
    decision: Annotated[PecDecisionChoice, Field(
        description="accept : feu vert malgré les écarts ; reject : la PEC est écartée")],
    note: Annotated[str, Field(
        min_length=3, description="Pourquoi (obligatoire, gardé dans le journal d'audit)")],
    session_ref: Annotated[str | None, Field(description=(
        "Pour accept : la session à laquelle la rattacher, si ce n'est pas celle proposée"))] = None,
    as_of: date | None = None,
) -> str:
    """An operator accepts or rejects a PEC in review; the reconciliation then acts on it."""
    day = context.business_day(as_of)
    operator = f"operator:{runtime.flow_run.name or 'local'}"
    message = decide_pec(pec_ref, decision == PecDecisionChoice.accept, note, session_ref,
                         operator, day)
    reconcile_pecs(as_of=day)
    return message
