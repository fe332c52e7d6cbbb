"""Trainer payouts on demand, and an operator's retry after a returned transfer."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from flows.parameters import BusinessDate, titled
from tasks import context
from tasks.alerts import operator_flow
from tasks.concurrency import money_moving
from tasks.mail import deliver_pending_emails
from tasks.payouts import (
    retry_returned_transfer,
    schedule_and_export_payouts,
    track_payout_executions,
)
from tasks.summary import RunSummary, add_mail, add_payouts, finish_run


@operator_flow("pay-trainers")
def pay_trainers(as_of: BusinessDate | None = titled("Date métier (vide : aujourd'hui)", None)
                 ) -> RunSummary:
    """Track the transfers seen on the statements, decide what trainers are owed, write the
    SEPA files of the next business day, and send the confirmations.

    Args:
        as_of: Date métier (par défaut : aujourd'hui, heure de Paris). Les virements décidés ce
            jour-là partent le jour ouvré TARGET2 suivant.
    """
    day = context.business_day(as_of)
    summary = RunSummary(f"Virements formateurs du {day.isoformat()}")
    with money_moving():
        add_payouts(summary, schedule_and_export_payouts(day, track_payout_executions()),
                    context.settings().output_dir)
    add_mail(summary, deliver_pending_emails())
    return finish_run("payouts-summary", summary, day, result=summary)


@operator_flow("retry-payout")
def retry_returned_payout(
        payout_id: Annotated[str, Field(pattern=r"^PO-\d{4}-\d{6}$")] = titled("Virement revenu"),
        note: Annotated[str, Field(min_length=3)] = titled("Ce qui a été corrigé")) -> str:
    """After a transfer came back (wrong IBAN, closed account), pay the session again.

    Args:
        payout_id: Le virement revenu (ex. PO-2026-000042), tel qu'il figure dans la file de revue.
        note: Ce qui a été corrigé (obligatoire, gardée dans le journal d'audit). Corriger
            d'abord l'IBAN dans la plateforme : le prochain traitement reprend les coordonnées
            bancaires du dernier export.
    """
    return retry_returned_transfer(payout_id, note, context.operator())


