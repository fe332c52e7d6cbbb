"""The French words for each run outcome (backoffice/outcomes.py): its row in the run's table
artifact and its line in the run's log. The one place where an outcome becomes text;
tasks/summary.py assembles the summary from these rows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import singledispatch
from typing import Any

from prefect import get_run_logger

from backoffice.dates import format_date_fr
from backoffice.money import format_eur
from backoffice.outcomes import (
    DocumentsBlocked,
    DocumentSetProduced,
    DocumentsTooLate,
    GreenLight,
    InvoiceIssued,
    InvoiceReminderSent,
    PaymentApplied,
    PaymentDecided,
    PaymentReversed,
    PaymentToReview,
    PayoutScheduled,
    PayoutToReview,
    PecReminderSent,
    PecToReview,
    ReceivablesAged,
    SepaFileExported,
    SwitchedToCompanyBilling,
    TransferExecuted,
    TransferReturned,
    UnknownOpco,
)
from backoffice.receivables import AgedBalance, Receivable

Row = dict[str, Any]


@singledispatch
def row(outcome: object) -> Row:
    """The outcome as a row of its table artifact (French column names)."""
    raise TypeError(f"no table row for {type(outcome).__name__}")


@singledispatch
def log_line(outcome: object) -> tuple[int, str] | None:
    """(level, French line) for the run's log, or None for an outcome the log does not tell."""
    return None


LOGGED = 200  # outcome lines a task logs; the rest are counted (every one is in the run's tables)


def log_outcomes(outcomes: Iterable[object], limit: int = LOGGED) -> None:
    """Log each outcome's line, the first `limit` of them: a statement of 50,000 credits would
    otherwise send 50,000 lines to the Prefect server (most of a bulk import's time)."""
    logger = get_run_logger()
    lines = (line for line in map(log_line, outcomes) if line is not None)
    left = 0
    for count, line in enumerate(lines):
        if count < limit:
            logger.log(*line)
        else:
            left += 1
    if left:
        logger.info("… et %d autre(s) ligne(s) de même nature : voir les tables du run", left)


# --- funding: the "pecs" table -----------------------------------------------------------------

def _pec_event(event: str, session: str, pec: str, detail: str) -> Row:
    return {"événement": event, "session": session, "PEC": pec, "détail": detail}


@row.register
def _(outcome: GreenLight) -> Row:
    return _pec_event("feu vert", outcome.session_ref, outcome.pec_ref,
                      f"{outcome.opco} {outcome.dossier}")


@log_line.register
def _(outcome: GreenLight) -> tuple[int, str]:
    return logging.INFO, f"feu vert : session {outcome.session_ref} (PEC {outcome.pec_ref})"


@row.register
def _(outcome: PecToReview) -> Row:
    return _pec_event("PEC à revoir", outcome.session_ref, outcome.pec_ref, outcome.reasons)


@log_line.register
def _(outcome: PecToReview) -> tuple[int, str]:
    return logging.WARNING, f"PEC {outcome.pec_ref} à revoir : {outcome.reasons}"


@row.register
def _(outcome: PecReminderSent) -> Row:
    return _pec_event(f"relance J-{outcome.days_before}", outcome.session_ref, "",
                      f"début le {outcome.start_date.isoformat()}")


@row.register
def _(outcome: SwitchedToCompanyBilling) -> Row:
    return _pec_event("facturation entreprise", outcome.session_ref, "",
                      f"pas de PEC validée le {outcome.start_date.isoformat()}")


@log_line.register
def _(outcome: SwitchedToCompanyBilling) -> tuple[int, str]:
    return logging.WARNING, (f"session {outcome.session_ref} : pas de PEC validée au premier "
                             "jour, facturation à l'entreprise")


@row.register
def _(outcome: UnknownOpco) -> Row:
    return _pec_event("OPCO inconnu", "", "", f"{outcome.client_ref} : {outcome.reason}")


# --- documents -----------------------------------------------------------------------------------

@row.register
def _(outcome: DocumentSetProduced) -> Row:
    return {"session": outcome.session_ref, "documents": outcome.kind,
            "version": outcome.version, "changement": outcome.explanation or "première version"}


@log_line.register
def _(outcome: DocumentSetProduced) -> tuple[int, str]:
    return logging.INFO, (f"documents {outcome.kind} v{outcome.version} de la session "
                          f"{outcome.session_ref} ({outcome.explanation or 'première version'})")


@log_line.register
def _(outcome: DocumentsBlocked) -> tuple[int, str]:
    return logging.WARNING, (f"session {outcome.session_ref} : documents impossibles, il manque "
                             f"{', '.join(outcome.missing)}")


@log_line.register
def _(outcome: DocumentsTooLate) -> tuple[int, str]:
    return logging.WARNING, (f"session {outcome.session_ref} commencée le "
                             f"{format_date_fr(outcome.start_date)} : {', '.join(outcome.kinds)} "
                             "non produits ni envoyés (à revoir)")


# --- invoicing -----------------------------------------------------------------------------------

@row.register
def _(outcome: InvoiceIssued) -> Row:
    return {"numéro": outcome.number, "session": outcome.session_ref, "payeur": outcome.payer,
            "type": outcome.part, "montant TTC": str(outcome.total_ttc)}


@log_line.register
def _(outcome: InvoiceIssued) -> tuple[int, str]:
    return logging.INFO, (f"facture {outcome.number} émise : {outcome.payer}, "
                          f"{outcome.total_ttc} €")


@log_line.register
def _(outcome: InvoiceReminderSent) -> tuple[int, str]:
    return logging.INFO, f"relance J+{outcome.days_after_due} de la facture {outcome.number}"


# --- payments ------------------------------------------------------------------------------------

def _invoices(outcome: PaymentDecided) -> str:
    return ", ".join(f"{number} ({amount})" for number, amount in outcome.allocations)


def _payment(state: str, outcome: PaymentDecided) -> Row:
    return {"état": state, "ligne": str(outcome.line_id), "factures": _invoices(outcome),
            "score": outcome.score, "raison": outcome.reason}


@row.register
def _(outcome: PaymentApplied) -> Row:
    return _payment("appliqué", outcome)


@row.register
def _(outcome: PaymentToReview) -> Row:
    return _payment("à revoir", outcome)


@log_line.register
def _(outcome: PaymentApplied) -> tuple[int, str]:
    return logging.INFO, f"paiement ligne {outcome.line_id} appliqué : {_invoices(outcome)}"


@log_line.register
def _(outcome: PaymentToReview) -> tuple[int, str]:
    return logging.WARNING, f"paiement ligne {outcome.line_id} à revoir : {outcome.reason}"


@row.register
def _(outcome: PaymentReversed) -> Row:
    return {"état": "contre-passé", "ligne": str(outcome.line_id),
            "factures": ", ".join(f"{number} ({amount})" for number, amount in outcome.reopened),
            "score": 0, "raison": outcome.reason}


@log_line.register
def _(outcome: PaymentReversed) -> tuple[int, str]:
    return logging.WARNING, f"paiement contre-passé, ligne {outcome.line_id} : {outcome.reason}"


# --- payouts: the "payouts" table ----------------------------------------------------------------

@row.register
def _(outcome: PayoutScheduled) -> Row:
    return {"état": "décidé", "virement": outcome.payout_id, "session": outcome.session_ref,
            "formateur": outcome.trainer_ref, "montant": str(outcome.amount),
            "facture": outcome.trainer_invoice,
            "exécution prévue": outcome.execution_date.isoformat()}


@log_line.register
def _(outcome: PayoutScheduled) -> tuple[int, str]:
    return logging.INFO, (f"virement {outcome.payout_id} décidé : session {outcome.session_ref}, "
                          f"{outcome.amount} €")


@row.register
def _(outcome: TransferExecuted) -> Row:
    return {"état": "exécuté", "virement": outcome.payout_id, "session": outcome.session_ref,
            "montant": str(outcome.amount), "exécuté le": outcome.executed_on.isoformat()}


@log_line.register
def _(outcome: TransferExecuted) -> tuple[int, str]:
    return logging.INFO, (f"virement {outcome.payout_id} exécuté le "
                          f"{outcome.executed_on.isoformat()} (session {outcome.session_ref})")


@row.register
def _(outcome: TransferReturned) -> Row:
    return {"état": "revenu", "virement": outcome.payout_id, "session": outcome.session_ref,
            "montant": str(outcome.amount), "motif": outcome.reason}


@log_line.register
def _(outcome: TransferReturned) -> tuple[int, str]:
    return logging.WARNING, f"virement {outcome.payout_id} revenu : {outcome.reason}"


@row.register
def _(outcome: PayoutToReview) -> Row:
    return {"état": "à revoir", "session": outcome.session_ref, "motif": outcome.reasons}


@log_line.register
def _(outcome: PayoutToReview) -> tuple[int, str]:
    return logging.WARNING, (f"virement de la session {outcome.session_ref} à revoir : "
                             f"{outcome.reasons}")


@log_line.register
def _(outcome: SepaFileExported) -> tuple[int, str]:
    return logging.INFO, (f"fichier SEPA {outcome.batch_id} : {outcome.transfers} virements, "
                          f"{outcome.total} €, exécution le {outcome.execution_date.isoformat()}")


# --- receivables: the "receivables" table ------------------------------------------------------

FUNDER_KINDS = {"opco": "OPCO", "company": "entreprise"}
AGE_LABELS = ("non échu", "1-30 j", "31-60 j", "61-90 j", "plus de 90 j")  # receivables.BUCKETS


@row.register
def _(balance: AgedBalance) -> Row:
    return {"financeur": balance.funder_name,
            "type": FUNDER_KINDS.get(balance.funder_kind, balance.funder_kind),
            "référence": balance.funder_ref, "factures": balance.invoices,
            **{label: str(amount) for label, amount in zip(AGE_LABELS, balance.buckets,
                                                            strict=True)},
            "total dû": str(balance.open), "échu": str(balance.overdue),
            "retard max (j)": balance.oldest_days_late,
            "DSO (j)": "" if balance.dso_days is None else str(balance.dso_days)}


def chase_text(invoice: Receivable) -> str:
    """An overdue invoice to chase, in a sentence."""
    since = invoice.age_from or invoice.due_date
    return (f"Relancer {FUNDER_KINDS.get(invoice.funder_kind, invoice.funder_kind)} "
            f"{invoice.funder_name} : facture {invoice.number}, {format_eur(invoice.open)} dus, "
            f"échue le {format_date_fr(since)} ({invoice.days_late} jours de retard)")


@log_line.register
def _(outcome: ReceivablesAged) -> tuple[int, str]:
    return logging.INFO, (f"créances au {outcome.as_of.isoformat()} : {outcome.open} € dus, "
                          f"dont {outcome.overdue} € échus, {len(outcome.balances)} financeur(s)")
