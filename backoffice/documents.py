"""Which legal documents a session needs today, in which version, and what goes into them.

The individual training file (convention, programme, devis) once the trainer validated the
session; convocations and attendance sheets once it may start (green light, or company
funding); one certificat de réalisation per trainee once its end is declared, with the hours
attended computed from attendance, never typed. A document once sent is immutable: when what it
says changes, a new version is due, with a short explanation of what changed. The sets, their
documents and e-mails are the registry's: backoffice/document_kinds.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from backoffice.dates import PARIS, format_date_fr, format_hours
from backoffice.document_kinds import (
    ATTENDANCE,
    BUNDLE,
    CERTIFICATES,
    DOCUMENT_SETS,
    SETS,
    START_KIT,
    Milestone,
)
from backoffice.funding_status import FundingStatus
from backoffice.money import format_eur
from backoffice.sessions import has_started

# a session funded by the company from the start has no funding row: "company"
READY_TO_START = (FundingStatus.funded, "company", FundingStatus.company_billing)


@dataclass(frozen=True, slots=True)
class TraineeFacts:
    trainee_ref: str
    first_name: str
    last_name: str
    job_title: str | None = None
    email: str | None = None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True, slots=True)
class SlotFacts:
    day: date
    start: time
    end: time

    @property
    def half_day(self) -> str:
        return "am" if self.start < time(13, 0) else "pm"

    @property
    def minutes(self) -> int:
        return (self.end.hour * 60 + self.end.minute) - (self.start.hour * 60 + self.start.minute)


@dataclass(frozen=True, slots=True)
class Presence:
    """One trainee's half-day as the platform recorded it, with its evidence (issue #17): the
    trainee's and the trainer's signature times and how they signed, the connection log of a
    distance half-day. Instants in UTC."""

    trainee_ref: str
    day: date
    half_day: str
    present: bool
    minutes: int | None = None
    trainee_signed_at: datetime | None = None
    trainer_signed_at: datetime | None = None
    signature_method: str | None = None  # electronic | paper
    login_at: datetime | None = None
    logout_at: datetime | None = None

    @property
    def signed(self) -> bool:
        return self.trainee_signed_at is not None and self.trainer_signed_at is not None

    @property
    def connected(self) -> bool:
        return self.login_at is not None and self.logout_at is not None

    @property
    def has_evidence(self) -> bool:
        """Signed by the trainee and the trainer, or a connection log (login and logout)."""
        return self.signed or self.connected

    @property
    def records_evidence(self) -> bool:
        """Whether the platform sent any evidence for this row at all."""
        return any(v is not None for v in (self.trainee_signed_at, self.trainer_signed_at,
                                           self.login_at, self.logout_at))


@dataclass(frozen=True, slots=True)
class SessionDocumentFacts:
    """Everything the documents of one session say, from the export and the funding step."""

    session_ref: str
    title: str
    objectives: tuple[str, ...]
    content: tuple[str, ...]
    prerequisites: str
    audience: str
    methods: str
    evaluation: str
    accessibility: str
    hours_per_trainee: Decimal
    start_date: date
    end_date: date
    modality: str
    location: str | None
    price_ht: Decimal
    funding: str
    trainees: tuple[TraineeFacts, ...]
    slots: tuple[SlotFacts, ...]
    trainer_name: str
    client_name: str
    client_siret: str
    client_address: str
    opco: str | None
    validated: bool
    cancelled: bool
    funding_status: str  # awaiting_pec | pec_review | funded | company_billing | company
    completed_at: datetime | None = None
    presences: tuple[Presence, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class DocumentPlan:
    """One set of documents to produce for a session: its kind, version and why."""

    session_ref: str
    kind: str  # a set of backoffice/document_kinds.py: "bundle", "start_kit", "certificates"
    version: int
    fingerprint: str
    explanation: str  # French; empty for a first version


def missing_for_documents(facts: SessionDocumentFacts) -> list[str]:
    """What prevents a legal document (French), empty when nothing does."""
    missing = []
    if not facts.objectives:
        missing.append("objectifs du programme")
    if not facts.content:
        missing.append("contenu du programme")
    if not facts.trainees:
        missing.append("stagiaires")
    if facts.price_ht <= 0:
        missing.append("prix de la session")
    if not facts.slots:
        missing.append("horaires (créneaux) de la session")
    return missing


def _digest(parts: Iterable[object]) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


def bundle_inputs(facts: SessionDocumentFacts) -> dict[str, str]:
    """What the convention, programme and devis say, by topic (for versions and explanations)."""
    return {
        "dates": f"du {format_date_fr(facts.start_date)} au {format_date_fr(facts.end_date)}",
        "durée": format_hours(facts.hours_per_trainee),
        "prix": format_eur(facts.price_ht) + " HT",
        "stagiaires": ", ".join(t.full_name for t in facts.trainees),
        "lieu": f"{facts.modality} {facts.location or ''}".strip(),
        "programme": _digest((facts.title, *facts.objectives, *facts.content, facts.methods,
                              facts.evaluation, facts.prerequisites, facts.audience,
                              facts.accessibility))[:12],
        "financement": facts.funding,
        "client": f"{facts.client_name} {facts.client_siret} {facts.client_address}",
    }


def start_kit_inputs(facts: SessionDocumentFacts) -> dict[str, str]:
    return {
        "horaires": "; ".join(f"{s.day} {s.start:%H:%M}-{s.end:%H:%M}" for s in facts.slots),
        "stagiaires": ", ".join(t.full_name for t in facts.trainees),
        "lieu": f"{facts.modality} {facts.location or ''}".strip(),
        "formateur": facts.trainer_name,
    }


def certificate_inputs(facts: SessionDocumentFacts) -> dict[str, str]:
    hours = attended_hours(facts)
    return {"heures réalisées": "; ".join(f"{t.full_name} {format_hours(hours[t.trainee_ref])}"
                                          for t in facts.trainees),
            "dates": f"{facts.start_date} {facts.end_date}"}


def attendance_inputs(facts: SessionDocumentFacts) -> dict[str, str]:
    hours = attended_hours(facts)
    return {"heures réalisées": "; ".join(f"{t.full_name} {format_hours(hours[t.trainee_ref])}"
                                          for t in facts.trainees),
            "émargement": _digest(sorted(map(repr, facts.presences)))[:12]}


# what each document set says, by topic: a change of any makes a new version
INPUTS = {BUNDLE.kind: bundle_inputs, START_KIT.kind: start_kit_inputs,
          CERTIFICATES.kind: certificate_inputs, ATTENDANCE.kind: attendance_inputs}


def milestones(facts: SessionDocumentFacts) -> set[Milestone]:
    """The milestones a session reached: none while not validated, or once cancelled."""
    if not facts.validated or facts.cancelled:
        return set()
    reached = {Milestone.validated}
    if facts.funding_status in READY_TO_START:
        reached.add(Milestone.ready_to_start)
        if facts.completed_at is not None:
            reached.add(Milestone.completed)
    return reached


def due_kinds(facts: SessionDocumentFacts) -> list[str]:
    """The document sets a session should have now, in process order; a set made only of
    documents for trainees with realised hours (the certificates) not while nobody has any."""
    reached = milestones(facts)
    certified = bool(certified_trainees(facts))
    tracked = evidence_tracked(facts)
    return [document_set.kind for document_set in DOCUMENT_SETS if document_set.due_from in reached
            and (certified or not all(d.realised_only for d in document_set.documents))
            and (tracked or not document_set.needs_evidence)]


def certified_trainees(facts: SessionDocumentFacts) -> tuple[TraineeFacts, ...]:
    """The trainees who get a certificat de réalisation: those with realised hours. An absent
    trainee gets none (their hours, 0 h, stay in the set's inputs and on the invoices)."""
    hours = attended_hours(facts)
    return tuple(t for t in facts.trainees if hours[t.trainee_ref] > 0)


def plan_documents(facts: SessionDocumentFacts,
                   latest: Mapping[str, tuple[int, str, dict[str, str]]]) -> list[DocumentPlan]:
    """New document sets due for the session: first versions, or new ones when inputs changed.

    `latest[kind]` is (version, fingerprint, inputs) of the last version produced.
    """
    plans = []
    for kind in due_kinds(facts):
        inputs = INPUTS[kind](facts)
        fingerprint = _digest(f"{k}={v}" for k, v in sorted(inputs.items()))
        previous = latest.get(kind)
        if previous is None:
            plans.append(DocumentPlan(facts.session_ref, kind, 1, fingerprint, ""))
        elif previous[1] != fingerprint:
            plans.append(DocumentPlan(facts.session_ref, kind, previous[0] + 1, fingerprint,
                                      explain_change(previous[2], inputs)))
    return plans


def too_late(plan: DocumentPlan, facts: SessionDocumentFacts, as_of: date) -> bool:
    """Whether a planned set would be issued after its session's start although it belongs
    before it (a convention, a devis, a convocation): it is then neither produced nor sent, and
    the session goes to review."""
    return SETS[plan.kind].before_start and has_started(facts.start_date, as_of)


def late_reason(plans: Iterable[DocumentPlan], facts: SessionDocumentFacts) -> str:
    """The review item's reason for sets due after the start (French)."""
    names = {BUNDLE.kind: "la convention, le programme et le devis",
             START_KIT.kind: "les convocations et les feuilles d'émargement"}
    due = " ; ".join(names.get(p.kind, p.kind)
                     + (f", version {p.version} ({p.explanation})" if p.version > 1 else "")
                     for p in plans)
    return (f"session commencée le {format_date_fr(facts.start_date)} avant l'envoi de : {due}. "
            "Rien n'en est produit ni envoyé après le début (un document daté d'après le début "
            "ne peut pas en tenir lieu) : à régulariser avec le client et le formateur")


def schedule_lines(slots: Iterable[SlotFacts]) -> list[str]:
    """One line per day, its slots in order: "14 décembre 2026 : 09:00-12:30 et 13:30-17:00"."""
    days: dict[date, list[str]] = {}
    for slot in sorted(slots, key=lambda s: (s.day, s.start)):
        days.setdefault(slot.day, []).append(f"{slot.start:%H:%M}-{slot.end:%H:%M}")
    return [f"{format_date_fr(day)} : {' et '.join(times)}" for day, times in days.items()]


def explain_change(before: Mapping[str, str], after: Mapping[str, str]) -> str:
    """"dates : du 7 décembre 2026 au 8 décembre 2026 → du 14 … ; prix : …" (French)."""
    changes = []
    for topic, value in after.items():
        if before.get(topic) != value:
            if topic in ("programme", "client", "émargement"):
                changes.append(f"{topic} modifié")
            else:
                changes.append(f"{topic} : {before.get(topic) or '—'} → {value}")
    return " ; ".join(changes) or "mise à jour"


def evidence_tracked(facts: SessionDocumentFacts) -> bool:
    """Whether the platform sends evidence for the session (any of its half-days carries a
    signature or a connection): then only evidenced half-days count. A session of an older
    export, without any, counts its declared presences as before."""
    return any(p.records_evidence for p in facts.presences)


def unevidenced(facts: SessionDocumentFacts) -> list[Presence]:
    """The present half-days without evidence of a session that sends evidence: they count no
    hour (no certificate hour, nothing billed to an OPCO) and are listed for review."""
    if not evidence_tracked(facts):
        return []
    return sorted((p for p in facts.presences if p.present and not p.has_evidence),
                  key=lambda p: (p.day, p.half_day, p.trainee_ref))


def evidence_reason(missing: Iterable[Presence], facts: SessionDocumentFacts) -> str:
    """The review item's reason for half-days without evidence (French)."""
    names = {t.trainee_ref: t.full_name for t in facts.trainees}
    half = {"am": "matin", "pm": "après-midi"}
    listed = ", ".join(f"{names.get(p.trainee_ref, p.trainee_ref)} le {format_date_fr(p.day)} "
                       f"{half.get(p.half_day, p.half_day)}" for p in missing)
    return (f"demi-journées déclarées présentes sans preuve (signatures du stagiaire et du "
            f"formateur, ou connexion) : {listed} ; non comptées ni facturées à l'OPCO tant "
            "que la plateforme n'en transmet pas la preuve")


def attended_hours(facts: SessionDocumentFacts) -> dict[str, Decimal]:
    """Hours each trainee attended: present half-days count their slot, partial ones their
    minutes, absences nothing; a half-day without attendance row counts nothing, nor, when the
    session sends evidence, a present half-day without it (`unevidenced`)."""
    slot_minutes = {(s.day, s.half_day): s.minutes for s in facts.slots}
    minutes = {t.trainee_ref: 0 for t in facts.trainees}
    strict = evidence_tracked(facts)
    for p in facts.presences:
        if p.present and p.trainee_ref in minutes and (p.has_evidence or not strict):
            planned = slot_minutes.get((p.day, p.half_day), 0)
            minutes[p.trainee_ref] += min(p.minutes, planned) if p.minutes is not None else planned
    return {ref: (Decimal(total) / 60).quantize(Decimal("0.01")) for ref, total in minutes.items()}


# --- the completed attendance sheets ----------------------------------------------------------

@dataclass(frozen=True, slots=True)
class SignedLine:
    """One trainee on one half-day of a completed sheet (French texts, Paris times)."""

    name: str
    status: str  # "présent", "présent 150 min", "absent", "présent, sans preuve"
    signature: str  # "09:02 (électronique)" or ""
    connection: str  # "08:58 – 12:31" or ""
    hours: Decimal  # what the half-day counts


@dataclass(frozen=True, slots=True)
class SignedHalfDay:
    slot: SlotFacts
    trainer_signature: str  # "12:35 (électronique)" or "non signée"
    lines: tuple[SignedLine, ...]


METHODS = {"electronic": "électronique", "paper": "papier"}


def _at(instant: datetime | None, method: str | None = None) -> str:
    if instant is None:
        return ""
    shown = f"{instant.astimezone(PARIS):%H:%M}"
    return f"{shown} ({METHODS.get(method or '', method)})" if method else shown


def signed_sheets(facts: SessionDocumentFacts) -> list[SignedHalfDay]:
    """Every slot with who attended, their signature and connection times and the hours each
    half-day counts: what the completed attendance sheets show, the certificates' hours."""
    rows = {(p.trainee_ref, p.day, p.half_day): p for p in facts.presences}
    strict = evidence_tracked(facts)
    sheets = []
    for slot in facts.slots:
        lines, trainer = [], [p for p in facts.presences if (p.day, p.half_day) == (
            slot.day, slot.half_day) and p.trainer_signed_at is not None]
        for t in facts.trainees:
            p = rows.get((t.trainee_ref, slot.day, slot.half_day))
            counted = p is not None and p.present and (p.has_evidence or not strict)
            minutes = (min(p.minutes, slot.minutes) if p is not None and p.minutes is not None
                       else slot.minutes) if counted else 0
            if p is None:
                status = "non déclaré"
            elif not p.present:
                status = "absent"
            else:
                status = "présent" + (f" {p.minutes} min" if p.minutes is not None else "") + \
                    ("" if counted else ", sans preuve")
            lines.append(SignedLine(
                t.full_name, status,
                _at(p.trainee_signed_at, p.signature_method) if p is not None else "",
                f"{_at(p.login_at)} – {_at(p.logout_at)}" if p is not None and p.connected
                else "", (Decimal(minutes) / 60).quantize(Decimal("0.01"))))
        trainer_at = min((p.trainer_signed_at for p in trainer if p.trainer_signed_at), default=None)
        method = next((p.signature_method for p in trainer), None)
        sheets.append(SignedHalfDay(slot, _at(trainer_at, method) or "non signée",
                                    tuple(lines)))
    return sheets
