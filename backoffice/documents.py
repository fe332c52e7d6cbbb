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

from backoffice.dates import format_date_fr, format_hours
from backoffice.document_kinds import BUNDLE, CERTIFICATES, DOCUMENT_SETS, START_KIT, Milestone
from backoffice.funding_status import FundingStatus
from backoffice.money import format_eur

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
    trainee_ref: str
    day: date
    half_day: str
    present: bool
    minutes: int | None = None


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


# what each document set says, by topic: a change of any makes a new version
INPUTS = {BUNDLE.kind: bundle_inputs, START_KIT.kind: start_kit_inputs,
          CERTIFICATES.kind: certificate_inputs}


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
    """The document sets a session should have now, in process order."""
    reached = milestones(facts)
    return [document_set.kind for document_set in DOCUMENT_SETS if document_set.due_from in reached]


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


def explain_change(before: Mapping[str, str], after: Mapping[str, str]) -> str:
    """"dates : du 7 décembre 2026 au 8 décembre 2026 → du 14 … ; prix : …" (French)."""
    changes = []
    for topic, value in after.items():
        if before.get(topic) != value:
            if topic in ("programme", "client"):
                changes.append(f"{topic} modifié")
            else:
                changes.append(f"{topic} : {before.get(topic) or '—'} → {value}")
    return " ; ".join(changes) or "mise à jour"


def attended_hours(facts: SessionDocumentFacts) -> dict[str, Decimal]:
    """Hours each trainee attended: present half-days count their slot, partial ones their
    minutes, absences nothing; a half-day without attendance row counts nothing."""
    slot_minutes = {(s.day, s.half_day): s.minutes for s in facts.slots}
    minutes = {t.trainee_ref: 0 for t in facts.trainees}
    for p in facts.presences:
        if p.present and p.trainee_ref in minutes:
            planned = slot_minutes.get((p.day, p.half_day), 0)
            minutes[p.trainee_ref] += min(p.minutes, planned) if p.minutes is not None else planned
    return {ref: (Decimal(total) / 60).quantize(Decimal("0.01")) for ref, total in minutes.items()}
