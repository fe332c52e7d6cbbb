"""The review queue: what a human must decide, one item per key, opened and resolved here."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from adapters.database import insert_rows
from adapters.models import ReviewItem
from backoffice.dates import business_date


class ReviewKind(StrEnum):
    """What an open item waits for (the queue's `kind` column)."""

    pec = "pec"  # a PEC with a discrepancy: accept or reject it
    payment = "payment"  # a bank credit the matching could not settle alone
    unmatched = "unmatched"  # a payer's credits no invoice explains, listed in one item
    payout = "payout"  # a trainer's transfer held, or returned by the bank
    documents = "documents"  # a session whose legal documents cannot be made
    late_documents = "late_documents"  # a convention or convocation due after the session started
    evidence = "evidence"  # half-days declared present without signatures nor connection log
    opco = "opco"  # a client whose OPCO nobody knows
    invoice = "invoice"  # an invoice due that cannot be issued: its buyer's identity is incomplete
    deposit = "deposit"  # an invoice to deposit on its funder's portal
    dunning = "dunning"  # an unpaid invoice whose funder has no billing e-mail: a person chases
    statement = "statement"  # a statement imported but flagged: balances that disagree, unknown account
    reversal = "reversal"  # a funder's payment reversed or returned by the bank: its invoices reopened


# The kinds an operator closes with the flow `close-review-item` once the action is done: no
# later run can see it done. The others are resolved by their own flow or by the next run.
CLOSED_BY_OPERATOR = frozenset({ReviewKind.late_documents, ReviewKind.dunning,
                                ReviewKind.statement, ReviewKind.reversal})


def open_item(db: OrmSession, key: str, *, kind: ReviewKind, subject: str, reasons: list[str],
              proposals: list[dict[str, Any]], now: datetime) -> bool:
    """Open the item (or update its reasons); True when it was not open before."""
    item = db.scalar(select(ReviewItem).where(ReviewItem.key == key))
    if item is None:
        db.add(ReviewItem(**new_item(key, kind=kind, subject=subject, reasons=reasons,
                                     proposals=proposals, now=now)))
        return True
    was_open = item.status == "open"
    if (item.status, item.reasons, item.proposals) != ("open", reasons, proposals):
        item.status, item.reasons, item.proposals = "open", reasons, proposals
        item.resolution = item.resolved_at = None
    return not was_open


def new_item(key: str, *, kind: ReviewKind, subject: str, reasons: list[str],
             proposals: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    """An open item as a row of the review queue."""
    return {"key": key, "kind": kind, "subject": subject, "reasons": reasons,
            "proposals": proposals, "status": "open", "created_at": now}


def open_new_items(db: OrmSession, items: list[dict[str, Any]]) -> None:
    """Open items (`new_item`) whose keys have no row yet, as the caller checked, in one batched
    insert (a key already there fails the transaction on its unique constraint)."""
    insert_rows(db, ReviewItem.__table__, items)


# What an operator does about an open item, by kind (French: shown in the run's artifact).
NEXT_STEP = {
    ReviewKind.pec: "flow `resolve-pec` (accept, avec la session, ou reject)",
    ReviewKind.payment: "flow `decide-payment` (confirm, avec les factures, ou reject)",
    ReviewKind.unmatched: "pour chaque ligne : flow `decide-payment` (confirm avec les factures "
                 "qu'elle paie, ou reject : pas un paiement de facture)",
    ReviewKind.payout: "corriger dans la plateforme (IBAN, SIRET, NDA, facture du formateur) : le "
              "traitement suivant reprend seul ; virement revenu : flow `retry-payout`",
    ReviewKind.documents: "compléter les données de la session dans la plateforme : le traitement "
                 "suivant produit les documents",
    ReviewKind.late_documents: "régulariser avec le client et le formateur (documents signés "
                 "avant le début, ou signalement à l'OPCO) : le pipeline n'envoie rien de daté "
                 "d'après le début ; puis flow `close-review-item` (clé, ce qui a été fait)",
    ReviewKind.evidence: "obtenir du formateur ou de la plateforme la preuve de ces demi-journées "
                 "(signatures, connexions) et la faire figurer dans l'export : le traitement "
                 "suivant les compte ; sans preuve, elles ne sont pas facturées à l'OPCO",
    ReviewKind.opco: "renseigner l'OPCO ou l'IDCC du client dans la plateforme : le traitement suivant "
            "reprend seul",
    ReviewKind.dunning: "relancer le financeur sur son portail (message au gestionnaire du "
               "dossier) ou par téléphone, puis flow `close-review-item` (clé, ce qui a été "
               "fait)",
    ReviewKind.deposit: "déposer les fichiers du dossier indiqué sur le portail du financeur, "
               "puis flow `record-deposit` (numéro, date du dépôt)",
    ReviewKind.statement: "vérifier le relevé auprès de la banque (écritures manquantes, soldes) ; "
                 "compte inconnu : l'ajouter aux comptes d'encaissement "
                 "(BACKOFFICE_COLLECTION_ACCOUNTS) ou aux autres comptes (BACKOFFICE_OTHER_ACCOUNTS) : "
                 "ses lignes déjà importées suivent ce réglage ; puis flow `close-review-item`",
    ReviewKind.reversal: "paiement annulé par la banque : la facture est rouverte et sera relancée ; "
                "contacter le financeur, puis flow `close-review-item`",
    ReviewKind.invoice: "compléter l'identité du payeur (OPCO : data/opcos.csv ; client : la "
               "plateforme) : le traitement suivant émet la facture",
}


def open_items(db: OrmSession, today: date | None = None) -> list[dict[str, str]]:
    """The open review queue with what to do about each item: those opened on `today` (a Paris
    date) first, then the others, oldest first."""
    rows = db.execute(select(ReviewItem.key, ReviewItem.subject, ReviewItem.reasons,
                             ReviewItem.created_at, ReviewItem.kind)  # rows, not ORM objects
                      .where(ReviewItem.status == "open")
                      .order_by(ReviewItem.created_at, ReviewItem.key))
    items = [{"clé": key, "objet": subject, "raisons": " ; ".join(reasons),
              "depuis": business_date(created_at).isoformat(),
              "que faire": NEXT_STEP.get(kind, "voir docs/operators.md")}
             for key, subject, reasons, created_at, kind in rows]
    if today is not None:
        items.sort(key=lambda item: item["depuis"] != today.isoformat())  # stable: oldest first
    return items


def resolve_item(db: OrmSession, key: str, resolution: str, now: datetime) -> bool:
    """Resolve the item if it is open; True when it was."""
    item = db.scalar(select(ReviewItem).where(ReviewItem.key == key))
    if item is None or item.status != "open":
        return False
    item.status, item.resolution, item.resolved_at = "resolved", resolution, now
    return True
