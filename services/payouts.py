"""Trainer payouts in the database: decide and schedule, export SEPA batches, track execution.

Every step runs under one lock, the payout number series ("PO", per year), taken first: two runs
at the same time queue behind each other and the second finds the work done. Each step is one
transaction, so a crash leaves either nothing or the whole step:

  1. `schedule_payouts`: for each session with funder invoices, the core (`backoffice.payouts`)
     decides; a payout is recorded with its number (the transfer's EndToEndId), the trainer's
     bank details copied, and — under a self-billing mandate — the self-billed invoice's number.
     At most one payout per session and tranche (unique constraint), ever.
  2. `export_batches`: the scheduled payouts go into one batch per execution date; the pain.001
     file is built, validated and stored with the batch, then written to the output folder. A
     batch is frozen: writing it again gives the same bytes.
  3. `track_executions`: a debit on a statement quoting a payout id (camt TxDtls EndToEndId, or a
     CSV label), or a batch id for the whole batch, marks the payouts executed and records the
     trainer's confirmation e-mail (once, by key). A returned transfer marks its payout failed and
     opens a review item; `retry_payout` lets the next run pay again.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session as OrmSession

from adapters.audit import record_decision
from adapters.database import rows_in, scalars_in, unit_of_work
from adapters.email_templates import record_email
from adapters.facturx import FacturXError
from adapters.files import write_atomically
from adapters.models import (
    BankLine,
    Client,
    Invoice,
    Payout,
    PayoutBatch,
    Programme,
    ReviewItem,
    SelfBilledInvoice,
    Session,
    Trainer,
    TrainerInvoice,
)
from adapters.numbering import lock_series, next_number, take_number
from adapters.pdf import render_html
from adapters.review import ReviewKind, open_item, resolve_item
from adapters.sepa import Debtor, Transfer, Version, build_pain001, iban_problem
from adapters.settings import Marketplace
from backoffice import payouts as rules
from backoffice.dates import business_date, format_date_fr
from backoffice.identifiers import normalize_iban, siret_problem
from backoffice.invoice_document import (
    InvoiceDocument,
    InvoiceLine,
    InvoiceParty,
    french_vat_number,
)
from backoffice.matching import OTHER_CREDIT, OWN_TRANSFER
from backoffice.money import ZERO, quantize
from backoffice.outcomes import (
    PayoutScheduled,
    PayoutToReview,
    PayoutWaiting,
    PayoutWarning,
    SepaFileExported,
    TrainerInvoiceNearPaymentCap,
    TransferExecuted,
    TransferReturned,
)
from services.rendering import render_batches, render_facturx_pdfs

ACTOR = "pipeline"
SELF_BILLING_PREFIX = "AF"
REVIEW_KIND = ReviewKind.payout
ACTIVE = ("scheduled", "exported", "executed")  # what counts as paid or being paid


@dataclass(slots=True)
class PayoutReport:
    scheduled: list[PayoutScheduled] = field(default_factory=list)
    waiting: list[PayoutWaiting] = field(default_factory=list)
    review: list[PayoutToReview] = field(default_factory=list)
    warnings: list[PayoutWarning] = field(default_factory=list)
    batches: list[SepaFileExported] = field(default_factory=list)
    executed: list[TransferExecuted] = field(default_factory=list)
    failed: list[TransferReturned] = field(default_factory=list)
    near_payment_cap: list[TrainerInvoiceNearPaymentCap] = field(default_factory=list)

    @property
    def awaiting_trainer_invoice(self) -> list[PayoutWaiting]:
        """The payouts that wait for nothing but the trainer's invoice: the trainer is asked."""
        return [waiting for waiting in self.waiting if waiting.awaits_trainer_invoice]


def review_key(session_ref: str) -> str:
    return f"payout:{session_ref}"


# --- 1. deciding ------------------------------------------------------------------------------

def schedule_payouts(engine: Engine, *, as_of: date, now: datetime,
                     mode: rules.PayoutMode = rules.PayoutMode.when_paid,
                     nda_policy: rules.NdaPolicy = rules.NdaPolicy.warn,
                     report: PayoutReport | None = None) -> PayoutReport:
    """Decide, for every session with funder invoices, what its trainer is owed now."""
    report = report if report is not None else PayoutReport()
    with unit_of_work(engine) as db:
        counter = lock_series(db, rules.PAYOUT_SERIES, as_of)  # first the lock, then the facts
        facts = load_payout_facts(db)
        open_reviews = set(db.scalars(select(ReviewItem.key).where(
            ReviewItem.kind == REVIEW_KIND, ReviewItem.status == "open")))
        trainers = {t.trainer_ref: t for t in db.scalars(select(Trainer))}  # one query
        sequences = dict(db.execute(select(Payout.session_ref, func.max(Payout.sequence))
                                    .group_by(Payout.session_ref)).all())
        for session_ref, session_facts in sorted(facts.items()):
            decision = rules.decide_payout(session_facts, mode=mode, nda_policy=nda_policy)
            key = review_key(session_ref)
            report.warnings += [PayoutWarning(session_ref, w) for w in decision.warnings]
            if decision.outcome is rules.Outcome.review:
                if not session_facts.unresolved_failure:  # a return's item says more: kept
                    open_item(db, key, kind=REVIEW_KIND, reasons=list(decision.reasons),
                              subject=f"Virement formateur {session_ref}", proposals=[], now=now)
                report.review.append(PayoutToReview(session_ref, " ; ".join(decision.reasons)))
                continue
            if key in open_reviews:
                resolve_item(db, key, "le problème a disparu des données", now)
            if decision.outcome is rules.Outcome.wait:
                report.waiting.append(PayoutWaiting(session_ref, " ; ".join(decision.reasons),
                                                    decision.awaits_trainer_invoice))
            elif decision.outcome is rules.Outcome.pay:
                payout = _record_payout(db, session_facts, decision,
                                        trainers[session_facts.trainer.trainer_ref],
                                        sequences.get(session_ref, 0) + 1,
                                        take_number(counter, as_of), as_of=as_of, now=now)
                report.scheduled.append(PayoutScheduled(
                    payout.id, session_ref, payout.trainer_ref, payout.amount,
                    payout.trainer_invoice, payout.execution_date))
        report.near_payment_cap = _near_payment_cap(db, as_of)
    return report


def _near_payment_cap(db: OrmSession, as_of: date) -> list[TrainerInvoiceNearPaymentCap]:
    """The trainer invoices no payout pays yet (none scheduled, exported or executed) that
    reached the 45th day after their receipt."""
    paying = select(Payout.trainer_invoice).where(Payout.status.in_(ACTIVE))
    late = []
    for row in db.scalars(select(TrainerInvoice).where(TrainerInvoice.number.not_in(paying))
                          .order_by(TrainerInvoice.received_at, TrainerInvoice.number)):
        received_on = business_date(row.received_at)
        days_left = rules.payment_cap_days_left(received_on, as_of)
        if days_left is not None:
            late.append(TrainerInvoiceNearPaymentCap(row.session_ref, row.trainer_ref, row.number,
                                                     received_on, days_left))
    return late


def load_payout_facts(db: OrmSession) -> dict[str, rules.SessionPayoutFacts]:
    """The facts of every session that has funder invoices and is not paid out in full. A
    session paid out in full (`paid_out`) would decide « nothing more to pay » every night: a
    night reads what it may still pay, not the history."""
    paid, failures = _payouts_so_far(db)
    refs = set(db.scalars(select(Invoice.session_ref).where(Invoice.kind == "invoice")
                          .distinct())) - _paid_out(db, paid, failures)
    if not refs:
        return {}
    by_session: dict[str, list[Invoice]] = defaultdict(list)
    for invoice in scalars_in(db, select(Invoice).where(Invoice.kind == "invoice")
                              .order_by(Invoice.number), Invoice.session_ref, refs):
        by_session[invoice.session_ref].append(invoice)
    # added up here, not by SQL: SQLite's SUM of the amounts (stored as text) goes through floats
    credited: dict[str | None, Decimal] = defaultdict(lambda: ZERO)
    for number, amount in rows_in(db, select(Invoice.credit_note_of, Invoice.total_ttc).where(
            Invoice.kind == "credit_note"), Invoice.session_ref, refs):
        credited[number] += amount
    sessions = {s.session_ref: s for s in scalars_in(db, select(Session), Session.session_ref,
                                                     refs)}
    trainers = {t.trainer_ref: _trainer_facts(t) for t in scalars_in(
        db, select(Trainer), Trainer.trainer_ref, {s.trainer_ref for s in sessions.values()})}
    deposited: dict[str, list[rules.TrainerInvoiceFacts]] = defaultdict(list)
    for row in scalars_in(db, select(TrainerInvoice).order_by(TrainerInvoice.received_at,
                                                              TrainerInvoice.number),
                          TrainerInvoice.session_ref, refs):
        if row.trainer_ref == sessions[row.session_ref].trainer_ref:
            deposited[row.session_ref].append(rules.TrainerInvoiceFacts(
                row.number, row.amount_ht, row.vat, row.amount_ttc))
    facts = {}
    for session_ref, rows in by_session.items():
        session = sessions[session_ref]
        already_ht, already_vat = paid.get(session_ref, (ZERO, ZERO))
        facts[session_ref] = rules.SessionPayoutFacts(
            session_ref=session_ref, fee_ht=session.trainer_fee_ht,
            trainer=trainers[session.trainer_ref],
            funder_invoices=tuple(rules.FunderInvoice(
                i.number, i.total_ttc, credited.get(i.number) or ZERO, i.paid_amount)
                for i in rows),
            trainer_invoices=tuple(deposited.get(session_ref, ())),
            already_ht=already_ht, already_vat=already_vat,
            unresolved_failure=failures.get(session_ref))
    return facts


def _payouts_so_far(db: OrmSession) -> tuple[dict[str, tuple[Decimal, Decimal]], dict[str, str]]:
    """Per session, what its payouts being paid or paid (`ACTIVE`) add up to (HT, VAT), and the
    failed transfer it must retry: one light row per payout, added up in Decimal."""
    paid: dict[str, tuple[Decimal, Decimal]] = {}
    failures: dict[str, str] = {}
    for session_ref, payout_id, amount_ht, vat, status, failure in db.execute(
            select(Payout.session_ref, Payout.id, Payout.amount_ht, Payout.vat, Payout.status,
                   Payout.failure).order_by(Payout.id)):
        if status in ACTIVE:
            ht, tax = paid.get(session_ref, (ZERO, ZERO))
            paid[session_ref] = (ht + amount_ht, tax + vat)
        elif status == "failed":
            failures[session_ref] = (f"virement {payout_id} rejeté par la banque "
                                     f"({failure}) : à relancer (retry-payout)")
    return paid, failures


def paid_out(db: OrmSession) -> set[str]:
    """The sessions whose payouts being paid or paid reach the trainer's fee, HT, with no
    failed transfer left: whatever the funders pay or credit later, nothing more is owed
    (`rules.decide_payout`)."""
    return _paid_out(db, *_payouts_so_far(db))


def _paid_out(db: OrmSession, paid: dict[str, tuple[Decimal, Decimal]],
              failures: dict[str, str]) -> set[str]:
    fees = db.execute(select(Session.session_ref, Session.trainer_fee_ht).where(
        Session.session_ref.in_(select(Payout.session_ref))))
    return {ref for ref, fee in fees
            if ref in paid and paid[ref][0] >= fee > 0 and ref not in failures}


def _trainer_facts(trainer: Trainer) -> rules.TrainerFacts:
    return rules.TrainerFacts(
        trainer_ref=trainer.trainer_ref, holder_name=holder_name(trainer),
        iban_problem=iban_problem(trainer.iban), siret_problem=siret_problem(trainer.siret),
        nda=trainer.nda, vat_regime=trainer.vat_regime, self_billing=trainer.self_billing)


def holder_name(trainer: Trainer) -> str:
    """The account holder: the export has no separate field, so the trainer's own name."""
    return f"{trainer.first_name} {trainer.last_name}".strip()


def _record_payout(db: OrmSession, facts: rules.SessionPayoutFacts,
                   decision: rules.PayoutDecision, trainer: Trainer, sequence: int, number: str,
                   *, as_of: date, now: datetime) -> Payout:
    invoice_number = decision.trainer_invoice
    if decision.self_billed:
        invoice_number = next_number(db, f"{SELF_BILLING_PREFIX}-{trainer.trainer_ref}", as_of)
    assert invoice_number is not None  # decide_payout pays without the mandate only on an invoice
    payout = Payout(
        id=number, session_ref=facts.session_ref, sequence=sequence,
        trainer_ref=trainer.trainer_ref, amount_ht=decision.amount_ht, vat=decision.vat,
        amount=decision.amount, trainer_invoice=invoice_number, self_billed=decision.self_billed,
        creditor_name=holder_name(trainer), iban=normalize_iban(trainer.iban),
        bic=trainer.bic, street=trainer.address, postcode=trainer.postcode, city=trainer.city,
        remittance=rules.remittance(facts.session_ref, invoice_number), decided_on=as_of,
        execution_date=rules.execution_date(as_of, business_date(now)), status="scheduled",
        created_at=now)  # the date its file will carry: never before the day it is made
    db.add(payout)
    if decision.self_billed:  # inserted after the payout (the unit of work follows the FKs)
        db.add(SelfBilledInvoice(
            number=invoice_number, payout_id=number, trainer_ref=trainer.trainer_ref,
            session_ref=facts.session_ref, issue_date=as_of, amount_ht=decision.amount_ht,
            vat=decision.vat, amount_ttc=decision.amount, created_at=now))
    record_decision(db, actor=ACTOR, action="payout.scheduled", subject=number, at=now,
                    reason=f"session {facts.session_ref} : {decision.amount} € au formateur "
                           f"{trainer.trainer_ref}, facture {invoice_number}",
                    inputs={"session_ref": facts.session_ref, "as_of": as_of.isoformat(),
                            "amount_ht": str(decision.amount_ht), "vat": str(decision.vat),
                            "sequence": sequence, "self_billed": decision.self_billed})
    return payout


def render_self_billed_invoices(engine: Engine, *, output_dir: Path, now: datetime,
                                marketplace: Marketplace, workers: int = 1) -> list[str]:
    """Render the Factur-X PDF of every self-billed invoice that has none (in `workers`
    processes), then record its copy to the trainer (the mandate requires it), once: the
    numbers rendered.

    An invoice whose Factur-X cannot be made (the trainer's postal address incomplete, say) gets
    no PDF and a review item saying why; the next run tries again and resolves the item."""
    with unit_of_work(engine) as db:
        pending = list(db.scalars(select(SelfBilledInvoice.number).where(
            SelfBilledInvoice.pdf_path.is_(None)).order_by(SelfBilledInvoice.number)))
    rendered = []
    for numbers in render_batches(pending):
        with unit_of_work(engine) as db:
            documents = [_self_billed_html(db, number, marketplace) for number in numbers]
        pdfs = render_facturx_pdfs(documents, workers)
        for number, pdf in zip(numbers, pdfs, strict=True):
            with unit_of_work(engine) as db:
                if _record_self_billed(db, number, pdf, output_dir=output_dir, now=now,
                                       marketplace=marketplace):
                    rendered.append(number)
    return rendered


def _self_billed_html(db: OrmSession, number: str, marketplace: Marketplace
                      ) -> tuple[str, InvoiceDocument]:
    invoice = db.get_one(SelfBilledInvoice, number)  # never deleted, nor its references
    trainer = db.get_one(Trainer, invoice.trainer_ref)
    session = db.get_one(Session, invoice.session_ref)
    payout = db.get_one(Payout, invoice.payout_id)
    programme = db.get(Programme, session.programme_ref)
    document = self_billed_document(
        invoice, trainer, payout, marketplace,
        title=programme.title if programme else session.programme_ref,
        client=client.name if (client := db.get(Client, session.client_ref)) else "",
        start=session.start_date, end=session.end_date)
    html = render_html("self_billed_invoice", {"invoice": document, "marketplace": marketplace,
                                               "payout": payout})
    return html, document


def _record_self_billed(db: OrmSession, number: str, pdf: bytes | FacturXError, *,
                        output_dir: Path, now: datetime, marketplace: Marketplace) -> bool:
    """Write the PDF and record the trainer's copy; or, if its Factur-X could not be made, the
    review item saying why. True when written."""
    invoice = db.get_one(SelfBilledInvoice, number)
    if invoice.pdf_path is not None:
        return False  # recorded by another run meanwhile
    trainer = db.get_one(Trainer, invoice.trainer_ref)
    key = f"self-billed:{number}"
    if isinstance(pdf, FacturXError):
        open_item(db, key, kind=REVIEW_KIND, proposals=[], now=now,
                  subject=f"Facture d'autofacturation {number} ({trainer.trainer_ref})",
                  reasons=[f"PDF non émis, à compléter dans la plateforme : {pdf}"])
        return False
    resolve_item(db, key, "facture d'autofacturation émise", now)
    path = write_atomically(output_dir / "self-billing" / str(invoice.issue_date.year)
                            / f"{number}.pdf", pdf)
    invoice.pdf_path = str(path.relative_to(output_dir))
    invoice.sha256 = hashlib.sha256(pdf).hexdigest()
    record_email(db, f"email:self-billed:{number}", to=[trainer.email], now=now,
                 template="self_billed_invoice", attachments=[str(path)],
                 invoice=invoice, trainer=trainer, marketplace=marketplace)
    return True


def self_billed_document(invoice: SelfBilledInvoice, trainer: Trainer, payout: Payout,
                         marketplace: Marketplace, *, title: str, client: str, start: date,
                         end: date) -> InvoiceDocument:
    """What a self-billed invoice says, in the trainer's name (the seller) to the marketplace:
    one line, the session's fee (or this tranche of it), taxed by the trainer's regime; due on
    the day its transfer is executed, to the account the transfer goes to.

    A trainer charging VAT shows their intra-community VAT number: the export has none, so it is
    the one the tax administration derives from their SIREN (a SIRET that is not valid stops the
    payout in review before any number is given, backoffice/payouts.py: trainer_problems)."""
    seller = InvoiceParty(
        holder_name(trainer), trainer.siret, trainer.address or "", trainer.postcode or "",
        trainer.city or "", email=trainer.email,
        vat_number=french_vat_number(trainer.siret[:9]) if trainer.vat_regime == "vat" else None)
    buyer = InvoiceParty(marketplace.name, marketplace.siret, marketplace.address,
                         marketplace.postcode, marketplace.city, email=marketplace.email,
                         vat_number=marketplace.vat_number or None)
    tranche = f" — versement n° {payout.sequence}" if payout.sequence > 1 else ""
    line = InvoiceLine(
        f"Animation de la session de formation {invoice.session_ref} « {title} » pour {client}, "
        f"du {format_date_fr(start)} au {format_date_fr(end)} (sous-traitance){tranche}",
        Decimal(1), "C62", invoice.amount_ht, invoice.amount_ht)
    return InvoiceDocument(
        number=invoice.number, kind="self_billed", issue_date=invoice.issue_date,
        due_date=max(payout.execution_date, invoice.issue_date), service_start=start,
        service_end=end, seller=seller, seller_nda=(trainer.nda or "").strip(), buyer=buyer,
        lines=(line,), total_ht=invoice.amount_ht, total_vat=invoice.vat,
        total_ttc=invoice.amount_ttc, payment_iban=payout.iban, payment_bic=payout.bic or "",
        session_ref=invoice.session_ref, vat_regime=trainer.vat_regime)


# --- 2. exporting -----------------------------------------------------------------------------

def export_batches(engine: Engine, *, as_of: date, now: datetime, output_dir: Path,
                   marketplace: Marketplace, version: Version = "03",
                   report: PayoutReport | None = None) -> PayoutReport:
    """Put every scheduled payout in the batch of its execution date, then write the files."""
    report = report if report is not None else PayoutReport()
    created_on = business_date(now)
    with unit_of_work(engine) as db:
        lock_series(db, rules.PAYOUT_SERIES, as_of)
        waiting = list(db.scalars(select(Payout).where(
            Payout.status == "scheduled", Payout.batch_id.is_(None)).order_by(Payout.id)))
        by_date: dict[date, list[Payout]] = defaultdict(list)
        for payout in waiting:  # a date already past (late export, backfill) moves forward
            by_date[rules.execution_date(payout.decided_on, created_on)].append(payout)
        debtor = Debtor(marketplace.name, marketplace.iban, marketplace.bic)
        for execution_on, payouts in sorted(by_date.items()):
            batch = _new_batch(db, execution_on, payouts, debtor, now=now, version=version)
            report.batches.append(SepaFileExported(batch.id, execution_on, batch.transfers,
                                                   batch.total, batch.path))
    write_batch_files(engine, output_dir)
    return report


def _new_batch(db: OrmSession, execution_on: date, payouts: list[Payout], debtor: Debtor, *,
               now: datetime, version: Version) -> PayoutBatch:
    sequence = (db.scalar(select(func.max(PayoutBatch.sequence)).where(
        PayoutBatch.execution_date == execution_on)) or 0) + 1
    msg_id = rules.batch_id(execution_on, sequence)
    transfers = [Transfer(
        end_to_end_id=p.id, creditor_name=p.creditor_name, creditor_iban=p.iban,
        creditor_bic=p.bic, amount=p.amount, remittance=p.remittance,
        creditor_address=(p.street or "", p.postcode or "", p.city) if p.city else None)
        for p in payouts]
    xml = build_pain001(debtor, transfers, msg_id=msg_id, execution_date=execution_on,
                        created_at=now, version=version)
    batch = PayoutBatch(
        id=msg_id, execution_date=execution_on, sequence=sequence, version=version,
        transfers=len(payouts), total=quantize(sum((p.amount for p in payouts), ZERO)), xml=xml,
        sha256=hashlib.sha256(xml).hexdigest(),
        path=f"sepa/{execution_on.year}/{msg_id}.xml", created_at=now)
    db.add(batch)
    db.flush()
    for payout in payouts:
        payout.batch_id, payout.status, payout.execution_date = msg_id, "exported", execution_on
    record_decision(db, actor=ACTOR, action="payout.batch_exported", subject=msg_id, at=now,
                    reason=f"{len(payouts)} virements, {batch.total} €, exécution le "
                           f"{execution_on.isoformat()}",
                    inputs={"payouts": [p.id for p in payouts], "sha256": batch.sha256})
    return batch


def write_batch_files(engine: Engine, output_dir: Path) -> list[Path]:
    """Write each batch's stored file where it is missing or differs (after a crash, say)."""
    written = []
    with unit_of_work(engine) as db:
        batches = list(db.execute(select(PayoutBatch.path, PayoutBatch.sha256)).all())
    for relative, sha256 in batches:
        path = output_dir / relative
        if path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == sha256:
            continue
        with unit_of_work(engine) as db:
            xml = db.scalars(select(PayoutBatch.xml).where(PayoutBatch.path == relative)).one()
        written.append(write_atomically(path, xml))
    return written


# --- 3. execution -----------------------------------------------------------------------------

def track_executions(engine: Engine, *, now: datetime, marketplace: Marketplace,
                     report: PayoutReport | None = None) -> PayoutReport:
    """Mark payouts executed (or failed) from the statement lines that show them.

    Each of our transfers (a debit quoting a payout or batch id is an own_transfer) and each
    return (other_credit) is read once, the first night after its import, then marked
    (`payouts_tracked_at`): the night reads its new lines and the payouts they may show, not the
    history (a return coming back months later is a new line quoting its payout).
    """
    report = report if report is not None else PayoutReport()
    with unit_of_work(engine) as db:
        lock_series(db, rules.PAYOUT_SERIES, business_date(now))
        lines = list(db.scalars(select(BankLine).where(
            BankLine.classification.in_((OWN_TRANSFER, OTHER_CREDIT)),
            BankLine.payouts_tracked_at.is_(None)).order_by(BankLine.booking_date, BankLine.id)))
        texts = {line.id: " ".join((line.reference, line.label, line.bank_id)) for line in lines}
        pending = _payouts_shown(db, texts.values())
        counted = _lines_counted(db, [line.id for line in lines])
        for line in lines:
            line.payouts_tracked_at = now
            if line.id in counted:
                continue
            if line.amount < 0:
                _debit(db, line, texts[line.id], pending, now=now, marketplace=marketplace,
                       report=report)
            else:
                _return(db, line, texts[line.id], pending, now=now, report=report)
    return report


def _payouts_shown(db: OrmSession, texts: Iterable[str]) -> dict[str, Payout]:
    """The payouts the lines may show: those they quote by id, exported or executed (a return
    follows the execution), and every payout still exported (a batch-booked debit quotes its
    batch: in flight, a few)."""
    quoted = {payout_id for text in texts for payout_id in rules.payout_ids_in(text)}
    pending = {p.id: p for p in scalars_in(db, select(Payout).where(
        Payout.status.in_(("exported", "executed"))), Payout.id, quoted)}
    pending.update((p.id, p) for p in db.scalars(select(Payout).where(Payout.status == "exported")))
    return pending


def _lines_counted(db: OrmSession, line_ids: list[int]) -> set[int]:
    """Those of the lines a payout already counts (lines read before they were marked)."""
    counted = (*scalars_in(db, select(Payout.executed_line_id), Payout.executed_line_id, line_ids),
               *scalars_in(db, select(Payout.returned_line_id), Payout.returned_line_id, line_ids))
    return {line_id for line_id in counted if line_id is not None}


def _debit(db: OrmSession, line: BankLine, text: str, pending: dict[str, Payout], *,
           now: datetime, marketplace: Marketplace, report: PayoutReport) -> None:
    payouts = [pending[i] for i in rules.payout_ids_in(text) if i in pending]
    if not payouts:
        batches = set(rules.batch_ids_in(text))
        payouts = sorted((p for p in pending.values() if p.batch_id in batches),
                         key=lambda p: p.id)
    payouts = [p for p in payouts if p.status == "exported"]
    if not payouts:
        return
    expected = quantize(sum((p.amount for p in payouts), ZERO))
    if -line.amount != expected:
        ids = ", ".join(p.id for p in payouts)
        open_item(db, f"payout-line:{line.id}", kind=REVIEW_KIND,
                  subject=f"Débit {line.amount} € du {line.booking_date.isoformat()}",
                  reasons=[f"la ligne cite {ids} mais leur total est {expected} €"],
                  proposals=[], now=now)
        report.review.append(PayoutToReview(", ".join(p.session_ref for p in payouts),
                                            f"débit de {line.amount} € pour {ids} ({expected} €)"))
        return
    for payout in payouts:
        _executed(db, payout, line, now=now, marketplace=marketplace)
        report.executed.append(TransferExecuted(payout.id, payout.session_ref, payout.amount,
                                                line.booking_date))


def _executed(db: OrmSession, payout: Payout, line: BankLine, *, now: datetime,
              marketplace: Marketplace) -> None:
    payout.status, payout.executed_on, payout.executed_line_id = \
        "executed", line.booking_date, line.id
    trainer = db.get_one(Trainer, payout.trainer_ref)
    record_email(db, f"email:payout-executed:{payout.id}", to=[trainer.email],
                 template="payout_executed", now=now, payout=payout, trainer=trainer,
                 marketplace=marketplace)
    record_decision(db, actor=ACTOR, action="payout.executed", subject=payout.id, at=now,
                    reason=f"débit du {line.booking_date.isoformat()} sur le relevé",
                    inputs={"line_id": line.id, "amount": str(line.amount)})


def _return(db: OrmSession, line: BankLine, text: str, pending: dict[str, Payout], *,
            now: datetime, report: PayoutReport) -> None:
    for payout_id in rules.payout_ids_in(text):
        payout = pending.get(payout_id)
        if payout is None or payout.amount != line.amount:
            continue
        payout.status, payout.returned_line_id = "failed", line.id
        payout.failure = line.label or "retour de virement"
        open_item(db, review_key(payout.session_ref), kind=REVIEW_KIND,
                  subject=f"Virement formateur {payout.session_ref}",
                  reasons=[f"virement {payout.id} ({payout.amount} €) revenu le "
                           f"{line.booking_date.isoformat()} : {payout.failure}"],
                  proposals=[{"flow": "retry-payout", "payout_id": payout.id}], now=now)
        record_decision(db, actor=ACTOR, action="payout.returned", subject=payout.id, at=now,
                        reason=payout.failure, inputs={"line_id": line.id})
        report.failed.append(TransferReturned(payout.id, payout.session_ref, payout.amount,
                                              payout.failure))
        return


class PayoutError(ValueError):
    """An operator's request on a payout that cannot be done (French message)."""


def retry_payout(engine: Engine, *, payout_id: str, note: str, now: datetime,
                 operator: str) -> str:
    """After a returned transfer (and the trainer's bank details corrected in the platform),
    let the next run pay the session again, with a new payout."""
    if len(note.strip()) < 3:
        raise PayoutError("une note est obligatoire")
    with unit_of_work(engine) as db:
        payout = db.get(Payout, payout_id)
        if payout is None:
            raise PayoutError(f"virement {payout_id} inconnu")
        if payout.status != "failed":
            raise PayoutError(f"virement {payout_id} : statut {payout.status}, seul un virement "
                              "rejeté peut être relancé")
        payout.status = "replaced"
        resolve_item(db, review_key(payout.session_ref), f"relancé : {note.strip()}", now)
        record_decision(db, actor=operator, action="payout.retried", subject=payout_id, at=now,
                        reason=note.strip(), inputs={"session_ref": payout.session_ref})
    return (f"Virement {payout_id} remplacé : la session {payout.session_ref} sera payée à "
            "nouveau au prochain traitement, avec les coordonnées bancaires à jour.")
