"""Bank statements on demand, and an operator's decision on a payment proposal."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import Field

from backoffice.incidents import file_rejected
from flows.parameters import refused, titled
from tasks import context
from tasks.alerts import operator_flow
from tasks.payments import (
    decide_on_payment,
    import_invoices_named,
    import_statements_from,
    mapping_problem,
    match_bank_credits,
)
from tasks.summary import RunSummary, add_payments, finish_run


class PaymentChoice(StrEnum):
    confirm = "confirm"
    reject = "reject"


@operator_flow("import-statements")
def import_statements(
        files: list[Path] = titled("Fichiers de relevés"),
        account: Annotated[str, Field(max_length=42, pattern=r"^[A-Za-z0-9 ]*$")] = titled(
            "Compte des relevés (IBAN ou numéro de compte ; vide : celui du fichier)", ""),
        mapping: Annotated[str, Field(max_length=40, pattern=r"^([a-z0-9][a-z0-9-]*)?$")] = titled(
            "Correspondance enregistrée, pour une banque sans profil (vide : reconnue d'elle-même)",
            ""),
) -> RunSummary:
    """Import bank statement files (French bank CSV exports or camt.053), then match the credits.

    Args:
        files: Chemins des fichiers de relevés à importer (sur la machine du worker). Un
            fichier déjà importé ne change rien ; un fichier illisible est rejeté en entier.
        account: Le compte de ces relevés, quand le fichier ne le dit pas (la plupart des
            exports CSV) ; un fichier d'un autre compte est rejeté.
        mapping: Le nom d'une correspondance de colonnes enregistrée (fichier <nom>.toml de
            bank_mappings/, docs/payments.md), pour lire l'export d'une banque sans profil.
    """
    problem = mapping_problem(mapping) if mapping else None
    if problem:
        return refused(f"Import de relevés impossible : {problem}.")
    summary = RunSummary("Import de relevés bancaires")
    add_payments(summary, import_statements_from([Path(f) for f in files], move_files=False,
                                                 account=account.strip(), mapping=mapping),
                 match_bank_credits())
    return finish_run("statements-summary", summary, context.business_day(None), result=summary)


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
    return decide_on_payment(line_id, decision == PaymentChoice.confirm, list(invoices) or None, note,
                   context.operator())


@operator_flow("import-invoices")
def import_invoices(file_name: Annotated[str, Field(min_length=1, max_length=255)] = titled(
        "Fichier CSV, dans la boîte de dépôt des factures")) -> int:
    """Import the open invoices of a previous tool, so that their payments can be matched.

    Args:
        file_name: Le nom du fichier CSV déposé dans la boîte de dépôt des factures
            (BACKOFFICE_INVOICES_INBOX) ; un nom, pas un chemin. Colonnes : docs/payments.md.
    """
    outcome = import_invoices_named(file_name)
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
