"""Bank statements on demand, and an operator's decision on a payment proposal."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from pydantic import Field

from adapters.payments import decide_payment
from tasks import context
from tasks.payments import import_statements_from, match_bank_credits
from tasks.summary import RunSummary, add_payments, publish_summary


class PaymentChoice(StrEnum):
    confirm = "confirm"
    reject = "reject"


@flow(name="import-statements", log_prints=True)
def import_statements(files: list[Path]) -> RunSummary:
    """Import bank statement files (French bank CSV exports or camt.053), then match the credits.

    Args:
        files: Chemins des fichiers de relevés à importer (sur la machine du worker). Un
            fichier déjà importé ne change rien ; un fichier illisible est rejeté en entier.
    """
    summary = RunSummary("Import de relevés bancaires")
    add_payments(summary, import_statements_from([Path(f) for f in files], move_files=False),
                 match_bank_credits())
    publish_summary("statements-summary", summary)
    return summary


@task(cache_policy=NO_CACHE)
def _decide(line_id: int, accept: bool, invoices: list[str] | None, note: str,
            operator: str) -> str:
    return decide_payment(context.engine(), line_id=line_id, accept=accept, invoices=invoices,
                          note=note, operator=operator, now=context.now())


@flow(name="decide-payment", log_prints=True)
def decide_payment_proposal(line_id: int, decision: PaymentChoice,
                            note: Annotated[str, Field(min_length=3)],
                            invoices: list[str] | None = None) -> str:
    """Confirm a payment proposal of the review queue (or give the invoices), or reject it.

    Args:
        line_id: La ligne de relevé (colonne « ligne » de la file de revue).
        decision: confirm : appliquer ; reject : ne rien appliquer (traitement hors pipeline).
        note: Pourquoi (obligatoire, gardée dans le journal d'audit).
        invoices: Pour confirm : les factures à solder, si ce ne sont pas celles proposées.
    """
    return _decide(line_id, decision == PaymentChoice.confirm, invoices or None, note,
                   context.operator())
