"""Invoices against the database: issue with gap-free numbers, render, send, chase, correct.

Each invoice is issued in its own transaction: the series counter is locked (SELECT … FOR
UPDATE), incremented and the invoice inserted together, so two runs at once never duplicate a
number and a failure leaves no gap. Its content (`document`) is frozen at issue; the database
refuses any later change of it (migration 0004). The PDF (a Factur-X PDF/A-3) is rendered from
that content afterwards, then the e-mail recorded in the outbox; a crash in between is resumed
by the next run. Corrections go through credit notes, in their own series.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session as OrmSession

from adapters.audit import record_decision
from adapters.database import in_chunks, rows_in, scalars_in, unit_of_work
from adapters.email_templates import record_email
from adapters.facturx import FacturXError
from adapters.files import write_atomically
from adapters.models import (
    Client,
    DocumentFile,
    Effect,
    Invoice,
    InvoiceDeposit,
    Pec,
    ReviewItem,
    SessionFunding,
)
from adapters.models import Session as SessionRow
from adapters.numbering import InvoicingError, lock_series, next_number
from adapters.pdf import render_html
from adapters.reference_data import ReferenceData
from adapters.review import ReviewKind, open_item, resolve_item
from adapters.session_changes import Step, clear_marks, marked_sessions
from adapters.settings import Marketplace
from backoffice.dates import business_date, format_date_fr, format_hours
from backoffice.document_kinds import ATTENDANCE, CERTIFICATES
from backoffice.documents import SessionDocumentFacts, attended_hours
from backoffice.invoice_document import (
    EXEMPTION_TEXT,
    InvoiceDocument,
    InvoiceLine,
    InvoiceParty,
)
from backoffice.invoicing import (
    OPCO,
    Buyer,
    BuyerFacts,
    Grant,
    InvoicePart,
    InvoicingRefused,
    SessionBilling,
    SplitLine,
    billable,
    by_email,
    due_date,
    dunning_due_date,
    invoice_buyer,
    missing_identity,
    remainder_to_company,
    reminder_due,
    split_session,
)
from backoffice.money import ZERO, format_eur, quantize
from backoffice.outcomes import InvoiceHeld, InvoiceIssued, InvoiceReminderSent, InvoiceToDeposit
from backoffice.receivables import open_amount
from services.documents import load_document_facts
from services.rendering import render_batches, render_facturx_pdfs

ACTOR = "issue-invoices"
INVOICE_SERIES, CREDIT_SERIES = "FA", "AV"


@dataclass(frozen=True, slots=True)
class InvoicingTerms:
    payment_days: int = 30
    reminder_days: tuple[int, ...] = (7, 30)
    absences_apart: bool = False
    cancellation_fee_rate: Decimal = ZERO


@dataclass(slots=True)
class InvoicingReport:
    issued: list[InvoiceIssued] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)  # invoice numbers
    deposits: list[InvoiceToDeposit] = field(default_factory=list)
    reminders: list[InvoiceReminderSent] = field(default_factory=list)
    held: list[InvoiceHeld] = field(default_factory=list)


# --- what each session owes -------------------------------------------------------------------

def session_parts(db: OrmSession, terms: InvoicingTerms, session_refs: list[str] | None = None,
                  as_of: date | None = None) -> list[tuple[str, InvoicePart, Grant | None]]:
    """(session_ref, part, grant) of every invoice completed or cancelled sessions give rise to
    (by `as_of`, when given: a backfilled day does not bill what ended after it)."""
    return [(owed.session_ref, owed.part, owed.grant) for owed in _owed(db, terms, session_refs)
            if billable(owed.ended_on, None, as_of)]


@dataclass(frozen=True, slots=True)
class _Owed:
    """An invoice a session gives rise to, with the facts it was computed from (its document
    shows them: read once for all the night's sessions, not again per invoice)."""

    session_ref: str
    part: InvoicePart
    grant: Grant | None
    ended_on: date  # the day the session ended or was cancelled
    facts: SessionDocumentFacts


def _owed(db: OrmSession, terms: InvoicingTerms, session_refs: list[str] | None
          ) -> list[_Owed]:
    """Every invoice the sessions (all when None) give rise to, whatever the day."""
    sessions = load_document_facts(db, session_refs)
    funding = {f.session_ref: f for f in db.scalars(select(SessionFunding).where(
        SessionFunding.session_ref.in_(list(sessions))))}
    pecs = {p.pec_ref: p for p in db.scalars(select(Pec).where(
        Pec.pec_ref.in_({f.pec_ref for f in funding.values() if f.pec_ref})))}
    cancelled = {ref: business_date(at) for ref, at in db.execute(
        select(SessionRow.session_ref, SessionRow.cancelled_at).where(
            SessionRow.cancelled_at.is_not(None), SessionRow.session_ref.in_(list(sessions))))
        if at is not None}
    parts = []
    for ref, (facts, _rows) in sorted(sessions.items()):
        completed_on = business_date(facts.completed_at) if facts.completed_at else None
        ended_on = completed_on if completed_on is not None else cancelled.get(ref)
        if ended_on is None:
            continue
        row = funding.get(ref)
        grant = _grant(pecs.get(row.pec_ref) if row and row.pec_ref else None)
        billing = SessionBilling(
            session_ref=ref, title=facts.title, price_ht=facts.price_ht,
            hours_per_trainee=facts.hours_per_trainee, trainees=len(facts.trainees),
            funding=facts.funding, funding_status=facts.funding_status,
            attended=attended_hours(facts), cancelled_on=cancelled.get(ref),
            start_date=facts.start_date,
            names={t.trainee_ref: t.full_name for t in facts.trainees})
        parts += [_Owed(ref, part, grant, ended_on, facts) for part in split_session(
            billing, grant, absences_apart=terms.absences_apart,
            cancellation_fee_rate=terms.cancellation_fee_rate)]
    return parts


def _issued_keys(db: OrmSession, session_refs: list[str]) -> set[tuple[str, str]]:
    return {(ref, key) for chunk in in_chunks(session_refs) for ref, key in db.execute(
        select(Invoice.session_ref, Invoice.invoice_key).where(Invoice.session_ref.in_(chunk)))}


# --- numbers --------------------------------------------------------------------------------

# --- issuing ------------------------------------------------------------------------------------

def issue_due_invoices(engine: Engine, *, as_of: date, now: datetime, marketplace: Marketplace,
                       reference: ReferenceData, terms: InvoicingTerms) -> InvoicingReport:
    """Issue the invoices owed by the sessions whose facts changed since the last run (the
    invoicing marks) and due by `as_of`. A session keeps its marks while it owes an invoice not
    issued yet (held for its buyer's identity, or ending after `as_of` in a backfill), so it is
    looked at again the next night; the others' marks are cleared."""
    report = InvoicingReport()
    with unit_of_work(engine) as db:
        marks = marked_sessions(db, Step.invoicing)
        refs = sorted(marks)
        issued = _issued_keys(db, refs)
        owed = [due for due in _owed(db, terms, refs)
                if (due.session_ref, due.part.key) not in issued]
    waiting = {due.session_ref for due in owed if not billable(due.ended_on, None, as_of)}
    for due in owed:
        if not billable(due.ended_on, None, as_of):  # in `waiting`: kept for a later night
            continue
        session_ref, part, grant = due.session_ref, due.part, due.grant
        with unit_of_work(engine) as db:
            lock_series(db, INVOICE_SERIES, as_of)  # first the lock, then the checks
            if db.scalar(select(Invoice.id).where(Invoice.session_ref == session_ref,
                                                  Invoice.invoice_key == part.key)):
                continue  # issued by a concurrent run meanwhile
            if not _identified(db, session_ref, part, _buyer(db, session_ref, part, grant,
                                                             reference), now, report):
                waiting.add(session_ref)  # held: tried again each night until issued
                continue
            invoice = _issue(db, session_ref, part, grant, as_of=as_of, now=now,
                             marketplace=marketplace, reference=reference, terms=terms,
                             facts=due.facts)
            report.issued.append(InvoiceIssued(invoice.number, session_ref, invoice.funder_name,
                                               part.key, invoice.total_ttc))
    with unit_of_work(engine) as db:
        clear_marks(db, (mark for ref, ids in marks.items() if ref not in waiting
                         for mark in ids))
    return report


def _identified(db: OrmSession, session_ref: str, part: InvoicePart, buyer: Buyer,
                now: datetime, report: InvoicingReport) -> bool:
    """Whether the invoice's buyer is identified enough to issue it; if not, it is held (no
    number consumed) with a review item saying what is missing, resolved once it is issued."""
    key = f"invoice:{session_ref}:{part.key}"
    missing = missing_identity(buyer.party)
    if not missing:
        resolve_item(db, key, "identité du payeur complétée : facture émise", now)
        return True
    opened = open_item(db, key, kind=ReviewKind.invoice, proposals=[], now=now,
                       subject=f"Facture {part.key} de la session {session_ref} à "
                               f"{buyer.party.name} ({buyer.ref})",
                       reasons=[f"facture non émise : identité du payeur incomplète, il "
                                f"manque : {', '.join(missing)}"])
    report.held.append(InvoiceHeld(session_ref, part.key, buyer.party.name, tuple(missing),
                                   first_time=opened))
    return False


def _issue(db: OrmSession, session_ref: str, part: InvoicePart, grant: Grant | None, *,
           as_of: date, now: datetime, marketplace: Marketplace, reference: ReferenceData,
           terms: InvoicingTerms, kind: str = "invoice", credit_note_of: str | None = None,
           note: str | None = None, facts: SessionDocumentFacts | None = None) -> Invoice:
    """Issue `part` with the next number; `facts`: the session's, when already read."""
    series = CREDIT_SERIES if kind == "credit_note" else INVOICE_SERIES
    number = next_number(db, series, as_of)
    if facts is None:
        facts, _rows = load_document_facts(db, [session_ref])[session_ref]
    buyer = _buyer(db, session_ref, part, grant, reference)
    # A credit note carries positive amounts, like the invoice it cancels: its type (381) says
    # that they are deducted (EN 16931; French practice for an "avoir").
    lines = tuple(InvoiceLine(line.description, line.quantity, line.unit, line.unit_price,
                              quantize(line.amount)) for line in part.lines)
    total = quantize(sum((line.amount for line in lines), ZERO))
    document = InvoiceDocument(
        number=number, kind=kind, issue_date=as_of,
        due_date=due_date(as_of, terms.payment_days), service_start=facts.start_date,
        service_end=facts.end_date, seller=_seller(marketplace), seller_nda=marketplace.nda,
        buyer=buyer.party, lines=lines, total_ht=total, total_vat=ZERO, total_ttc=total,
        payment_iban=marketplace.iban, payment_bic=marketplace.bic, session_ref=session_ref,
        dossier_number=grant.dossier_number if grant else None,
        trainees=_trainees(facts, opco_part=part.funder == OPCO), preceding_number=credit_note_of,
        preceding_date=db.scalar(select(Invoice.issue_date).where(
            Invoice.number == credit_note_of)) if credit_note_of else None,
        note=note)
    invoice = Invoice(
        number=number, kind=kind, session_ref=session_ref, invoice_key=part.key,
        funder_kind=part.funder, funder_ref=buyer.ref, funder_name=buyer.party.name,
        billing_email=buyer.email, dossier_number=document.dossier_number, issue_date=as_of,
        due_date=document.due_date, total_ht=total, total_vat=ZERO, total_ttc=total,
        document=document_to_json(document), credit_note_of=credit_note_of, status="issued",
        paid_amount=ZERO, created_at=now)
    db.add(invoice)
    record_decision(db, actor=ACTOR, action=f"{kind}.issued", subject=number, at=now,
                    reason=f"{part.key} de la session {session_ref} : {total} € HT",
                    inputs={"session_ref": session_ref, "as_of": as_of.isoformat(),
                            "lines": [str(line.amount) for line in lines],
                            "credit_note_of": credit_note_of})
    return invoice


def _trainees(facts: SessionDocumentFacts, *, opco_part: bool) -> tuple[str, ...]:
    """The trainees an invoice names: for an OPCO's, those who attended, with their hours (it
    pays for realised hours only); for the company's, all of them."""
    if not opco_part:
        return tuple(t.full_name for t in facts.trainees)
    hours = attended_hours(facts)
    return tuple(f"{t.full_name} ({format_hours(hours[t.trainee_ref])})" for t in facts.trainees
                 if hours[t.trainee_ref] > 0)


def _buyer(db: OrmSession, session_ref: str, part: InvoicePart, grant: Grant | None,
           reference: ReferenceData) -> Buyer:
    """Who the part is invoiced to: the OPCO of the grant as the reference data knows it, or
    the session's client company as the platform exported it (the core's rule)."""
    client = db.get_one(Client, db.get_one(SessionRow, session_ref).client_ref)
    opco = reference.opcos.get(grant.opco) if grant is not None else None
    client_facts = BuyerFacts(client.client_ref, client.name, client.siret, client.address,
                              client.postcode, client.city, client.contact_email)
    opco_facts = None if opco is None else BuyerFacts(
        opco.code, opco.name, opco.siret, opco.billing_address, opco.billing_postcode,
        opco.billing_city, opco.billing_email, full_name=opco.legal_name, siren=opco.siren)
    try:
        return invoice_buyer(part.funder, client=client_facts, opco=opco_facts)
    except InvoicingRefused as refused:
        raise InvoicingError(str(refused)) from refused


def _seller(marketplace: Marketplace) -> InvoiceParty:
    return InvoiceParty(marketplace.name, marketplace.siret, marketplace.address,
                        marketplace.postcode, marketplace.city, email=marketplace.email,
                        vat_number=marketplace.vat_number or None)


# --- the document as stored (JSON) --------------------------------------------------------------

def document_to_json(document: InvoiceDocument) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        if isinstance(value, Decimal | date):
            return str(value) if isinstance(value, Decimal) else value.isoformat()
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value
    return {name: plain(value) for name, value in dataclasses.asdict(document).items()}


def document_from_json(data: dict[str, Any]) -> InvoiceDocument:
    values = dict(data)
    for name in ("issue_date", "due_date", "service_start", "service_end"):
        values[name] = date.fromisoformat(values[name])
    for name in ("total_ht", "total_vat", "total_ttc"):
        values[name] = Decimal(values[name])
    values["seller"], values["buyer"] = InvoiceParty(**values["seller"]), \
        InvoiceParty(**values["buyer"])
    values["lines"] = tuple(InvoiceLine(line["description"], Decimal(line["quantity"]),
                                        line["unit"], Decimal(line["unit_price"]),
                                        Decimal(line["amount"])) for line in values["lines"])
    values["trainees"] = tuple(values["trainees"])
    return InvoiceDocument(**values)


# --- PDFs and e-mails ---------------------------------------------------------------------------

def invoice_html(document: InvoiceDocument, marketplace: Marketplace, partial: bool = False
                 ) -> str:
    return render_html("invoice", {"invoice": document, "marketplace": marketplace,
                                   "exemption": EXEMPTION_TEXT, "partial": partial})


def send_pending_invoices(engine: Engine, *, output_dir: Path, now: datetime,
                          marketplace: Marketplace, reference: ReferenceData, workers: int = 1
                          ) -> tuple[list[str], list[InvoiceToDeposit]]:
    """Render the PDF of every invoice that has none (in `workers` processes), then send it the
    way its funder takes invoices: by e-mail (recorded once in the outbox), or, for a funder
    taking them on its own portal, as a package an operator deposits there (listed in the
    review queue until the `record-deposit` flow says when). Returns the numbers e-mailed and
    the packages prepared. An invoice is checked as Factur-X when issued: one that cannot be
    made here fails the step, after the invoices before it are recorded."""
    with unit_of_work(engine) as db:
        pending = list(db.scalars(select(Invoice.id).where(Invoice.pdf_path.is_(None))
                                  .order_by(Invoice.number)))
    sent: list[str] = []
    deposits: list[InvoiceToDeposit] = []
    for ids in render_batches(pending):
        with unit_of_work(engine) as db:
            documents = [_invoice_to_render(db, invoice_id, marketplace) for invoice_id in ids]
        pdfs = render_facturx_pdfs([(html, document) for html, document, _ in documents],
                                   workers)
        for invoice_id, (_html, document, partial), pdf in zip(ids, documents, pdfs, strict=True):
            if isinstance(pdf, FacturXError):
                raise pdf
            with unit_of_work(engine) as db:
                outcome = _record_invoice_pdf(db, invoice_id, document, partial, pdf,
                                              output_dir=output_dir, now=now,
                                              marketplace=marketplace, reference=reference)
            if isinstance(outcome, InvoiceToDeposit):
                deposits.append(outcome)
            elif outcome is not None:
                sent.append(outcome)
    return sent, deposits


def _invoice_to_render(db: OrmSession, invoice_id: int, marketplace: Marketplace
                       ) -> tuple[str, InvoiceDocument, bool]:
    invoice = db.get_one(Invoice, invoice_id)  # an invoice is never deleted
    document = document_from_json(invoice.document)
    original = db.scalar(select(Invoice).where(Invoice.number == invoice.credit_note_of))
    partial = bool(original and original.total_ttc != invoice.total_ttc)
    return invoice_html(document, marketplace, partial), document, partial


def _record_invoice_pdf(db: OrmSession, invoice_id: int, document: InvoiceDocument,
                        partial: bool, pdf: bytes, *, output_dir: Path, now: datetime,
                        marketplace: Marketplace, reference: ReferenceData
                        ) -> InvoiceToDeposit | str | None:
    """Store the invoice's PDF, then its deposit package or its e-mail: the package, or the
    number e-mailed; None when another run recorded it meanwhile (the same bytes: rendered
    from its content)."""
    invoice = db.get_one(Invoice, invoice_id)
    if invoice.pdf_path is not None:
        return None
    path = write_atomically(output_dir / "invoices" / str(invoice.issue_date.year)
                            / f"{invoice.number}.pdf", pdf)
    invoice.pdf_path = str(path.relative_to(output_dir))
    invoice.sha256 = hashlib.sha256(pdf).hexdigest()
    attachments = [str(path), *_certificates(db, invoice, output_dir)]
    opco = reference.opcos.get(invoice.funder_ref) if invoice.funder_kind == OPCO else None
    if not by_email(invoice.funder_kind, opco.invoice_channel if opco else None):
        return _prepare_deposit(db, invoice, attachments, output_dir, now)
    record_email(db, f"email:{invoice.kind}:{invoice.number}",
                 to=[invoice.billing_email], now=now, attachments=attachments,
                 template="credit_note" if invoice.kind == "credit_note" else "invoice",
                 invoice=document, marketplace=marketplace,
                 to_opco=invoice.funder_kind == OPCO, partial=partial)
    return invoice.number


def _prepare_deposit(db: OrmSession, invoice: Invoice, attachments: list[str], output_dir: Path,
                     now: datetime) -> InvoiceToDeposit:
    """The files to upload to the funder's portal in one folder (`deposits/<funder>/<number>`):
    the invoice, the certificats, the completed attendance sheets; recorded and put in the
    review queue."""
    folder = output_dir / "deposits" / invoice.funder_ref / invoice.number
    proofs = invoice.kind == "invoice"  # an invoice goes with its proofs, a credit note alone
    files = [*attachments,  # the attendance evidence: the completed, signed sheets
             *(_latest_set(db, invoice.session_ref, ATTENDANCE.kind, output_dir) if proofs else [])]
    for file in files:
        write_atomically(folder / Path(file).name, Path(file).read_bytes())
    relative = str(folder.relative_to(output_dir))
    names = [Path(file).name for file in files]
    db.add(InvoiceDeposit(number=invoice.number, funder_ref=invoice.funder_ref,
                          dossier_number=invoice.dossier_number, path=relative, files=names,
                          prepared_at=now))
    open_item(db, f"deposit:{invoice.number}", kind=ReviewKind.deposit, proposals=[], now=now,
              subject=f"{'Avoir' if invoice.kind == 'credit_note' else 'Facture'} "
                      f"{invoice.number} à {invoice.funder_name}"
                      + (f" (dossier {invoice.dossier_number})" if invoice.dossier_number else ""),
              reasons=[f"à déposer sur le portail de {invoice.funder_name} : {relative} "
                       f"({len(names)} fichier(s))"]
              + (["certificats de réalisation absents du dossier : l'OPCO ne paie pas sans "
                  "eux"] if proofs and len(attachments) == 1 else []))
    return InvoiceToDeposit(invoice.number, invoice.funder_name, relative)


def _certificates(db: OrmSession, invoice: Invoice, output_dir: Path) -> list[str]:
    """The OPCO invoice travels with the trainees' certificats de réalisation."""
    if invoice.funder_kind != OPCO or invoice.kind != "invoice":
        return []
    return _latest_set(db, invoice.session_ref, CERTIFICATES.kind, output_dir)


def _latest_set(db: OrmSession, session_ref: str, kind: str, output_dir: Path) -> list[str]:
    """The files of the session's latest version of a document set, none if it has none."""
    files = list(db.scalars(select(DocumentFile).where(
        DocumentFile.session_ref == session_ref, DocumentFile.kind == kind)
        .order_by(DocumentFile.version.desc(), DocumentFile.name)))
    latest = files[0].version if files else None
    return [str(output_dir / f.path) for f in files if f.version == latest]


def record_deposit(engine: Engine, *, number: str, deposited_on: date, note: str,
                   operator: str, now: datetime) -> str:
    """An operator deposited the invoice's package on the funder's portal on `deposited_on`:
    recorded (audit-logged), its review item resolved; its dunning counts from that day."""
    with unit_of_work(engine) as db:
        deposit = db.get(InvoiceDeposit, number)
        if deposit is None:
            raise InvoicingError(f"{number} : aucune facture à déposer sous ce numéro")
        if deposit.deposited_on is not None:
            return (f"{number} : dépôt déjà enregistré le "
                    f"{format_date_fr(deposit.deposited_on)} par {deposit.deposited_by}")
        deposit.deposited_on, deposit.deposited_by = deposited_on, operator
        deposit.note = note.strip() or None
        resolve_item(db, f"deposit:{number}", f"déposée le {deposited_on.isoformat()}", now)
        record_decision(db, actor=operator, action="invoice.deposited", subject=number, at=now,
                        reason=note.strip() or "dépôt sur le portail du financeur",
                        inputs={"deposited_on": deposited_on.isoformat(),
                                "package": deposit.path})
    return f"{number} : déposée le {format_date_fr(deposited_on)}, relances comptées de ce jour"


# --- reminders ----------------------------------------------------------------------------------

def remind_unpaid(engine: Engine, *, as_of: date, now: datetime, marketplace: Marketplace,
                  reminder_days: Sequence[int], payment_days: int = 30
                  ) -> list[InvoiceReminderSent]:
    """Each unpaid invoice's reminder of the latest stage reached (J+7, J+30 after its due
    date), once: an e-mail to its funder, or a review item when the funder has no billing
    e-mail (a person chases it; resolved by an operator, it is not opened again for that stage).
    A stage already recorded costs a set lookup, not a rendering: the unpaid invoices of the
    years before are read every night, their reminders made once; the deposits and the
    reminders made are looked up for those invoices only, not read whole (every e-mail ever
    sent is an effect)."""
    reminders = []
    with unit_of_work(engine) as db:
        unpaid = db.execute(select(Invoice.id, Invoice.number, Invoice.due_date,
                                   Invoice.billing_email)
                            .where(Invoice.kind == "invoice",
                                   Invoice.status.in_(("issued", "partly_paid")))
                            .order_by(Invoice.number)).all()
        deposits = {number: deposited_on for number, deposited_on in rows_in(
            db, select(InvoiceDeposit.number, InvoiceDeposit.deposited_on),
            InvoiceDeposit.number, (row[1] for row in unpaid))}
        due_now = []  # (invoice id, its stage's key, stage, due date, billing e-mail)
        for invoice_id, number, due_date, billing_email in unpaid:
            due = dunning_due_date(due_date, payment_days,
                                   deposit_awaited=number in deposits,
                                   deposited_on=deposits.get(number))
            if due is None:  # its deposit is awaited
                continue
            stage = reminder_due(due, as_of, reminder_days)
            if stage is None:
                continue
            key = (f"email:invoice-reminder:{number}:J+{stage}" if billing_email
                   else f"dunning:{number}:J+{stage}")
            due_now.append((invoice_id, key, stage, due, billing_email))
        keys = [key for _, key, _, _, _ in due_now]
        made = set(scalars_in(db, select(Effect.idempotency_key), Effect.idempotency_key, keys)
                   ) | set(scalars_in(db, select(ReviewItem.key), ReviewItem.key, keys))
        for invoice_id, key, stage, due, billing_email in due_now:
            if key in made:
                continue
            invoice = db.get_one(Invoice, invoice_id)
            residual = open_amount(invoice.total_ttc, invoice.paid_amount,
                                   _credited(db, invoice.number))
            if residual <= 0:
                continue
            if not billing_email:  # a funder known by its portal only: a person chases
                open_item(db, key, kind=ReviewKind.dunning,
                          subject=f"Facture {invoice.number} à {invoice.funder_name}",
                          reasons=[f"impayée {stage} jours après son échéance du "
                                   f"{format_date_fr(due)} : reste {format_eur(residual)}"],
                          proposals=[], now=now)
            else:
                record_email(db, key, to=[billing_email], now=now, template="invoice_reminder",
                             invoice=document_from_json(invoice.document), days=stage,
                             residual=residual, marketplace=marketplace)
            reminders.append(InvoiceReminderSent(invoice.number, stage, invoice.funder_name))
    return reminders


# --- corrections by credit note ----------------------------------------------------------------

def issue_credit_note(engine: Engine, *, number: str, reason: str, as_of: date, now: datetime,
                      marketplace: Marketplace, reference: ReferenceData,
                      terms: InvoicingTerms, amount: Decimal | None = None,
                      reissue: bool = False, operator: str = "operator") -> list[str]:
    """Cancel an invoice (whole, or `amount` of it) by a credit note; optionally issue it again
    from the current data. Returns the numbers issued."""
    if not reason.strip():
        raise InvoicingError("un motif est obligatoire pour un avoir")
    with unit_of_work(engine) as db:
        invoice = _open_invoice(db, number)
        credited = quantize(amount if amount is not None else invoice.total_ttc)
        if not ZERO < credited <= invoice.total_ttc - _credited(db, number):
            raise InvoicingError(f"avoir de {credited} € impossible sur {number} (reste "
                                 f"{invoice.total_ttc - _credited(db, number)} € à annuler)")
        part = InvoicePart(f"{invoice.invoice_key}-avoir{_count(db, invoice) + 1}",
                           invoice.funder_kind, (SplitLine(
                               f"Annulation {'partielle ' if credited < invoice.total_ttc else ''}"
                               f"de la facture {number} : {reason.strip()}", Decimal(1), "C62",
                               credited, credited),))
        grant = _grant_of(db, invoice)
        note = _issue(db, invoice.session_ref, part, grant, as_of=as_of, now=now,
                      marketplace=marketplace, reference=reference, terms=terms,
                      kind="credit_note", credit_note_of=number, note=reason.strip())
        db.flush()
        if _credited(db, number) == invoice.total_ttc:
            invoice.status = "cancelled"
        record_decision(db, actor=operator, action="invoice.credited", subject=number, at=now,
                        reason=reason.strip(), inputs={"credit_note": note.number,
                                                       "amount": str(credited)})
        numbers = [note.number]
    if reissue:
        numbers += _reissue(engine, invoice.session_ref, invoice.invoice_key, as_of=as_of,
                            now=now, marketplace=marketplace, reference=reference, terms=terms)
    return numbers


def _open_invoice(db: OrmSession, number: str) -> Invoice:
    invoice = db.scalar(select(Invoice).where(Invoice.number == number))
    if invoice is None or invoice.kind != "invoice":
        raise InvoicingError(f"facture {number} inconnue")
    if invoice.status == "cancelled":
        raise InvoicingError(f"facture {number} déjà annulée par avoir")
    return invoice


def _credited(db: OrmSession, number: str) -> Decimal:
    notes = db.scalars(select(Invoice.total_ttc).where(Invoice.credit_note_of == number))
    return quantize(sum(notes, ZERO))


def _count(db: OrmSession, invoice: Invoice) -> int:
    return len(list(db.scalars(select(Invoice.id).where(
        Invoice.credit_note_of == invoice.number))))


def _grant_of(db: OrmSession, invoice: Invoice) -> Grant | None:
    if not invoice.dossier_number:
        return None
    return _grant(db.scalar(select(Pec).where(Pec.dossier_number == invoice.dossier_number)))


def _grant(pec: Pec | None) -> Grant | None:
    """What invoicing needs of a validated PEC."""
    if pec is None:
        return None
    return Grant(pec.opco, pec.dossier_number, pec.amount_granted_ht, pec.hours, pec.subrogation)


def _reissue(engine: Engine, session_ref: str, key: str, **kwargs: Any) -> list[str]:
    """Issue again, under a new key, what the session owes for `key` from today's data: the
    numbers issued."""
    with unit_of_work(engine) as db:
        issued = []
        for _ref, part, grant in session_parts(db, kwargs["terms"], [session_ref]):
            if part.key != key:
                continue
            versions = len(list(db.scalars(select(Invoice.id).where(
                Invoice.session_ref == session_ref, Invoice.kind == "invoice",
                Invoice.invoice_key.like(f"{key}%")))))
            again = dataclasses.replace(part, key=f"{key}-{versions + 1}")
            issued.append(_issue(db, session_ref, again, grant, **kwargs).number)
    return issued


def bill_remainder_to_company(engine: Engine, *, number: str, paid: Decimal, note: str,
                              as_of: date, now: datetime, marketplace: Marketplace,
                              reference: ReferenceData, terms: InvoicingTerms,
                              operator: str = "operator") -> list[str]:
    """The OPCO refused or paid less: credit what it will not pay, bill it to the company."""
    with unit_of_work(engine) as db:
        invoice = _open_invoice(db, number)
        try:
            part = remainder_to_company(number=number, invoice_key=invoice.invoice_key,
                                        funder=invoice.funder_kind, total_ttc=invoice.total_ttc,
                                        paid=paid, note=note)
        except InvoicingRefused as refused:
            raise InvoicingError(str(refused)) from refused
    remainder = part.total
    numbers = issue_credit_note(engine, number=number, amount=remainder, as_of=as_of, now=now,
                                reason=f"non payé par l'OPCO : {note}", marketplace=marketplace,
                                reference=reference, terms=terms, operator=operator)
    with unit_of_work(engine) as db:
        again = _issue(db, invoice.session_ref, part, _grant_of(db, invoice), as_of=as_of,
                       now=now, marketplace=marketplace, reference=reference, terms=terms)
        record_decision(db, actor=operator, action="invoice.remainder_to_company",
                        subject=number, at=now, reason=note,
                        inputs={"paid": str(paid), "remainder": str(remainder),
                                "credit_note": numbers[0], "invoice": again.number})
        numbers.append(again.number)
    return numbers
