"""Bank credits matched to invoices: the core proposes, certain matches are applied, the rest
waits in the review queue for an operator, whose decision is final and teaches the payer's IBAN and
its name as the line gives it (`payer_directory`).

Matching is idempotent: a credit that has an allocation (applied or proposed) is not matched
again; an invoice's paid amount is the sum of its applied allocations, never more than its
total; what exceeds is kept on the line as unapplied credit.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, String, Table, cast, exists, literal, select
from sqlalchemy.orm import Session as OrmSession

from adapters.audit import audit_entry, record_decision, record_decisions
from adapters.database import insert_rows, read_rows, unit_of_work, update_rows
from adapters.models import Allocation, BankLine, Invoice, LegacyInvoice, PayerIban, ReviewItem
from adapters.review import ReviewKind, new_item, open_item, open_new_items, resolve_item
from backoffice.export_format import RowError
from backoffice.incidents import digest
from backoffice.matching import Credit, Hypothesis, MatchDecision, OpenInvoice, PayerDirectory, match_credits
from backoffice.money import ZERO, AmountError, format_eur, parse_amount, quantize
from backoffice.names import fold
from backoffice.outcomes import PaymentApplied, PaymentDecided, PaymentReversed, PaymentToReview
from services.statements import collector_paused

ACTOR = "match-payments"
PIPELINE = "pipeline"  # who the automatic allocations are decided by
Decided = TypeVar("Decided", bound=PaymentDecided)


class PaymentDecisionError(ValueError):
    """An operator's payment decision that cannot be carried out (French message)."""


@dataclass(slots=True)
class MatchingReport:
    applied: list[PaymentApplied] = field(default_factory=list)
    review: list[PaymentToReview] = field(default_factory=list)
    reversed: list[PaymentReversed] = field(default_factory=list)


# --- what is open ---------------------------------------------------------------------------

@dataclass(slots=True)
class _Payable:
    """An invoice as payments see it: read as a plain row, paid in memory, written back in one
    batched update (`Ledger.write`)."""

    table: Table  # invoices or legacy_invoices
    key: int | str  # its primary key there
    invoice: OpenInvoice  # its residual: what was due when read
    total: Decimal  # less its credit notes
    paid: Decimal
    funder_iban: str | None = None  # given with a legacy invoice
    changed: bool = False

    @property
    def residual(self) -> Decimal:
        return quantize(self.total - self.paid)


class Ledger:
    """The invoices payments settle, read once per transaction as plain rows: ours (less their
    credit notes) and the legacy ones, by number. Paying one changes it in memory; `write` stores
    every paid amount in one batched update: a run of 50,000 credits makes no query per credit.

    The rows are locked until the transaction ends (PostgreSQL: SELECT … FOR UPDATE; SQLite
    serialises writers): an operator's decision made while the nightly run matches waits for
    it, then pays against what it applied, instead of one overwriting the other's paid amount."""

    def __init__(self, db: OrmSession, numbers: Collection[str] | None = None) -> None:
        ours = select(Invoice.id, Invoice.number, Invoice.funder_kind, Invoice.funder_ref,
                      Invoice.funder_name, Invoice.session_ref, Invoice.dossier_number, Invoice.issue_date,
                      Invoice.total_ttc, Invoice.paid_amount,
                      ).where(Invoice.kind == "invoice").with_for_update()
        notes = select(Invoice.credit_note_of, Invoice.total_ttc).where(Invoice.kind == "credit_note")
        legacy = select(LegacyInvoice.number, LegacyInvoice.funder_kind, LegacyInvoice.funder_name,
                        LegacyInvoice.session_ref, LegacyInvoice.dossier_number, LegacyInvoice.issue_date,
                        LegacyInvoice.amount_ttc, LegacyInvoice.paid_amount,
                        LegacyInvoice.funder_iban).with_for_update()
        if numbers is not None:  # one operator's decision: only the invoices it names
            ours = ours.where(Invoice.number.in_(numbers))
            notes = notes.where(Invoice.credit_note_of.in_(numbers))
            legacy = legacy.where(LegacyInvoice.number.in_(numbers))
        self.db = db
        credited: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for credit_note_of, total in read_rows(db, notes):
            credited[credit_note_of or ""] += total
        self.invoices: dict[str, _Payable] = {}  # ours first: a legacy number never hides one
        for key, number, kind, ref, name, session, dossier, issued, total_ttc, paid in read_rows(db, ours):
            total = total_ttc - credited[number]
            self.invoices[number] = _Payable(Invoice.__table__, key, OpenInvoice(
                number, kind, ref, name, session, dossier, quantize(total - paid), issued), total, paid)
        for number, kind, name, session_ref, dossier, issued, total, paid, iban in read_rows(db, legacy):
            if number not in self.invoices:
                self.invoices[number] = _Payable(LegacyInvoice.__table__, number, OpenInvoice(
                    number, kind, f"legacy:{name}", name, session_ref or "", dossier, quantize(total - paid),
                    issued), total, paid, iban)

    def open_invoices(self) -> list[OpenInvoice]:
        """Every invoice with something still due."""
        return [replace(payable.invoice, residual=payable.residual) if payable.changed else payable.invoice
                for payable in self.invoices.values() if payable.residual > 0]

    def legacy(self) -> list[_Payable]:
        """The invoices of a previous tool."""
        return [payable for payable in self.invoices.values() if payable.table is LegacyInvoice.__table__]

    def pay(self, number: str, amount: Decimal) -> None:
        """Add `amount` to the invoice's paid amount, never beyond its residual
        (PaymentDecisionError: a proposal confirmed after the invoice was paid)."""
        payable = self.invoices.get(number)
        if payable is None:
            raise PaymentDecisionError(f"facture {number} inconnue")
        paid = quantize(payable.paid + amount)
        if paid > payable.total:
            raise PaymentDecisionError(f"{number} : {paid} € payés dépasseraient le reste dû")
        payable.paid, payable.changed = paid, True

    def unpay(self, number: str, amount: Decimal) -> Decimal:
        """Take `amount` back from the invoice's paid amount (a payment reversed by the bank),
        never below zero; what was taken back."""
        payable = self.invoices.get(number)
        if payable is None:
            return ZERO
        taken = min(amount, payable.paid)
        payable.paid, payable.changed = quantize(payable.paid - taken), True
        return taken

    def write(self) -> None:
        """The paid amounts changed, and the invoices' status (`paid`, `partly_paid`, or `issued`
        again once a reversal took back all that was paid), in one batched update per table:
        before the transaction ends."""
        for table, key in ((Invoice.__table__, "id"), (LegacyInvoice.__table__, "number")):
            update_rows(self.db, table, key, [
                {key: payable.key, "paid_amount": payable.paid, "status": _status(payable)}
                for payable in self.invoices.values() if payable.changed and payable.table is table])
        for payable in self.invoices.values():
            payable.changed = False

    def funder_ref(self, number: str) -> str:
        """The payer the invoice is addressed to, as the directory names it."""
        return self.invoices[number].invoice.funder_ref


def _status(payable: _Payable) -> str:
    if payable.paid >= payable.total:
        return "paid"
    return "partly_paid" if payable.paid > 0 else "issued"


def payer_directory(db: OrmSession, ledger: Ledger) -> PayerDirectory:
    """The names of every funder we invoiced, the IBANs learned (or given with a legacy invoice), and
    the names learned from the operators' decisions: the counterparty of each line an operator
    confirmed (its allocations applied by someone else than the pipeline), for the funder of the
    invoices it paid (issue 18: a payer's name as its bank writes it, "OPCO MOB")."""
    names: dict[str, set[str]] = defaultdict(set)
    for ref, name in read_rows(db, select(Invoice.funder_ref, Invoice.funder_name).distinct()):
        names[ref].add(name)
    ibans = {row.iban: row.funder_ref for row in db.scalars(select(PayerIban))}
    for legacy in ledger.legacy():
        names[legacy.invoice.funder_ref].add(legacy.invoice.funder_name)
        if legacy.funder_iban:
            ibans.setdefault(legacy.funder_iban, legacy.invoice.funder_ref)
    learned: dict[str, set[str]] = defaultdict(set)
    for counterparty, number in read_rows(db, select(BankLine.counterparty, Allocation.invoice_number)
                                          .join(Allocation, Allocation.line_id == BankLine.id)
                                          .where(Allocation.state == "applied",
                                                 Allocation.decided_by != PIPELINE,
                                                 BankLine.counterparty != "").distinct()):
        if number in ledger.invoices:
            learned[counterparty].add(ledger.funder_ref(number))
    return PayerDirectory(ibans=ibans, names={ref: tuple(sorted(n)) for ref, n in names.items()},
                          learned_names={name: tuple(sorted(refs)) for name, refs in learned.items()})


# --- matching -----------------------------------------------------------------------------------

def match_payments(engine: Engine, *, now: datetime,
                   collection_accounts: Collection[str] | None = None) -> MatchingReport:
    """Match every credit not decided yet, in one transaction: the certain ones applied (the
    invoices paid, the decision audit-logged), the others in the review queue with their
    proposals. The rows are written in a few batched statements, not per credit.

    Only the lines of `collection_accounts` (the accounts where funders pay) and of no known
    account ("": a file nobody said the account of) are matched; None: every line."""
    report = MatchingReport()
    accounts = None if collection_accounts is None else {"", *collection_accounts}
    with collector_paused(), unit_of_work(engine) as db:
        ledger = Ledger(db)  # first: a run matching meanwhile has decided its credits when we read ours
        report.reversed = reverse_payments(db, ledger, now, accounts)  # first: a reversed credit
        credits = _undecided_credits(db, accounts)  # is never matched
        decisions = match_credits(credits.values(), ledger.open_invoices(), payer_directory(db, ledger))
        allocations: list[tuple[Any, ...]] = []
        entries: list[dict[str, Any]] = []
        items: list[dict[str, Any]] = []
        unexplained: list[Credit] = []
        for decision in decisions:
            line_id = int(decision.line_id)
            if decision.auto and decision.best is not None:
                allocations += _matched(line_id, decision.best, "applied", now)
                for number, amount in decision.best.allocations:
                    ledger.pay(number, amount)
                entries.append(_applied_entry(line_id, decision.best, decision.reason, now))
                report.applied.append(_outcome(PaymentApplied, decision))
            else:
                if decision.best is not None:
                    allocations += _matched(line_id, decision.best, "proposed", now)
                if decision.proposals:
                    items.append(_review_item(credits[decision.line_id], decision, now))
                else:  # nothing to propose: one item per payer, not one per line
                    unexplained.append(credits[decision.line_id])
                report.review.append(_outcome(PaymentToReview, decision))
        ledger.write()
        _record_allocations(db, allocations)
        record_decisions(db, entries)
        items += _unexplained_items(unexplained, now)
        open_new_items(db, items)  # a line with an item was decided: it is not matched again
    return report


LISTED_LINES = 20  # lines of an unexplained payer's item named in its reasons (all in proposals)


def _unexplained_items(credits: list[Credit], now: datetime) -> list[dict[str, Any]]:
    """The credits no invoice could explain, one review item per payer (its IBAN, else its
    name), listing its lines: a statement of thousands of such credits makes a few items, not
    thousands. `decide-payment` still decides each line."""
    by_payer: dict[str, list[Credit]] = defaultdict(list)
    for credit in credits:
        by_payer[credit.counterparty_iban or fold(credit.counterparty)].append(credit)
    items = []
    for payer, group in by_payer.items():
        name = group[0].counterparty or group[0].counterparty_iban or "payeur non indiqué"
        listed = [f"ligne {c.line_id} du {c.booking_date} : {c.amount} € — {c.label[:60]}"
                  for c in group[:LISTED_LINES]]
        if len(group) > LISTED_LINES:
            listed.append(f"… et {len(group) - LISTED_LINES} autre(s) (liste complète dans les "
                          "propositions de cet élément)")
        total = sum((c.amount for c in group), ZERO)
        items.append(new_item(
            f"unmatched:{group[0].line_id}:{digest(payer)[:12]}", kind=ReviewKind.unmatched,
            subject=f"{len(group)} paiement(s) sans facture candidate : {name} "
                    f"({format_eur(total)})",
            reasons=["aucune facture candidate", *listed], now=now,
            proposals=[{"lignes": sorted(int(c.line_id) for c in group), "décidées": []}]))
    return items


def _unexplained_lines(item: ReviewItem, *, undecided: bool = False) -> list[int]:
    """The lines of an unexplained payer's item (those not decided yet, when `undecided`)."""
    proposal = item.proposals[0] if item.proposals else {}
    decided = set(proposal.get("décidées", [])) if undecided else set()
    return [int(line) for line in proposal.get("lignes", []) if line not in decided]


# --- reversals ----------------------------------------------------------------------------------

def reverse_payments(db: OrmSession, ledger: Ledger, now: datetime,
                     accounts: Collection[str] | None = None) -> list[PaymentReversed]:
    """Each debit the bank flagged as the reversal or return of a credit (camt `RvslInd`,
    `RtrInf`), not handled yet: the credit it undoes is found (same account, same amount, booked
    no later, and the same end-to-end reference or payer's account when the reversal gives one;
    exactly one such credit), what it paid is un-applied (its allocations `reversed`, the invoices
    reopened), a proposal of it rejected, a credit not decided yet is never matched; and a review
    item `reversal:<line>` tells the operator, also when the credit could not be told."""
    handled = {key for key, in read_rows(db, select(ReviewItem.key).where(
        ReviewItem.kind == ReviewKind.reversal))}
    query = select(BankLine.id, BankLine.account, BankLine.booking_date, BankLine.amount,
                   BankLine.reference, BankLine.counterparty_iban, BankLine.label).where(
        BankLine.reversal.is_(True), BankLine.duplicate_of.is_(None))
    if accounts is not None:
        query = query.where(BankLine.account.in_(accounts))
    reversals = [row for row in read_rows(db, query.order_by(BankLine.booking_date, BankLine.id))
        if row[3] < 0 and f"reversal:{row[0]}" not in handled]  # a returned payout is the payouts'

    outcomes: list[PaymentReversed] = []
    taken: set[int] = set()  # two reversals never undo the same credit
    for line_id, account, day, amount, reference, iban, label in reversals:
        original = _reversed_credit(db, account, day, -amount, reference, iban, taken)
        reopened: list[tuple[str, Decimal]] = []
        if original is None:
            reason = ("contre-passation ou retour d'un paiement : crédit d'origine introuvable ou "
                      "ambigu, rien n'a été désappliqué")
        else:
            taken.add(original)
            reopened = _unapply(db, ledger, original, line_id, now)
            reason = (f"paiement de la ligne {original} contre-passé ou retourné par la banque : "
                      + (", ".join(f"{n} rouverte ({a} €)" for n, a in reopened) if reopened
                         else "il n'avait rien soldé"))
        open_item(db, f"reversal:{line_id}", kind=ReviewKind.reversal, reasons=[reason], proposals=[],
                  subject=f"ligne {line_id} du {day} : {amount} € — {label[:80]}", now=now)
        record_decision(db, actor="pipeline", action="payment.reversed", subject=str(line_id),
                        reason=reason, at=now, inputs={
                            "original": original, "reopened": [[n, str(a)] for n, a in reopened]})
        outcomes.append(PaymentReversed(line_id, original, tuple(reopened), reason))
    return outcomes


def _reversed_credit(db: OrmSession, account: str, day: date, amount: Decimal, reference: str,
                     iban: str, taken: set[int]) -> int | None:
    """The one credit a reversal undoes, or None when none or several fit."""
    rows = [row for row in read_rows(db, select(
        BankLine.id, BankLine.reference, BankLine.counterparty_iban).where(
        BankLine.account == account, BankLine.amount == amount, BankLine.booking_date <= day,
        BankLine.reversal.is_(False)).order_by(BankLine.booking_date, BankLine.id))
        if row[0] not in taken]
    if iban:  # a payer's account, when both lines give one, must be the same
        rows = [row for row in rows if row[2] in ("", iban)]
    words = set(reference.split())
    if words:  # the credit quoting the reversal's end-to-end reference, else one quoting none
        cited = [row for row in rows if words & set(row[1].split())]
        rows = cited or [row for row in rows if not row[1]]
    return rows[0][0] if len(rows) == 1 else None


def _unapply(db: OrmSession, ledger: Ledger, original: int, reversal: int, now: datetime
             ) -> list[tuple[str, Decimal]]:
    """Un-apply what the credit paid (its invoices reopened), reject what was proposed for it,
    and close its payment item: a reversed credit is no longer to be matched."""
    reopened: list[tuple[str, Decimal]] = []
    for allocation in db.scalars(select(Allocation).where(
            Allocation.line_id == original, Allocation.state.in_(("applied", "proposed")))):
        if allocation.state == "applied":
            back = ledger.unpay(allocation.invoice_number, allocation.amount)
            reopened.append((allocation.invoice_number, back))
            allocation.state = "reversed"
        else:
            allocation.state = "rejected"
    verdict = f"paiement contre-passé par la ligne {reversal}"
    item = db.scalar(select(ReviewItem).where(ReviewItem.key == f"payment:{original}"))
    if item is None:
        db.add(ReviewItem(**{**new_item(f"payment:{original}", kind=ReviewKind.payment,
                                        subject=f"ligne {original}", reasons=[verdict], proposals=[],
                                        now=now), "status": "resolved", "resolution": verdict,
                             "resolved_at": now}))
    elif item.status == "open":
        resolve_item(db, item.key, verdict, now)
    return reopened


def _undecided_credits(db: OrmSession, accounts: Collection[str] | None = None) -> dict[str, Credit]:
    """The funder payments with no allocation and no review item yet, by line id, in statement
    order (read as plain rows: a statement can hold 100,000 of them). The decided lines are left
    out by the database (an allocation, or the line's own review item, each found by an index):
    a night reads its new lines, not every payment received since the first."""
    listed = {line for item in db.scalars(select(ReviewItem).where(
        ReviewItem.kind == ReviewKind.unmatched)) for line in _unexplained_lines(item)}
    its_item = literal("payment:", String) + cast(BankLine.id, String)
    query = (select(BankLine.id, BankLine.booking_date, BankLine.amount, BankLine.label,
                    BankLine.counterparty, BankLine.counterparty_iban, BankLine.reference)
             .where(BankLine.classification == "funder_payment", BankLine.duplicate_of.is_(None),
                    ~exists().where(Allocation.line_id == BankLine.id),
                    ~exists().where(ReviewItem.key == its_item,
                                    ReviewItem.kind == ReviewKind.payment)))
    if accounts is not None:
        query = query.where(BankLine.account.in_(accounts))
    rows = read_rows(db, query.order_by(BankLine.booking_date, BankLine.id))
    return {str(line_id): Credit(str(line_id), day, amount, label, counterparty, iban, reference)
            for line_id, day, amount, label, counterparty, iban, reference in rows if line_id not in listed}


def _outcome(kind: type[Decided], decision: MatchDecision) -> Decided:
    best = decision.best
    return kind(int(decision.line_id), tuple(best.allocations) if best else (),
                best.score if best else 0, decision.reason)


_ALLOCATION_COLUMNS = ("line_id", "invoice_number", "amount", "state", "score", "method", "decided_by",
                       "created_at")


def _allocations(line_id: int, pairs: Sequence[tuple[str, Decimal]], *,
                 state: str, score: int, method: str, who: str, now: datetime) -> list[tuple[Any, ...]]:
    """Rows of `allocations` (values of _ALLOCATION_COLUMNS): the line's amount on each (invoice
    number, amount). Tuples: a run of 500,000 credits holds as many rows."""
    return [(line_id, number, amount, state, score, method, who, now) for number, amount in pairs]


def _record_allocations(db: OrmSession, rows: list[tuple[Any, ...]]) -> None:
    """The `_allocations` rows in one batched insert."""
    insert_rows(db, Allocation.__table__, rows, _ALLOCATION_COLUMNS)


def _matched(line_id: int, best: Hypothesis, state: str, now: datetime) -> list[tuple[Any, ...]]:
    """The pipeline's allocations of a hypothesis, applied or proposed."""
    return _allocations(line_id, best.allocations, state=state, score=best.score,
                        method=" ; ".join(best.evidence), who=PIPELINE, now=now)


def _applied_entry(line_id: int, best: Hypothesis, reason: str, now: datetime) -> dict[str, Any]:
    return audit_entry(actor="pipeline", action="payment.applied", subject=str(line_id), at=now,
                       reason=reason, inputs={
                           "allocations": [[n, str(a)] for n, a in best.allocations],
                           "unapplied": str(best.unapplied), "score": best.score,
                           "evidence": list(best.evidence)})


def _review_item(credit: Credit, decision: MatchDecision, now: datetime) -> dict[str, Any]:
    proposals = [{"factures": [[n, str(a)] for n, a in h.allocations], "score": h.score,
                  "preuves": list(h.evidence)} for h in decision.proposals]
    return new_item(f"payment:{credit.line_id}", kind=ReviewKind.payment, reasons=[decision.reason],
                    subject=f"ligne {credit.line_id} du {credit.booking_date} : {credit.amount} € — "
                            f"{credit.label[:80]}", proposals=proposals, now=now)


# --- an operator's decision ----------------------------------------------------------------------

def decide_payment(engine: Engine, *, line_id: int, accept: bool, invoices: list[str] | None,
                   note: str, operator: str, now: datetime) -> str:
    """Confirm the proposal (or other invoices), or reject it; final, audit-logged, and a
    confirmed payment teaches the payer's IBAN, and its name on the line (read back from the
    confirmed allocations by `payer_directory`)."""
    if not note.strip():
        raise PaymentDecisionError("une note expliquant la décision est obligatoire")
    with unit_of_work(engine) as db:
        item = db.scalar(select(ReviewItem).where(ReviewItem.key == f"payment:{line_id}"))
        group = None if item is not None else next((
            open_group for open_group in db.scalars(select(ReviewItem).where(
                ReviewItem.kind == ReviewKind.unmatched, ReviewItem.status == "open"))
            if line_id in _unexplained_lines(open_group, undecided=True)), None)
        if (item is None or item.status != "open") and group is None:
            raise PaymentDecisionError(f"aucune proposition ouverte pour la ligne {line_id}")
        line = db.get_one(BankLine, line_id)  # the line of an open item
        proposed = list(db.scalars(select(Allocation).where(
            Allocation.line_id == line_id, Allocation.state == "proposed")))
        for allocation in proposed:
            allocation.state = "rejected"
        verdict = f"rejetée par {operator} : {note}"
        if accept:
            ledger = Ledger(db, invoices or [allocation.invoice_number for allocation in proposed])
            chosen = _chosen(ledger, line, proposed, invoices)
            _record_allocations(db, _allocations(line_id, chosen, state="applied", score=100,
                                                 method=f"confirmé : {note}", who=operator, now=now))
            for number, amount in chosen:
                ledger.pay(number, amount)
            ledger.write()
            if chosen:
                _learn_iban(db, line, ledger.funder_ref(chosen[0][0]), now)
            verdict = "confirmée par {} : {} ({})".format(
                operator, ", ".join(f"{n} {a} €" for n, a in chosen), note)
        if group is None:
            resolve_item(db, f"payment:{line_id}", verdict, now)
        else:  # the line is decided within its payer's item, resolved with its last line
            proposal = group.proposals[0]
            group.proposals = [{**proposal, "décidées": [*proposal.get("décidées", []), line_id]}]
            if not _unexplained_lines(group, undecided=True):
                resolve_item(db, group.key, "chaque ligne décidée (decide-payment)", now)
        record_decision(db, actor=operator, action="payment.confirmed" if accept else
                        "payment.rejected", subject=str(line_id), reason=note, at=now,
                        inputs={"invoices": invoices, "amount": str(line.amount)})
    return f"Paiement de la ligne {line_id} {verdict}"


def _chosen(ledger: Ledger, line: BankLine, proposed: list[Allocation],
            invoices: list[str] | None) -> list[tuple[str, Decimal]]:
    if not invoices:
        if not proposed:
            raise PaymentDecisionError("aucune proposition : indiquer les factures à solder")
        return [(a.invoice_number, a.amount) for a in proposed]
    residuals = {i.number: i.residual for i in ledger.open_invoices()}
    chosen, left = [], line.amount
    for number in invoices:
        if number not in residuals:
            raise PaymentDecisionError(f"facture {number} inconnue ou déjà soldée")
        amount = min(residuals[number], left)
        if amount > 0:
            chosen.append((number, amount))
            left -= amount
    return chosen


def _learn_iban(db: OrmSession, line: BankLine, funder: str, now: datetime) -> None:
    if line.counterparty_iban and db.get(PayerIban, line.counterparty_iban) is None:
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
