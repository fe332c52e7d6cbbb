"""Documents against the database and the file system: plan, render, store, send.

`plan_due_documents` loads the sessions' facts and lets the core say which document sets are
due (first versions or new versions). `produce_documents` renders them (HTML → PDF, optionally
in worker processes), writes the files, then records the sets, their files' SHA-256 and the
e-mails in one transaction. A set already recorded is never written again: sent documents are
immutable, a change makes a new version.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session as OrmSession

from adapters.audit import record_decision
from adapters.database import in_chunks, scalars_in, unit_of_work
from adapters.email_templates import record_email
from adapters.files import write_atomically
from adapters.models import (
    Attendance,
    Client,
    Completion,
    DocumentFile,
    DocumentSet,
    Programme,
    ReviewItem,
    SessionFunding,
    Slot,
    Trainee,
    Trainer,
)
from adapters.models import Session as SessionRow
from adapters.pdf import render_html
from adapters.review import ReviewKind, open_item, resolve_item
from adapters.session_changes import Step, clear_marks, marked_sessions
from adapters.settings import Marketplace
from backoffice.document_kinds import ATTENDANCE, DOSSIER, SETS, Recipient
from backoffice.documents import (
    INPUTS,
    DocumentPlan,
    Presence,
    SessionDocumentFacts,
    SlotFacts,
    TraineeFacts,
    attended_hours,
    certified_trainees,
    evidence_reason,
    late_reason,
    missing_for_documents,
    plan_documents,
    schedule_lines,
    signed_sheets,
    too_late,
    unevidenced,
)
from backoffice.funding_status import FundingStatus
from backoffice.money import ZERO, quantize
from backoffice.outcomes import DocumentsBlocked, DocumentSetProduced, DocumentsTooLate
from services.rendering import render_pdfs

ACTOR = "generate-documents"
MODALITIES = {"presentiel": "en présentiel", "distanciel": "à distance", "mixte": "mixte"}
FUNDING_LABELS = {"opco_subrogation": "prise en charge OPCO avec subrogation de paiement",
                  "opco_reimbursement": "prise en charge OPCO, remboursement à l'entreprise",
                  "company": "financement par l'entreprise"}


@dataclass(frozen=True, slots=True)
class RenderJob:
    """One PDF to render: where it goes and its HTML."""

    name: str  # "convention", "convocation-T-1"…
    html: str


@dataclass(slots=True)
class PlannedSet:
    plan: DocumentPlan
    facts: SessionDocumentFacts
    context: dict[str, Any]
    jobs: list[RenderJob]
    inputs: dict[str, str]


@dataclass(slots=True)
class DocumentsReport:
    produced: list[DocumentSetProduced] = field(default_factory=list)
    blocked: list[DocumentsBlocked | DocumentsTooLate] = field(default_factory=list)


# --- loading the facts ---------------------------------------------------------------------

def load_document_facts(db: OrmSession, session_refs: Iterable[str] | None = None
                        ) -> dict[str, tuple[SessionDocumentFacts, dict[str, Any]]]:
    """Facts per session, with the rows the templates show (client, trainer, funding)."""
    query = select(SessionRow)
    if session_refs is not None:
        query = query.where(SessionRow.session_ref.in_(list(session_refs)))
    rows = {s.session_ref: s for s in db.scalars(query)}
    refs = list(rows)
    programmes = {p.programme_ref: p for p in db.scalars(select(Programme).where(
        Programme.programme_ref.in_({s.programme_ref for s in rows.values()})))}
    clients = {c.client_ref: c for c in db.scalars(select(Client).where(
        Client.client_ref.in_({s.client_ref for s in rows.values()})))}
    trainers = {t.trainer_ref: t for t in db.scalars(select(Trainer).where(
        Trainer.trainer_ref.in_({s.trainer_ref for s in rows.values()})))}
    funding = {f.session_ref: f for f in db.scalars(
        select(SessionFunding).where(SessionFunding.session_ref.in_(refs)))}
    completed = {c.session_ref: c.declared_at for c in db.scalars(
        select(Completion).where(Completion.session_ref.in_(refs)))}
    trainees, slots, presences = defaultdict(list), defaultdict(list), defaultdict(list)
    for t in db.scalars(select(Trainee).where(Trainee.session_ref.in_(refs))
                        .order_by(Trainee.last_name, Trainee.first_name, Trainee.trainee_ref)):
        trainees[t.session_ref].append(TraineeFacts(t.trainee_ref, t.first_name, t.last_name,
                                                    t.job_title, t.email))
    for slot in db.scalars(select(Slot).where(Slot.session_ref.in_(refs))
                           .order_by(Slot.date, Slot.start)):
        slots[slot.session_ref].append(SlotFacts(slot.date, slot.start, slot.end))
    for a in db.scalars(select(Attendance).where(Attendance.session_ref.in_(refs))):
        presences[a.session_ref].append(Presence(
            a.trainee_ref, a.date, a.half_day, a.status == "present", a.minutes,
            trainee_signed_at=a.trainee_signed_at, trainer_signed_at=a.trainer_signed_at,
            signature_method=a.signature_method, login_at=a.login_at, logout_at=a.logout_at))
    result = {}
    for ref, s in rows.items():
        programme, client, trainer = programmes[s.programme_ref], clients[s.client_ref], \
            trainers[s.trainer_ref]
        row = funding.get(ref)
        facts = SessionDocumentFacts(
            session_ref=ref, title=programme.title, objectives=_lines(programme.objectives),
            content=_lines(programme.content), prerequisites=programme.prerequisites,
            audience=programme.audience, methods=programme.methods,
            evaluation=programme.evaluation, accessibility=programme.accessibility,
            hours_per_trainee=s.hours_per_trainee, start_date=s.start_date,
            end_date=s.end_date, modality=s.modality, location=s.location,
            price_ht=s.price_ht, funding=s.funding, trainees=tuple(trainees[ref]),
            slots=tuple(slots[ref]), trainer_name=f"{trainer.first_name} {trainer.last_name}",
            client_name=client.name, client_siret=client.siret,
            client_address=f"{client.address}, {client.postcode} {client.city}",
            opco=(row.opco if row else None) or client.opco,
            validated=s.validated_at is not None, cancelled=s.cancelled_at is not None,
            funding_status=row.status if row else ("company" if s.funding == "company"
                                                   else FundingStatus.awaiting_pec),
            completed_at=completed.get(ref), presences=tuple(presences[ref]))
        result[ref] = (facts, {"client": client, "trainer": trainer, "funding": row,
                               "programme_ref": s.programme_ref})
    return result


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip(" -•\t") for line in text.splitlines() if line.strip(" -•\t"))


# --- planning -----------------------------------------------------------------------------------

def plan_due_documents(engine: Engine, *, as_of: date, now: datetime, marketplace: Marketplace,
                       session_refs: Sequence[str] | None = None
                       ) -> tuple[list[PlannedSet], list[DocumentsBlocked | DocumentsTooLate]]:
    """The document sets due, with their HTML ready; and the sessions blocked: by bad data,
    each with a review item naming what is missing (resolved once the data is complete), or
    because a set that belongs before the start is due after it (`too_late`: a review item,
    nothing produced or mailed)."""
    planned: list[PlannedSet] = []
    blocked: list[DocumentsBlocked | DocumentsTooLate] = []
    with unit_of_work(engine) as db:
        latest = _latest_sets(db, session_refs)
        items = _session_items(db, session_refs)
        for ref, (facts, rows) in sorted(load_document_facts(db, session_refs).items()):
            plans = plan_documents(facts, latest.get(ref, {}))
            _sync_evidence_item(db, facts, now, items)
            missing = missing_for_documents(facts) if plans else []
            _sync_blocked_item(db, ref, missing, now, items)
            if missing:
                blocked.append(DocumentsBlocked(ref, tuple(missing)))
                continue
            late = [plan for plan in plans if too_late(plan, facts, as_of)]
            if late:
                plans = [plan for plan in plans if plan not in late]
                if _open_late_item(db, facts, late, now, items):
                    blocked.append(DocumentsTooLate(ref, tuple(p.kind for p in late),
                                                    facts.start_date))
            for plan in plans:
                context = _context(facts, rows, plan, as_of, marketplace)
                planned.append(PlannedSet(plan, facts, context, _jobs(plan, context),
                                          INPUTS[plan.kind](facts)))
    return planned, blocked


def _latest_sets(db: OrmSession, session_refs: Sequence[str] | None
                 ) -> dict[str, dict[str, tuple[int, str, dict[str, str]]]]:
    latest: dict[str, dict[str, tuple[int, str, dict[str, str]]]] = defaultdict(dict)
    query = select(DocumentSet).order_by(DocumentSet.version)
    for s in (db.scalars(query) if session_refs is None
              else scalars_in(db, query, DocumentSet.session_ref, session_refs)):
        latest[s.session_ref][s.kind] = (s.version, s.fingerprint, s.inputs)
    return latest


def _context(facts: SessionDocumentFacts, rows: dict[str, Any], plan: DocumentPlan,
             as_of: date, marketplace: Marketplace) -> dict[str, Any]:
    trainees = len(facts.trainees) or 1
    return {
        "marketplace": marketplace, "session": _SessionView(facts, rows["programme_ref"]),
        "client": rows["client"], "opco": facts.opco, "version": plan.version,
        "issued_on": as_of, "valid_until": as_of + timedelta(days=30),
        "devis_number": f"DEV-{facts.session_ref}-V{plan.version}",
        "unit_price": quantize(facts.price_ht / trainees), "zero": ZERO,
        "modality_label": MODALITIES.get(facts.modality, facts.modality),
        "financing": _financing(facts, rows["funding"]), "trainees": list(facts.trainees),
        "hours": attended_hours(facts), "signatory": marketplace.representative,
        "certified": list(certified_trainees(facts)),
        "signed_sheets": signed_sheets(facts) if plan.kind == ATTENDANCE.kind else [],
        "without_hours": [t.full_name for t in facts.trainees
                          if t not in certified_trainees(facts)],
    }


@dataclass(frozen=True, slots=True)
class _SessionView:
    """The session as templates see it: its facts plus the programme reference."""

    facts: SessionDocumentFacts
    programme_ref: str

    def __getattr__(self, name: str) -> Any:
        return getattr(self.facts, name)


def _financing(facts: SessionDocumentFacts, row: SessionFunding | None) -> dict[str, Any]:
    granted = row is not None and row.status == FundingStatus.funded
    if facts.funding == "company" or (row is not None
                                      and row.status == FundingStatus.company_billing):
        return {"label": FUNDING_LABELS["company"] if facts.funding == "company" else
                "facturation à l'entreprise (pas d'accord OPCO validé au premier jour)",
                "opco": None}
    return {
        "label": FUNDING_LABELS[facts.funding], "opco": facts.opco,
        "dossier": row.dossier_number if row is not None and granted else None,
        "subrogation": facts.funding == "opco_subrogation", "granted": granted,
        "opco_share": (row.opco_share if granted else row.estimated_opco_share) if row else None,
        "reste_a_charge": (row.reste_a_charge if granted else row.estimated_reste_a_charge)
        if row else None,
        "basis": (row.estimate_basis if row and row.estimate_basis else
                  "Estimation indisponible"),
    }


def _jobs(plan: DocumentPlan, context: dict[str, Any]) -> list[RenderJob]:
    """The set's documents in the registry's order: one per session, or one per trainee (its
    template then sees that trainee only)."""
    jobs = []
    for document in SETS[plan.kind].documents:
        if document.per_trainee:
            trainees = context["certified" if document.realised_only else "trainees"]
            jobs += [RenderJob(document.file_name(t.trainee_ref),
                               render_html(document.template, {**context, "trainees": [t]}))
                     for t in trainees]
        else:
            jobs.append(RenderJob(document.file_name(), render_html(document.template, context)))
    return jobs


# --- the night's documents ---------------------------------------------------------------------

def generate_due_documents(engine: Engine, *, as_of: date, now: datetime,
                           marketplace: Marketplace, output_dir: Path, workers: int = 1,
                           session_refs: Sequence[str] | None = None) -> DocumentsReport:
    """The document sets due for the sessions whose facts changed since the last run (or for
    the given sessions): planned, rendered, stored, their e-mails recorded. The changes looked at
    are cleared once their sets are recorded; a crash before leaves them for the next run.

    A session needs looking at only when its facts change: which sets are due and what they say
    depend on its facts alone (the date only decides that a set due before the start is too
    late, and a session's work then waits for an operator, not for a later day)."""
    marks: dict[str, list[int]] = {}
    if session_refs is None:
        with unit_of_work(engine) as db:
            marks = marked_sessions(db, Step.documents)
    planned, blocked = plan_due_documents(
        engine, as_of=as_of, now=now, marketplace=marketplace,
        session_refs=sorted(marks) if session_refs is None else session_refs)
    report = produce_documents(engine, planned, output_dir=output_dir, as_of=as_of, now=now,
                               marketplace=marketplace, workers=workers)
    report.blocked = blocked
    with unit_of_work(engine) as db:
        clear_marks(db, (mark for ids in marks.values() for mark in ids))
    return report


# --- rendering and storing ---------------------------------------------------------------------

def set_folder(output_dir: Path, plan: DocumentPlan) -> Path:
    return output_dir / "documents" / plan.session_ref / f"{plan.kind}-v{plan.version}"


def produce_documents(engine: Engine, planned: Sequence[PlannedSet], *, output_dir: Path,
                      as_of: date, now: datetime, marketplace: Marketplace,
                      workers: int = 1) -> DocumentsReport:
    report = DocumentsReport()
    pdfs = iter(render_pdfs([job.html for s in planned for job in s.jobs], workers))
    for item in planned:
        files = {job.name: next(pdfs) for job in item.jobs}
        folder = set_folder(output_dir, item.plan)
        with unit_of_work(engine) as db:
            if db.get(DocumentSet, (item.plan.session_ref, item.plan.kind, item.plan.version)):
                continue  # another run recorded it meanwhile: never overwrite a sent version
            paths = _write_files(folder, item, files)
            _record_set(db, item, paths, output_dir, as_of, now, marketplace)
        report.produced.append(DocumentSetProduced(item.plan.session_ref, item.plan.kind,
                                                   item.plan.version, item.plan.explanation))
    return report


ZIP_TIME = (2000, 1, 1, 0, 0, 0)


def _write_files(folder: Path, item: PlannedSet, files: dict[str, bytes]) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, pdf in files.items():
        path = folder / f"{name}-{item.plan.session_ref}-v{item.plan.version}.pdf"
        write_atomically(path, pdf)
        paths[name] = path
    if SETS[item.plan.kind].zipped:
        archive = folder / f"{DOSSIER}-{item.plan.session_ref}-v{item.plan.version}.zip"
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
            for name, path in paths.items():  # a fixed time: the same set, the same zip bytes
                bundle.writestr(zipfile.ZipInfo(path.name, ZIP_TIME), files[name],
                                zipfile.ZIP_DEFLATED)
        paths[DOSSIER] = write_atomically(archive, buffer.getvalue())
    return paths


def _record_set(db: OrmSession, item: PlannedSet, paths: dict[str, Path], output_dir: Path,
                as_of: date, now: datetime, marketplace: Marketplace) -> None:
    plan = item.plan
    emails = _emails(db, item, paths, output_dir, now, marketplace)
    db.add(DocumentSet(session_ref=plan.session_ref, kind=plan.kind, version=plan.version,
                       fingerprint=plan.fingerprint, inputs=item.inputs,
                       explanation=plan.explanation or None, issued_on=as_of, created_at=now,
                       email_keys=emails))
    db.flush()  # the set before its files (no ORM relationship orders them)
    for name, path in paths.items():
        db.add(DocumentFile(session_ref=plan.session_ref, kind=plan.kind, version=plan.version,
                            name=name, path=str(path.relative_to(output_dir)),
                            sha256=hashlib.sha256(path.read_bytes()).hexdigest()))
    record_decision(db, actor=ACTOR, action=f"documents.{plan.kind}", subject=plan.session_ref,
                    reason=plan.explanation or "première version", at=now,
                    inputs={"version": plan.version, "as_of": as_of.isoformat(),
                            "files": sorted(p.name for p in paths.values())})


def _emails(db: OrmSession, item: PlannedSet, paths: dict[str, Path], output_dir: Path,
            now: datetime, marketplace: Marketplace) -> list[str]:
    """Record the set's e-mails (outbox), as the registry says; returns their keys. A
    per-trainee e-mail goes to the trainee's address, or to the client contact, who hands it
    over, when the export has none."""
    plan, client = item.plan, item.context["client"]
    address = {Recipient.client: client.contact_email,
               Recipient.trainer: _trainer_email(db, plan.session_ref)}
    context = {"session": item.context["session"], "client": client, "version": plan.version,
               "explanation": plan.explanation, "marketplace": marketplace,
               "modality_label": item.context["modality_label"],
               "schedule": schedule_lines(item.facts.slots),
               "without_hours": item.context["without_hours"]}
    keys = []
    for email in SETS[plan.kind].emails:
        earlier = [str(output_dir / path) for path in
                   (_latest_file(db, plan.session_ref, d.file_name()) for d in email.latest_of)
                   if path is not None]
        for trainee in item.facts.trainees if email.per_trainee else [None]:
            ref = trainee.trainee_ref if trainee is not None else None
            here = {**address, Recipient.trainee: (trainee.email if trainee is not None
                                                   and trainee.email else client.contact_email)}
            to = list(dict.fromkeys(here[r] for r in email.to))
            keys.append(email.key_for(plan.session_ref, plan.version, ref))
            record_email(db, keys[-1], to=to,
                         cc=[a for a in dict.fromkeys(here[r] for r in email.cc) if a not in to],
                         template=email.template, now=now,
                         attachments=[str(path) for name, path in paths.items()
                                      if email.attaches(name, ref)] + earlier,
                         trainee=trainee, handed_over=trainee is not None and not trainee.email,
                         with_programme=bool(earlier), **context)
    return keys


def _latest_file(db: OrmSession, session_ref: str, name: str) -> str | None:
    """The stored path of the latest version of a session's document (the programme)."""
    return db.scalar(select(DocumentFile.path).where(
        DocumentFile.session_ref == session_ref, DocumentFile.name == name)
        .order_by(DocumentFile.version.desc()).limit(1))


def _trainer_email(db: OrmSession, session_ref: str) -> str:
    return db.scalars(select(Trainer.email).join(
        SessionRow, SessionRow.trainer_ref == Trainer.trainer_ref)
        .where(SessionRow.session_ref == session_ref)).one()  # a session has its trainer


# --- sessions whose data cannot make a legal document -------------------------------------------

def _open_late_item(db: OrmSession, facts: SessionDocumentFacts, late: list[DocumentPlan],
                    now: datetime, items: dict[str, str]) -> bool:
    """Open the review item of sets due after the start, once: an operator who resolved it
    (the documents regularised by hand) is not asked again. True when newly opened."""
    key = f"documents-late:{facts.session_ref}"
    if key in items:
        return False
    return open_item(db, key, kind=ReviewKind.late_documents, subject=facts.session_ref,
                     proposals=[], now=now, reasons=[late_reason(late, facts)])


def _session_items(db: OrmSession, session_refs: Sequence[str] | None) -> dict[str, str]:
    """The status of the evidence, documents and late-documents items of the sessions (all when
    None), by key, in one query per 500 sessions: a night then looks up an item only to open or
    resolve it, not two or three per session."""
    query = select(ReviewItem.key, ReviewItem.status).where(
        ReviewItem.key.like("evidence:%") | ReviewItem.key.like("documents:%")
        | ReviewItem.key.like("documents-late:%"))
    if session_refs is None:
        return {key: status for key, status in db.execute(query)}
    return {key: status for chunk in in_chunks(session_refs)
            for key, status in db.execute(query.where(ReviewItem.subject.in_(chunk)))}


def _sync_evidence_item(db: OrmSession, facts: SessionDocumentFacts, now: datetime,
                        items: dict[str, str]) -> None:
    """Half-days declared present without evidence, once the session is over: listed for review
    (they count no hour and are not billed to an OPCO), resolved when the evidence arrives."""
    key = f"evidence:{facts.session_ref}"
    missing = unevidenced(facts) if facts.completed_at is not None else []
    if missing:
        open_item(db, key, kind=ReviewKind.evidence, subject=facts.session_ref, proposals=[],
                  now=now, reasons=[evidence_reason(missing, facts)])
    elif items.get(key) == "open":
        resolve_item(db, key, "preuves reçues, ou plus aucune demi-journée sans preuve", now)


def _sync_blocked_item(db: OrmSession, session_ref: str, missing: list[str],
                       now: datetime, items: dict[str, str]) -> None:
    key = f"documents:{session_ref}"
    if missing:
        open_item(db, key, kind=ReviewKind.documents, subject=session_ref, proposals=[], now=now,
                  reasons=[f"documents légaux impossibles, il manque : {', '.join(missing)}"])
    elif items.get(key) == "open":
        resolve_item(db, key, "données complétées, ou plus aucun document dû", now)
