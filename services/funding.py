"""PEC reconciliation against the database: load the facts, let the core decide, persist.

`reconcile_funding` runs in one transaction: the PEC decisions, the sessions' funding status,
the review queue, the audit log and the e-mails (recorded in the outbox, sent afterwards) are
all written together or not at all. Only what changed is written, so a second run on the same
inputs writes nothing and records no e-mail. A session whose funding changed is marked for the
documents and invoicing steps in that same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session as OrmSession

from adapters.audit import record_decision
from adapters.database import rows_in, scalars_in, unit_of_work
from adapters.email_templates import record_email
from adapters.models import (
    Client,
    ClientOpco,
    Pec,
    PecState,
    Programme,
    SessionFunding,
    Trainee,
    Trainer,
)
from adapters.models import Session as SessionRow
from adapters.reference_data import ReferenceData
from adapters.review import ReviewKind, open_item, resolve_item
from adapters.session_changes import Step, clear_marks, mark_changed, marked_sessions
from adapters.settings import Marketplace
from backoffice.dates import business_date, format_date_fr
from backoffice.funding_estimate import estimate_funding, expiring
from backoffice.funding_status import FundingStatus, funding_status, opco_share
from backoffice.opco import OpcoResolution, resolve_opco
from backoffice.outcomes import (
    CriteriaExpiring,
    GreenLight,
    PecReminderSent,
    PecSuperseded,
    PecToReview,
    SwitchedToCompanyBilling,
    UnknownOpco,
)
from backoffice.pec_attach import dates_meet
from backoffice.pec_check import OPCO_FUNDINGS, PecFacts, Problem, SessionFacts
from backoffice.pec_followup import (
    DEFAULT_REMINDER_DAYS,
    CompanyBillingSwitch,
    Reminder,
    needs_pec,
    pec_followups,
)
from backoffice.pec_reconciliation import (
    GREEN_LIGHT,
    REVIEW,
    PecDecision,
    decide_pecs,
    funded_sessions,
)
from backoffice.sessions import has_started

ACTOR = "reconcile-pecs"


@dataclass(slots=True)
class FundingReport:
    """What a reconciliation did, for the run summary (only what is new in this run)."""

    green_lights: list[GreenLight] = field(default_factory=list)
    discrepancies: list[PecToReview] = field(default_factory=list)
    superseded: list[PecSuperseded] = field(default_factory=list)
    reminders: list[PecReminderSent] = field(default_factory=list)
    switches: list[SwitchedToCompanyBilling] = field(default_factory=list)
    unknown_opcos: list[UnknownOpco] = field(default_factory=list)
    expiring_criteria: list[CriteriaExpiring] = field(default_factory=list)  # within 60 days
    estimates: int = 0


@dataclass(frozen=True, slots=True)
class _World:
    """Everything the decisions read, loaded once."""

    sessions: dict[str, SessionFacts]
    pecs: dict[str, PecFacts]
    previous: dict[str, PecDecision]
    opcos: dict[str, OpcoResolution]
    clients: dict[str, Client]
    trainers: dict[str, Trainer]
    rows: dict[str, SessionRow]


@dataclass(frozen=True, slots=True)
class _Run:
    db: OrmSession
    as_of: date
    now: datetime
    marketplace: Marketplace
    report: FundingReport
    changed: set[str] = field(default_factory=set)  # sessions whose funding row changed


def reconcile_funding(engine: Engine, *, as_of: date, now: datetime, reference: ReferenceData,
                      marketplace: Marketplace,
                      reminder_days: Sequence[int] = DEFAULT_REMINDER_DAYS) -> FundingReport:
    """Decide the PECs, the sessions' funding, the reminders and the day-1 switches of the
    sessions the night concerns (`funding_scope`), in one transaction; their marks cleared."""
    report = FundingReport()
    with unit_of_work(engine) as db:
        run = _Run(db, as_of, now, marketplace, report)
        marks = marked_sessions(db, Step.funding)
        scope = funding_scope(db, marks, as_of)
        world = _load(db, reference, scope.sessions | scope.waiting, scope.pecs | scope.kept_pecs)
        decisions = {ref: world.previous[ref] for ref in scope.kept_pecs} | decide_pecs(
            [world.pecs[ref] for ref in scope.pecs], world.sessions, world.previous)
        _save_decisions(run, world, decisions)
        funded = funded_sessions(decisions)
        _confirm_client_opcos(run, world, scope.pecs,
                              {ref: pec for ref, pec in funded.items() if ref in scope.sessions})
        _update_session_funding(run, world, decisions, funded, reference)
        _follow_up(run, world, funded, _sessions_in_review(decisions), reminder_days)
        _flag_unknown_opcos(run, world, {world.sessions[ref].client_ref for ref in scope.sessions})
        clear_marks(db, (mark for ids in marks.values() for mark in ids))
        mark_changed(db, run.changed, now)
    report.expiring_criteria = sorted({
        CriteriaExpiring(c.opco, c.scope, c.valid_to)
        for c in expiring(reference.funding_criteria, as_of) if c.valid_to is not None},
        key=lambda c: (c.valid_to, c.opco, c.scope))
    return report


# --- what a night looks at ----------------------------------------------------------------------

WAITING = (FundingStatus.awaiting_pec.value, FundingStatus.pec_review.value)


@dataclass(frozen=True, slots=True)
class FundingScope:
    """What a night decides: `sessions` and `pecs` in full; `waiting` sessions only for what
    time makes due, with the kept decisions of the PECs attached to them (`kept_pecs`)."""

    sessions: set[str]
    pecs: set[str]
    waiting: set[str]
    kept_pecs: set[str]


def funding_scope(db: OrmSession, marked: Iterable[str], as_of: date) -> FundingScope:
    """The sessions and PECs a night must look at, never the whole history.

    Decided in full: the sessions whose facts changed (`marked`) and the PECs never decided;
    then, until nothing is added, everything a decision among them reads: the PECs of a
    session's client (SIRET) whose dates meet the session's (it may be a better match for
    them), those naming it or attached to it; the sessions of a PEC's client whose dates meet
    the PEC's (its candidates: `pec_attach.fit` scores 0 a session whose dates do not meet
    it), those it names or is attached to. A client's PECs and sessions of other dates keep
    their decisions: nothing they read has changed.

    Then what time alone makes due: the other OPCO-funded sessions not started yet or still
    waiting for their PEC (reminders, the day-1 switch, the estimate), with the decisions of
    the PECs attached to them as they stand: nothing they read has changed.
    """
    undecided = set(db.scalars(select(Pec.pec_ref).outerjoin(PecState).where(
        PecState.pec_ref.is_(None))))
    sessions, pecs = _closed(db, _existing(db, marked), undecided)
    waiting = set(db.scalars(
        select(SessionRow.session_ref)
        .outerjoin(SessionFunding, SessionFunding.session_ref == SessionRow.session_ref)
        .where(SessionRow.validated_at.is_not(None), SessionRow.cancelled_at.is_(None),
               SessionRow.funding.in_(OPCO_FUNDINGS),
               or_(SessionRow.start_date >= as_of, SessionFunding.status.is_(None),
                   SessionFunding.status.in_(WAITING))))) - sessions
    kept = set(scalars_in(db, select(PecState.pec_ref), PecState.session_ref, waiting)) - pecs
    return FundingScope(sessions, pecs, waiting, kept)


@dataclass(frozen=True, slots=True)
class _Dates:
    """A session's or a PEC's ref, client SIRET and dates: what says whether they may match."""

    ref: str
    siret: str
    start: date
    end: date


def _meeting(dates: Iterable[_Dates], among: dict[str, list[_Dates]]) -> set[str]:
    """The refs of `among` (by SIRET) of the same client whose dates meet one of `dates`."""
    return {other.ref for own in dates for other in among.get(own.siret, ())
            if dates_meet(own.start, own.end, other.start, other.end)}


@dataclass(slots=True)
class _ClientDates:
    """The dates of every session and PEC of the SIRETs read so far (three columns a row), each
    kind by ref and by SIRET (a session and a PEC may share a ref)."""

    sessions: dict[str, _Dates] = field(default_factory=dict)
    pecs: dict[str, _Dates] = field(default_factory=dict)
    sessions_of: dict[str, list[_Dates]] = field(default_factory=lambda: defaultdict(list))
    pecs_of: dict[str, list[_Dates]] = field(default_factory=lambda: defaultdict(list))
    sirets: set[str] = field(default_factory=set)

    def read(self, db: OrmSession, sirets: set[str]) -> None:
        new = sirets - self.sirets
        self.sirets |= new
        for ref, siret, start, end in rows_in(db, select(
                SessionRow.session_ref, Client.siret, SessionRow.start_date, SessionRow.end_date)
                .join(Client, SessionRow.client_ref == Client.client_ref), Client.siret, new):
            self.sessions[ref] = _Dates(ref, siret, start, end)
            self.sessions_of[siret].append(self.sessions[ref])
        for ref, siret, start, end in rows_in(db, select(
                Pec.pec_ref, Pec.client_siret, Pec.start_date, Pec.end_date),
                Pec.client_siret, new):
            self.pecs[ref] = _Dates(ref, siret, start, end)
            self.pecs_of[siret].append(self.pecs[ref])

    def sessions_meeting(self, pec_refs: Iterable[str]) -> set[str]:
        """The sessions of the PECs' clients whose dates meet theirs (read first)."""
        return _meeting((self.pecs[ref] for ref in pec_refs if ref in self.pecs), self.sessions_of)

    def pecs_meeting(self, session_refs: Iterable[str]) -> set[str]:
        """The PECs of the sessions' clients whose dates meet theirs (read first)."""
        return _meeting((self.sessions[ref] for ref in session_refs if ref in self.sessions),
                        self.pecs_of)


def _closed(db: OrmSession, sessions: set[str], pecs: set[str]) -> tuple[set[str], set[str]]:
    known = _ClientDates()
    new_sessions, new_pecs = set(sessions), set(pecs)
    while new_sessions or new_pecs:
        known.read(db, set(scalars_in(db, _SIRET_OF_SESSION, SessionRow.session_ref,
                                      new_sessions))
                   | set(scalars_in(db, select(Pec.client_siret), Pec.pec_ref, new_pecs)))
        more_sessions = (known.sessions_meeting(new_pecs)
                         | _existing(db, sessions_named_by(db, new_pecs))) - sessions
        more_pecs = (known.pecs_meeting(new_sessions) | _pecs_naming(db, new_sessions)) - pecs
        sessions |= more_sessions
        pecs |= more_pecs
        new_sessions, new_pecs = more_sessions, more_pecs
    return sessions, pecs


_SIRET_OF_SESSION = select(Client.siret).join(SessionRow, SessionRow.client_ref == Client.client_ref)


def sessions_a_pec_may_match(db: OrmSession, pec_refs: Iterable[str]) -> set[str]:
    """The sessions the PECs may be matched with: those of their client whose dates meet theirs,
    and those they name (existing or not: the client's claim) or are attached to."""
    pec_refs = set(pec_refs)
    known = _ClientDates()
    known.read(db, set(scalars_in(db, select(Pec.client_siret), Pec.pec_ref, pec_refs)))
    return known.sessions_meeting(pec_refs) | sessions_named_by(db, pec_refs)


def sessions_named_by(db: OrmSession, pec_refs: Iterable[str]) -> set[str]:
    """The sessions the PECs name or are attached to (a PEC may name one that does not exist)."""
    pec_refs = list(pec_refs)
    return ({ref for ref in scalars_in(db, select(Pec.session_ref), Pec.pec_ref, pec_refs)
             if ref is not None}
            | {ref for ref in scalars_in(db, select(PecState.session_ref), PecState.pec_ref,
                                         pec_refs) if ref is not None})


def _existing(db: OrmSession, session_refs: Iterable[str]) -> set[str]:
    return set(scalars_in(db, select(SessionRow.session_ref), SessionRow.session_ref,
                          session_refs))


def _pecs_naming(db: OrmSession, sessions: set[str]) -> set[str]:
    """The PECs naming the sessions or attached to them."""
    return (set(scalars_in(db, select(Pec.pec_ref), Pec.session_ref, sessions))
            | set(scalars_in(db, select(PecState.pec_ref), PecState.session_ref, sessions)))


# --- loading ------------------------------------------------------------------------------------

def _load(db: OrmSession, reference: ReferenceData, session_refs: set[str], pec_refs: set[str]
          ) -> _World:
    rows = {s.session_ref: s for s in scalars_in(db, select(SessionRow), SessionRow.session_ref,
                                                  session_refs)}
    client_refs = {s.client_ref for s in rows.values()}
    clients = {c.client_ref: c for c in scalars_in(db, select(Client), Client.client_ref,
                                                  client_refs)}
    confirmed = {c.client_ref: c.opco for c in scalars_in(db, select(ClientOpco),
                                                          ClientOpco.client_ref, client_refs)}
    opcos = {ref: resolve_opco(confirmed_by_pec=confirmed.get(ref), export_opco=c.opco,
                               idcc=c.idcc, idcc_table=reference.idcc_opco)
             for ref, c in clients.items()}
    titles = {p.programme_ref: p.title for p in scalars_in(
        db, select(Programme), Programme.programme_ref, {s.programme_ref for s in rows.values()})}
    names: dict[str, list[str]] = defaultdict(list)
    for trainee in scalars_in(db, select(Trainee).order_by(Trainee.session_ref, Trainee.trainee_ref),
                              Trainee.session_ref, session_refs):
        names[trainee.session_ref].append(f"{trainee.first_name} {trainee.last_name}")
    sessions = {ref: SessionFacts(
        session_ref=ref, client_ref=s.client_ref, client_siret=clients[s.client_ref].siret,
        client_opco=opcos[s.client_ref].opco, title=titles[s.programme_ref],
        start_date=s.start_date, end_date=s.end_date, hours_per_trainee=s.hours_per_trainee,
        price_ht=s.price_ht, funding=s.funding, trainees=tuple(names[ref]),
        validated=s.validated_at is not None, cancelled=s.cancelled_at is not None,
    ) for ref, s in rows.items()}
    pecs = {p.pec_ref: _pec_facts(p) for p in scalars_in(db, select(Pec), Pec.pec_ref, pec_refs)}
    previous = {s.pec_ref: _decision_of(s)
                for s in scalars_in(db, select(PecState), PecState.pec_ref, pec_refs)}
    trainers = {t.trainer_ref: t for t in scalars_in(db, select(Trainer), Trainer.trainer_ref,
                                                    {s.trainer_ref for s in rows.values()})}
    return _World(sessions, pecs, previous, opcos, clients, trainers, rows)


def _pec_facts(p: Pec) -> PecFacts:
    return PecFacts(
        pec_ref=p.pec_ref, session_ref=p.session_ref, opco=p.opco,
        dossier_number=p.dossier_number, client_siret=p.client_siret, title=p.title,
        start_date=p.start_date, end_date=p.end_date, hours=p.hours,
        amount_granted_ht=p.amount_granted_ht, subrogation=p.subrogation,
        trainees=tuple(n.strip() for n in (p.trainees or "").split(";") if n.strip()),
        received_on=business_date(p.received_at),
    )


def _decision_of(state: PecState) -> PecDecision:
    return PecDecision(
        state.pec_ref, state.status, state.session_ref,
        tuple(Problem(p["rule"], p["message"]) for p in state.problems), tuple(state.proposals),
        state.automatic, state.reste_a_charge, state.superseded_by)


# --- PEC decisions ------------------------------------------------------------------------------

def _save_decisions(run: _Run, world: _World, decisions: dict[str, PecDecision]) -> None:
    states = {s.pec_ref: s for s in scalars_in(run.db, select(PecState), PecState.pec_ref,
                                               decisions)}
    for ref in sorted(decisions):
        decision = decisions[ref]
        if world.previous.get(ref) == decision:
            continue
        state = states.get(ref) or PecState(pec_ref=ref, decided_by="pipeline")
        state.status, state.session_ref = decision.status, decision.session_ref
        state.problems = [{"rule": p.rule, "message": p.message} for p in decision.problems]
        state.proposals, state.automatic = list(decision.proposals), decision.automatic
        state.reste_a_charge, state.superseded_by = decision.reste_a_charge, decision.superseded_by
        state.decided_on, state.updated_at = run.as_of, run.now
        run.db.add(state)
        _audit_decision(run, decision, world.previous.get(ref))
        _sync_review_item(run, decision, world.pecs[ref])


def _audit_decision(run: _Run, decision: PecDecision, previous: PecDecision | None) -> None:
    reason = " ; ".join(p.message for p in decision.problems) or "PEC conforme à la session"
    if decision.superseded_by:
        reason = f"remplacée par {decision.superseded_by}, reçue plus tard pour la même session"
        run.report.superseded.append(PecSuperseded(decision.pec_ref, decision.session_ref,
                                                   decision.superseded_by))
    record_decision(run.db, actor=ACTOR, action=f"pec.{decision.status}",
                    subject=decision.pec_ref, reason=reason, at=run.now, inputs={
                        "as_of": run.as_of.isoformat(), "session_ref": decision.session_ref,
                        "previous_status": previous.status if previous else None,
                        "automatic_attachment": decision.automatic,
                        "proposals": list(decision.proposals)})
    if decision.status == REVIEW:
        run.report.discrepancies.append(PecToReview(
            decision.pec_ref, decision.session_ref or "", tuple(decision.proposals), reason))


def _sync_review_item(run: _Run, decision: PecDecision, pec: PecFacts) -> None:
    reasons = [p.message for p in decision.problems]
    proposals = [{"session_ref": ref} for ref in decision.proposals]
    subject = f"{pec.pec_ref} ({pec.opco} {pec.dossier_number})"
    _open_or_resolve(run, f"pec:{pec.pec_ref}", ReviewKind.pec, subject,
                     reasons if decision.status == REVIEW else None, proposals,
                     f"résolu par le pipeline : PEC {decision.status}")


def _open_or_resolve(run: _Run, key: str, kind: ReviewKind, subject: str,
                     reasons: list[str] | None,
                     proposals: list[dict[str, Any]], resolution: str) -> bool:
    """Open (or update) the review item when there are reasons, resolve it when there are none;
    True when an item was newly opened."""
    if reasons:
        return open_item(run.db, key, kind=kind, subject=subject, reasons=reasons,
                         proposals=proposals, now=run.now)
    resolve_item(run.db, key, resolution, run.now)
    return False


# --- the OPCO a PEC confirms ---------------------------------------------------------------------

def _confirm_client_opcos(run: _Run, world: _World, decided: set[str],
                          funded: dict[str, str]) -> None:
    """A client's OPCO is the one its latest PEC giving a green light names, among the night's
    (`funded`: session → PEC, `decided`: the PECs decided tonight) and those its other sessions
    keep (read apart: a night decides a client's sessions of some dates only)."""
    latest: dict[str, tuple[date, str, str]] = {}  # client → (received on, PEC, OPCO)

    def consider(client: str, received_on: date, pec_ref: str, opco: str) -> None:
        if client not in latest or (received_on, pec_ref) > latest[client][:2]:
            latest[client] = (received_on, pec_ref, opco)

    for session_ref, pec_ref in funded.items():
        pec = world.pecs[pec_ref]
        consider(world.sessions[session_ref].client_ref, pec.received_on, pec.pec_ref, pec.opco)
    for pec_ref, opco, received_at, client in rows_in(run.db, select(
            Pec.pec_ref, Pec.opco, Pec.received_at, SessionRow.client_ref)
            .join(PecState, PecState.pec_ref == Pec.pec_ref)
            .join(SessionRow, SessionRow.session_ref == PecState.session_ref)
            .where(PecState.status.in_(GREEN_LIGHT)), SessionRow.client_ref, set(latest)):
        if pec_ref not in decided:
            consider(client, business_date(received_at), pec_ref, opco)
    for client_ref, (_, pec_ref, opco) in sorted(latest.items()):
        row = run.db.get(ClientOpco, client_ref)
        if row is not None and row.opco == opco:
            continue
        before = world.opcos[client_ref]
        run.db.merge(ClientOpco(client_ref=client_ref, opco=opco, pec_ref=pec_ref,
                                confirmed_on=run.as_of))
        record_decision(run.db, actor=ACTOR, action="client.opco_confirmed", subject=client_ref,
                        reason=f"OPCO {opco} nommé par la PEC {pec_ref}", at=run.now,
                        inputs={"before": before.opco, "source_before": before.source,
                                "pec_ref": pec_ref})
        world.opcos[client_ref] = OpcoResolution(opco, "pec", "OPCO de la dernière PEC validée")
        run.changed.update(run.db.scalars(  # every session of the client: its PECs' scores
            select(SessionRow.session_ref).where(SessionRow.client_ref == client_ref)))


# --- the sessions' funding ---------------------------------------------------------------------

def _update_session_funding(run: _Run, world: _World, decisions: dict[str, PecDecision],
                            funded: dict[str, str], reference: ReferenceData) -> None:
    in_review = _sessions_in_review(decisions)
    rows = {f.session_ref: f for f in scalars_in(run.db, select(SessionFunding),
                                                 SessionFunding.session_ref, world.sessions)}
    for ref, session in sorted(world.sessions.items()):
        row = rows.get(ref)
        if not needs_pec(session) and ref not in funded:
            continue
        if row is None:
            row = SessionFunding(session_ref=ref, status=FundingStatus.awaiting_pec.value,
                                 updated_at=run.now)
            run.db.add(row)
        values = _funding_values(world, decisions, funded, in_review, session, row, run.as_of)
        if ref not in funded:
            values |= _estimate_values(world, reference, session)
        changed = {k: v for k, v in values.items() if getattr(row, k) != v}
        if changed:
            for name, value in changed.items():
                setattr(row, name, value)
            row.updated_at = run.now
            run.changed.add(ref)  # its documents and invoices read it
            run.report.estimates += "estimate_basis" in changed
        if "pec_ref" in changed and row.status == FundingStatus.funded:
            _give_green_light(run, world, session, world.pecs[funded[ref]])


def _funding_values(world: _World, decisions: dict[str, PecDecision], funded: dict[str, str],
                    in_review: frozenset[str], session: SessionFacts, row: SessionFunding,
                    as_of: date) -> dict[str, Any]:
    ref = session.session_ref
    status = funding_status(funded=ref in funded, switched=row.switched_on is not None,
                            in_review=ref in in_review)
    if status is FundingStatus.funded:
        pec = world.pecs[funded[ref]]
        return {"status": status.value, "pec_ref": pec.pec_ref, "opco": pec.opco,
                "dossier_number": pec.dossier_number,
                "opco_share": opco_share(pec.amount_granted_ht, session.price_ht),
                "reste_a_charge": decisions[pec.pec_ref].reste_a_charge,
                "green_light_on": row.green_light_on or as_of}
    return {"status": status.value, "pec_ref": None, "opco": world.opcos[session.client_ref].opco,
            "dossier_number": None, "opco_share": None, "reste_a_charge": None,
            "green_light_on": None}


def _estimate_values(world: _World, reference: ReferenceData, session: SessionFacts
                     ) -> dict[str, Any]:
    client = world.clients[session.client_ref]
    estimate = estimate_funding(
        reference.funding_criteria, opco=world.opcos[session.client_ref].opco, idcc=client.idcc,
        headcount=client.headcount, hours_per_trainee=session.hours_per_trainee,
        trainees=len(session.trainees), price_ht=session.price_ht, on=session.start_date)
    return {"estimated_opco_share": estimate.opco_share,
            "estimated_reste_a_charge": estimate.reste_a_charge,
            "estimate_basis": estimate.basis}


def _give_green_light(run: _Run, world: _World, session: SessionFacts, pec: PecFacts) -> None:
    if has_started(session.start_date, run.as_of):  # "la session peut démarrer": too late
        record_decision(run.db, actor=ACTOR, action="session.funded_after_start",
                        subject=session.session_ref, at=run.now,
                        reason=f"PEC {pec.pec_ref} validée après le début de la session "
                               f"({format_date_fr(session.start_date)}) : pas de feu vert envoyé",
                        inputs={"pec_ref": pec.pec_ref, "as_of": run.as_of.isoformat()})
        return
    trainer = world.trainers[world.rows[session.session_ref].trainer_ref]
    client = world.clients[session.client_ref]
    new = _email(run, f"email:green-light:{session.session_ref}", [trainer.email], [],
                 "green_light_trainer", session=session, trainer=trainer, client=client, pec=pec)
    if new:
        record_decision(run.db, actor=ACTOR, action="session.green_light",
                        subject=session.session_ref, at=run.now,
                        reason=f"PEC {pec.pec_ref} validée : la session peut démarrer",
                        inputs={"pec_ref": pec.pec_ref, "as_of": run.as_of.isoformat()})
        run.report.green_lights.append(GreenLight(session.session_ref, pec.pec_ref, pec.opco,
                                                  pec.dossier_number))


# --- reminders and the day-1 switch ------------------------------------------------------------

def _sessions_in_review(decisions: dict[str, PecDecision]) -> frozenset[str]:
    return frozenset(d.session_ref for d in decisions.values()
                     if d.status == REVIEW and d.session_ref is not None)


def _follow_up(run: _Run, world: _World, funded: dict[str, str], in_review: frozenset[str],
               reminder_days: Sequence[int]) -> None:
    switched = set(scalars_in(run.db, select(SessionFunding.session_ref).where(
        SessionFunding.switched_on.is_not(None)), SessionFunding.session_ref, world.sessions))
    for due in pec_followups(world.sessions.values(), set(funded), switched, run.as_of,
                             reminder_days, in_review):
        session = world.sessions[due.session_ref]
        trainer = world.trainers[world.rows[due.session_ref].trainer_ref]
        client = world.clients[session.client_ref]
        context = {"session": session, "trainer": trainer, "client": client}
        if isinstance(due, Reminder):
            _remind(run, due, context)
        elif isinstance(due, CompanyBillingSwitch):
            _switch_to_company_billing(run, due, context)


def _remind(run: _Run, due: Reminder, context: dict[str, Any]) -> None:
    key = f"email:pec-reminder:{due.session_ref}:J-{due.days_before}"
    sent_trainer = _email(run, f"{key}:trainer", [context["trainer"].email], [],
                          "pec_reminder_trainer", days_before=due.days_before, **context)
    sent_client = _email(run, f"{key}:client", [context["client"].contact_email], [],
                         "pec_reminder_client", days_before=due.days_before, **context)
    if sent_trainer or sent_client:
        run.report.reminders.append(PecReminderSent(due.session_ref, due.days_before,
                                                    context["session"].start_date))


def _switch_to_company_billing(run: _Run, due: CompanyBillingSwitch,
                               context: dict[str, Any]) -> None:
    row = run.db.get_one(SessionFunding, due.session_ref)  # made by _update_session_funding
    row.status, row.switched_on, row.updated_at = (FundingStatus.company_billing.value,
                                                   run.as_of, run.now)
    run.changed.add(due.session_ref)
    key = f"email:company-billing:{due.session_ref}"
    _email(run, f"{key}:trainer", [context["trainer"].email], [], "company_billing_trainer",
           **context)
    _email(run, f"{key}:client", [context["client"].contact_email], [], "company_billing_client",
           **context)
    record_decision(run.db, actor=ACTOR, action="session.company_billing",
                    subject=due.session_ref, at=run.now,
                    reason="aucune PEC validée le premier jour : facturation de la totalité à "
                           "l'entreprise (conditions générales)",
                    inputs={"as_of": run.as_of.isoformat(),
                            "start_date": context["session"].start_date.isoformat()})
    run.report.switches.append(SwitchedToCompanyBilling(due.session_ref,
                                                        context["session"].start_date))


def _email(run: _Run, key: str, to: list[str], cc: list[str], template: str,
           **context: Any) -> bool:
    return record_email(run.db, key, to=to, cc=cc, template=template, now=run.now,
                        marketplace=run.marketplace, **context)


# --- clients whose OPCO nobody knows -----------------------------------------------------------

def _flag_unknown_opcos(run: _Run, world: _World, clients: set[str]) -> None:
    """The clients whose OPCO nobody knows, among `clients`: an item listing their sessions
    that need a PEC (read apart: the night's world holds some of them only); resolved once the
    OPCO is known."""
    waiting = defaultdict(list)
    for client_ref, session_ref in rows_in(run.db, select(
            SessionRow.client_ref, SessionRow.session_ref)
            .where(SessionRow.validated_at.is_not(None), SessionRow.cancelled_at.is_(None),
                   SessionRow.funding.in_(OPCO_FUNDINGS)), SessionRow.client_ref, clients):
        waiting[client_ref].append(session_ref)  # needs_pec, in SQL
    for client_ref, client in sorted(world.clients.items()):
        if client_ref not in clients:
            continue
        resolution = world.opcos[client_ref]
        reasons = ([f"{resolution.detail} ; sessions concernées : "
                    + ", ".join(sorted(waiting[client_ref]))]
                   if resolution.opco is None and waiting[client_ref] else None)
        opened = _open_or_resolve(run, f"opco:{client_ref}", ReviewKind.opco,
                                  f"{client_ref} ({client.name})", reasons, [],
                                  f"OPCO connu : {resolution.opco} ({resolution.source})")
        if opened and reasons:  # an item is opened only for reasons
            run.report.unknown_opcos.append(UnknownOpco(client_ref, client.name, reasons[0]))


# --- an operator's decision on a PEC in review ----------------------------------------------

class OperatorInputError(ValueError):
    """An operator's request that cannot be carried out; the message says why, in French."""


def record_operator_decision(engine: Engine, *, pec_ref: str, accept: bool, note: str,
                             session_ref: str | None, operator: str, as_of: date,
                             now: datetime) -> str:
    """Accept (for a session) or reject a PEC; the next reconciliation acts on it."""
    if not note.strip():
        raise OperatorInputError("une note expliquant la décision est obligatoire")
    with unit_of_work(engine) as db:
        state = db.get(PecState, pec_ref)
        if state is None:
            raise OperatorInputError(f"PEC {pec_ref} inconnue ou pas encore vérifiée : lancer "
                                     "d'abord la réconciliation")
        target = session_ref or state.session_ref or (state.proposals[0] if state.proposals else None)
        if accept and (target is None or db.get(SessionRow, target) is None):
            raise OperatorInputError(f"PEC {pec_ref} : indiquer la session (session_ref) à "
                                     f"laquelle la rattacher ({target or 'aucune proposée'})")
        before = state.status
        concerned = {ref for ref in (state.session_ref, target) if ref is not None}
        state.status = "accepted" if accept else "rejected"
        state.session_ref = target if accept else state.session_ref
        state.decided_by, state.note = "operator", note.strip()
        state.decided_on, state.updated_at = as_of, now
        verdict = f"{'acceptée' if accept else 'rejetée'} par {operator} : {note.strip()}"
        resolve_item(db, f"pec:{pec_ref}", verdict, now)
        mark_changed(db, concerned, now, steps=[Step.funding])  # the next night acts on it
        record_decision(db, actor=operator, action=f"pec.{state.status}", subject=pec_ref,
                        reason=verdict, at=now, inputs={
                            "previous_status": before, "session_ref": state.session_ref,
                            "problems": state.problems, "as_of": as_of.isoformat()})
    return f"PEC {pec_ref} {verdict}"
