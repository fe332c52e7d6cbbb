"""PEC reconciliation on demand, and an operator's decision on a PEC in review."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from flows.parameters import BusinessDate, titled
from services.funding import FundingReport
from tasks import context
from tasks.alerts import operator_flow
from tasks.funding import decide_pec, reconcile_pecs_for
from tasks.mail import deliver_pending_emails
from tasks.summary import RunSummary, add_funding, add_mail, finish_run


class PecDecisionChoice(StrEnum):
    accept = "accept"
    reject = "reject"


@operator_flow("reconcile-pecs")
def reconcile_pecs(as_of: BusinessDate | None = titled("Date métier (vide : aujourd'hui)", None)
                   ) -> FundingReport:
    """Check the received PECs, give green lights, send reminders, switch day-1 sessions.

    Args:
        as_of: Date métier (par défaut : la date du lancement, heure de Paris).
    """
    day = context.business_day(as_of)
    report = reconcile_pecs_for(day)
    mail = deliver_pending_emails()
    summary = RunSummary(f"Réconciliation des PEC au {day.isoformat()}")
    add_funding(summary, report)
    add_mail(summary, mail)
    return finish_run("reconcile-pecs-summary", summary, day, result=report)


@operator_flow("resolve-pec")
def resolve_pec(
    pec_ref: str = titled("PEC"),
    decision: PecDecisionChoice = titled("Décision"),
    note: Annotated[str, Field(min_length=3)] = titled("Note (obligatoire)"),
    session_ref: str = titled("Session (pour accept, si une autre)", ""),
    as_of: BusinessDate | None = titled("Date métier (vide : aujourd'hui)", None),
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
    message = decide_pec(pec_ref, decision == PecDecisionChoice.accept, note, session_ref or None,
                         operator, day)
    reconcile_pecs(as_of=day)
    return message
