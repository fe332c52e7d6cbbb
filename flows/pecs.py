"""PEC reconciliation on demand, and an operator's decision on a PEC in review."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from prefect import flow
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
    """Check the received PECs, give green lights, send reminders, switch day-1 sessions.

    Args:
        as_of: Date métier (par défaut : la date du lancement, heure de Paris).
    """
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
    pec_ref: str,
    decision: PecDecisionChoice,
    note: Annotated[str, Field(min_length=3)],
    session_ref: str | None = None,
    as_of: date | None = None,
) -> str:
    """An operator accepts or rejects a PEC in review; the reconciliation then acts on it.

    Args:
        pec_ref: La PEC à trancher (ex. PEC-0015), telle qu'elle figure dans la file de revue.
        decision: accept : feu vert malgré les écarts ; reject : la PEC est écartée.
        note: Pourquoi (obligatoire, gardée dans le journal d'audit).
        session_ref: Pour accept : la session à laquelle rattacher la PEC, si ce n'est pas
            celle qu'elle vise ou celle proposée.
        as_of: Date métier de la décision (par défaut : aujourd'hui, heure de Paris).
    """
    day = context.business_day(as_of)
    operator = context.operator()
    message = decide_pec(pec_ref, decision == PecDecisionChoice.accept, note, session_ref,
                         operator, day)
    reconcile_pecs(as_of=day)
    return message
