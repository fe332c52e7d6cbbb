"""Bank credits matched to invoices: the core proposes, certain matches are applied, the rest
waits in the review queue for an operator, whose decision is final and teaches the payer's IBAN.

Matching is idempotent: a credit that has an allocation (applied or proposed) is not matched
again; an invoice's paid amount is the sum of its applied allocations, never more than its
total; what exceeds is kept on the line as unapplied credit.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session as OrmSession

from adapters.audit import record_decision
from adapters.bank_import import collector_paused
from adapters.database import unit_of_work
from adapters.models import Allocation, BankLine, Invoice, LegacyInvoice, PayerIban, ReviewItem
from adapters.review import open_item, resolve_item
from backoffice.export_format import RowError
from backoffice.matching import Credit, MatchDecision, OpenInvoice, PayerDirectory, match_credits
from backoffice.money import ZERO, AmountError, parse_amount, quantize

ACTOR = "match-payments"


class PaymentDecisionError(ValueError):
    """An operator's payment decision that cannot be carried out (French message)."""


@dataclass(slots=True)
class MatchingReport:
    applied: list[dict[str, Any]] = field(default_factory=list)
    review: list[dict[str, Any]] = field(default_factory=list)


# --- what is open ---------------------------------------------------------------------------

def open_invoices(db: OrmSession) -> list[OpenInvoice]:
    """Every invoice with something still due: ours (less credit notes) and legacy ones."""
    credited: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for note in db.scalars(select(Invoice).where(Invoice.kind == "credit_note")):
        credited[note.credit_note_of or ""] += note.total_ttc
    result = []
    for invoice in db.scalars(select(Invoice).where(Invoice.kind == "invoice")):
        residual = quantize(invoice.total_ttc - invoice.paid_amount - credited[invoice.number])
        if residual > 0:
            result.append(OpenInvoice(invoice.number, invoice.funder_kind, invoice.funder_ref,
                                      invoice.funder_name, invoice.session_ref,
                                      invoice.dossier_number, residual, invoice.issue_date))
    for legacy in db.scalars(select(LegacyInvoice)):
        residual = quantize(legacy.amount_ttc - legacy.paid_amount)
        if residual > 0:
            result.append(OpenInvoice(legacy.number, legacy.funder_kind,
                                      _legacy_ref(legacy), legacy.funder_name,
                                      legacy.session_ref or "", legacy.dossier_number,
                                      residual, legacy.issue_date))
    return result


def _legacy_ref(legacy: LegacyInvoice) -> str:
    return f"legacy:{legacy.funder_name}"


def payer_directory(db: OrmSession) -> PayerDirectory:
    names: dict[str, set[str]] = defaultdict(set)
    for ref, name in db.execute(select(Invoice.funder_ref, Invoice.funder_name)):
        names[ref].add(name)
    ibans = {row.iban: row.funder_ref for row in db.scalars(select(PayerIban))}
    for legacy in db.scalars(select(LegacyInvoice)):
        names[_legacy_ref(legacy)].add(legacy.funder_name)
        if legacy.funder_iban:
            ibans.setdefault(legacy.funder_iban, _legacy_ref(legacy))
    return PayerDirectory(ibans=ibans, names={ref: tuple(sorted(n)) for ref, n in names.items()})


# --- matching -----------------------------------------------------------------------------------

def match_payments(engine: Engine, *, now: datetime) -> MatchingReport:
    report = MatchingReport()
    with collector_paused(), unit_of_work(engine) as db:
        decided = set(db.scalars(select(Allocation.line_id))) | {
            int(key.removeprefix("payment:")) for key in db.scalars(
                select(ReviewItem.key).where(ReviewItem.kind == "payment"))}
        lines = [line for line in db.scalars(select(BankLine).where(
            BankLine.classification == "funder_payment", BankLine.duplicate_of.is_(None))
            .order_by(BankLine.booking_date, BankLine.id)) if line.id not in decided]
        credits = [Credit(str(line.id), line.booking_date, line.amount, line.label,
                          line.counterparty, line.counterparty_iban, line.reference)
                   for line in lines]
        decisions = match_credits(credits, open_invoices(db), payer_directory(db))
        for decision in decisions:
            if decision.auto and decision.best is not None:
                _apply(db, int(decision.line_id), decision, "pipeline", now)
                report.applied.append(_summary(decision))
            else:
                _propose(db, int(decision.line_id), decision, now)
                report.review.append(_summary(decision))
    return report


def _summary(decision: MatchDecision) -> dict[str, Any]:
    best = decision.best
    return {"ligne": decision.line_id,
            "factures": ", ".join(f"{n} ({a})" for n, a in best.allocations) if best else "",
            "score": best.score if best else 0, "raison": decision.reason}


def _apply(db: OrmSession, line_id: int, decision: MatchDecision, who: str,
           now: datetime) -> None:
    best = decision.best
    for number, amount in best.allocations:  # type: ignore[union-attr]
        db.add(Allocation(line_id=line_id, invoice_number=number, amount=amount,
                          state="applied", score=best.score, method=" ; ".join(best.evidence),
                          decided_by=who, created_at=now))
        _pay(db, number, amount)
    record_decision(db, actor=who, action="payment.applied", subject=str(line_id), at=now,
                    reason=decision.reason, inputs={
                        "allocations": [[n, str(a)] for n, a in best.allocations],
                        "unapplied": str(best.unapplied), "score": best.score,
                        "evidence": list(best.evidence)})


def _pay(db: OrmSession, number: str, amount: Decimal) -> None:
    invoice = db.scalar(select(Invoice).where(Invoice.number == number))
    if invoice is None:
        legacy = db.get(LegacyInvoice, number)
        legacy.paid_amount = quantize(legacy.paid_amount + amount)
        legacy.status = "paid" if legacy.paid_amount >= legacy.amount_ttc else "partly_paid"
        return
    credited = sum(db.scalars(select(Invoice.total_ttc).where(
        Invoice.credit_note_of == number)), ZERO)
    paid = quantize(invoice.paid_amount + amount)
    if paid + credited > invoice.total_ttc:
        raise PaymentDecisionError(f"{number} : {paid} € payés dépasseraient le reste dû")
    invoice.paid_amount = paid
    invoice.status = "paid" if paid + credited >= invoice.total_ttc else "partly_paid"


def _propose(db: OrmSession, line_id: int, decision: MatchDecision, now: datetime) -> None:
    best = decision.best
    if best is not None:
        for number, amount in best.allocations:
            db.add(Allocation(line_id=line_id, invoice_number=number, amount=amount,
                              state="proposed", score=best.score,
                              method=" ; ".join(best.evidence), decided_by="pipeline",
                              created_at=now))
    line = db.get(BankLine, line_id)
    proposals = [{"factures": [[n, str(a)] for n, a in h.allocations], "score": h.score,
                  "preuves": list(h.evidence)} for h in decision.proposals]
    open_item(db, f"payment:{line_id}", kind="payment", reasons=[decision.reason],
              subject=f"ligne {line_id} du {line.booking_date} : {line.amount} € — "
                      f"{line.label[:80]}", proposals=proposals, now=now)


# --- an operator's decision ----------------------------------------------------------------------

def decide_payment(engine: Engine, *, line_id: int, accept: bool, invoices: list[str] | None,
                   note: str, operator: str, now: datetime) -> str:
    """Confirm the proposal (or other invoices), or reject it; final, audit-logged, and a
    confirmed payment teaches the payer's IBAN."""
    if not note.strip():
        raise PaymentDecisionError("une note expliquant la décision est obligatoire")
    with unit_of_work(engine) as db:
        item = db.scalar(select(ReviewItem).where(ReviewItem.key == f"payment:{line_id}"))
        if item is None or item.status != "open":
            raise PaymentDecisionError(f"aucune proposition ouverte pour la ligne {line_id}")
        line = db.get(BankLine, line_id)
        proposed = list(db.scalars(select(Allocation).where(
            Allocation.line_id == line_id, Allocation.state == "proposed")))
        for allocation in proposed:
            allocation.state = "rejected"
        verdict = f"rejetée par {operator} : {note}"
        if accept:
            chosen = _chosen(db, line, proposed, invoices)
            for number, amount in chosen:
                db.add(Allocation(line_id=line_id, invoice_number=number, amount=amount,
                                  state="applied", score=100, method=f"confirmé : {note}",
                                  decided_by=operator, created_at=now))
                _pay(db, number, amount)
            _learn_iban(db, line, chosen[0][0] if chosen else None, now)
            verdict = "confirmée par {} : {} ({})".format(
                operator, ", ".join(f"{n} {a} €" for n, a in chosen), note)
        resolve_item(db, f"payment:{line_id}", verdict, now)
        record_decision(db, actor=operator, action="payment.confirmed" if accept else
                        "payment.rejected", subject=str(line_id), reason=note, at=now,
                        inputs={"invoices": invoices, "amount": str(line.amount)})
    return f"Paiement de la ligne {line_id} {verdict}"


def _chosen(db: OrmSession, line: BankLine, proposed: list[Allocation],
            invoices: list[str] | None) -> list[tuple[str, Decimal]]:
    if not invoices:
        if not proposed:
            raise PaymentDecisionError("aucune proposition : indiquer les factures à solder")
        return [(a.invoice_number, a.amount) for a in proposed]
    residuals = {i.number: i.residual for i in open_invoices(db)}
    chosen, left = [], line.amount
    for number in invoices:
        if number not in residuals:
            raise PaymentDecisionError(f"facture {number} inconnue ou déjà soldée")
        amount = min(residuals[number], left)
        if amount > 0:
            chosen.append((number, amount))
            left -= amount
    return chosen


def _learn_iban(db: OrmSession, line: BankLine, number: str | None, now: datetime) -> None:
    if not line.counterparty_iban or number is None:
        return
    invoice = db.scalar(select(Invoice).where(Invoice.number == number))
    funder = invoice.funder_ref if invoice else f"legacy:{db.get(LegacyInvoice, number).funder_name}"
    if db.get(PayerIban, line.counterparty_iban) is None:
        db.add(PayerIban(iban=line.counterparty_iban, funder_ref=funder,
                         learned_from_line=line.id, learned_at=now))


# --- invoices from a previous tool -------------------------------------------------------------

LEGACY_COLUMNS = ("invoice_number", "funder_name", "funder_kind", "dossier_pec_number",
                  "session_ref", "amount_ttc", "issue_date")


def import_legacy_invoices(engine: Engine, path: Path) -> tuple[int, list[RowError]]:
    """Open invoices of a previous tool (design §5); a file with a bad row is rejected whole."""
    rows, errors = _read_legacy(path)
    if errors:
        return 0, errors
    with unit_of_work(engine) as db:
        known = set(db.scalars(select(LegacyInvoice.number)))
        new = [row for row in rows if row["number"] not in known]
        for row in new:
            db.add(LegacyInvoice(**row))
    return len(new), []


def _read_legacy(path: Path) -> tuple[list[dict[str, Any]], list[RowError]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in LEGACY_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            return [], [RowError(path.name, 1, c, "", "colonne obligatoire absente")
                        for c in missing]
        rows, errors = [], []
        for record in reader:
            line = reader.line_num
            if None in record or None in record.values():
                errors.append(RowError(path.name, line, "", ",".join(
                    str(v) for v in record.values() if v)[:80],
                    "nombre de champs différent de l'en-tête (virgule non protégée ?)"))
                continue
            try:
                amount = parse_amount(record["amount_ttc"])
            except AmountError as exc:
                errors.append(RowError(path.name, line, "amount_ttc", record["amount_ttc"],
                                       str(exc)))
                continue
            kind = record["funder_kind"].strip().lower()
            if kind not in ("opco", "company"):
                errors.append(RowError(path.name, line, "funder_kind", record["funder_kind"],
                                       "attendu : OPCO ou company"))
                continue
            try:
                issued = date.fromisoformat(record["issue_date"].strip())
            except ValueError:
                errors.append(RowError(path.name, line, "issue_date", record["issue_date"],
                                       "date invalide : format AAAA-MM-JJ attendu"))
                continue
            rows.append({"number": record["invoice_number"].strip(),
                         "funder_name": record["funder_name"].strip(), "funder_kind": kind,
                         "dossier_number": record["dossier_pec_number"].strip() or None,
                         "session_ref": record["session_ref"].strip() or None,
                         "amount_ttc": amount, "issue_date": issued,
                         "funder_iban": (record.get("funder_iban") or "").replace(" ", "")
                         or None})
    return rows, errors
