"""Bank statements on demand, and an operator's decision on a payment proposal."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

from prefect import task
from prefect.cache_policies import NO_CACHE
from pydantic import Field

from adapters.files import UnsafePathError, file_in_folder
from adapters.payments import decide_payment, import_legacy_invoices
from backoffice.incidents import file_rejected
from flows.parameters import refused, titled
from tasks import context
from tasks.alerts import operator_flow
from tasks.payments import import_statements_from, match_bank_credits
from tasks.summary import RunSummary, add_payments, finish_run


class PaymentChoice(StrEnum):
    confirm = "confirm"
    reject = "reject"


@operator_flow("import-statements")
def import_statements(files: list[Path] = titled("Fichiers de relevés")) -> RunSummary:
    """Import bank statement files (French bank CSV exports or camt.053), then match the credits.

    Args:
        files: Chemins des fichiers de relevés à importer (sur la machine du worker). Un
            fichier déjà importé ne change rien ; un fichier illisible est rejeté en entier.
    """
    summary = RunSummary("Import de relevés bancaires")
    add_payments(summary, import_statements_from([Path(f) for f in files], move_files=False),
                 match_bank_credits())
    return finish_run("statements-summary", summary, context.business_day(None), result=summary)


@task(cache_policy=NO_CACHE)
def _decide(line_id: int, accept: bool, invoices: list[str] | None, note: str,
            operator: str) -> str:
    return decide_payment(context.engine(), line_id=line_id, accept=accept, invoices=invoices,
                          note=note, operator=operator, now=context.now())


@operator_flow("decide-payment")
def decide_payment_proposal(
        line_id: int = titled("Ligne de relevé"),
        decision: PaymentChoice = titled("Décision"),
        note: Annotated[str, Field(min_length=3)] = titled("Note (obligatoire)"),
        invoices: tuple[str, ...] = titled("Factures à solder (vide : celles proposées)", ())
) -> str:
    """Confirm a payment proposal of the review queue (or give the invoices), or reject it.

    Args:
        line_id: La ligne de relevé (colonne « ligne » de la file de revue).
        decision: confirm : appliquer ; reject : ne rien appliquer (traitement hors pipeline).
        note: Pourquoi (obligatoire, gardée dans le journal d'audit).
        invoices: Pour confirm : les factures à solder, si ce ne sont pas celles proposées.
    """
    return _decide(line_id, decision == PaymentChoice.confirm, list(invoices) or None, note,
                   context.operator())


@task(cache_policy=NO_CACHE)
def _import_invoices(file_name: str) -> tuple[int, list[str]] | str:
    """(invoices imported, errors of a rejected file), or why the name is refused."""
    try:
        path = file_in_folder(context.settings().invoices_inbox, file_name)
    except UnsafePathError as error:
        return str(error)
    if not path.is_file():
        return f"« {file_name} » introuvable dans {context.settings().invoices_inbox}"
    count, errors = import_legacy_invoices(context.engine(), path)
    return count, [str(error) for error in errors]


@operator_flow("import-invoices")
def import_invoices(file_name: Annotated[str, Field(min_length=1, max_length=255)] = titled(
        "Fichier CSV, dans la boîte de dépôt des factures")) -> int:
    """Import the open invoices of a previous tool, so that their payments can be matched.

    Args:
        file_name: Le nom du fichier CSV déposé dans la boîte de dépôt des factures
            (BACKOFFICE_INVOICES_INBOX) ; un nom, pas un chemin. Colonnes : docs/payments.md.
    """
    outcome = _import_invoices(file_name)
    if isinstance(outcome, str):
        return refused(f"Import de factures impossible : {outcome}.")
    count, errors = outcome
    summary = RunSummary(f"Import de factures d'un outil précédent : {file_name}")
    if errors:
        summary.incidents.append(file_rejected(
            "invoices", file_name, errors, "corriger le fichier puis relancer l'import"))
    else:
        summary.lines.append(f"{count} facture(s) importée(s) (celles déjà connues ignorées)")
    return finish_run("import-invoices-summary", summary, context.business_day(None),
                      result=count)
