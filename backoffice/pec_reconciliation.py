"""The day's decision on every PEC: attached where, green light or review, superseded or not.

`decide_pecs` is a pure function of the PECs, the sessions and the decisions already taken, so
running it again on the same inputs gives the same decisions. An operator's decision (accepted,
rejected) is final: the pipeline does not check that PEC again. A newer PEC for the same session
(a corrected approval) supersedes the older one, which stays in the history.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from backoffice.pec_attach import by_client, locate_session
from backoffice.pec_check import PecFacts, Problem, SessionFacts, check_pec, reste_a_charge

VALIDATED = "validated"  # passed every rule: the green light
REVIEW = "review"  # waits for an operator
ACCEPTED = "accepted"  # an operator accepted it despite its problems: the green light
REJECTED = "rejected"  # an operator rejected it
SUPERSEDED = "superseded"  # a newer PEC for the same session replaced it
OPERATOR_DECISIONS = (ACCEPTED, REJECTED)
GREEN_LIGHT = (VALIDATED, ACCEPTED)


@dataclass(frozen=True, slots=True)
class PecDecision:
    pec_ref: str
    status: str
    session_ref: str | None
    problems: tuple[Problem, ...] = ()
    proposals: tuple[str, ...] = ()
    automatic: bool = False
    reste_a_charge: Decimal | None = None
    superseded_by: str | None = None


def decide_pecs(pecs: Iterable[PecFacts], sessions: Mapping[str, SessionFacts],
                previous: Mapping[str, PecDecision]) -> dict[str, PecDecision]:
    by_ref = {pec.pec_ref: pec for pec in pecs}
    clients = by_client(sessions)  # each PEC scored against its client's sessions, not all
    decisions = {ref: _decide(pec, sessions, clients.get(pec.client_siret, {}), previous.get(ref))
                 for ref, pec in by_ref.items()}
    return _supersede(decisions, by_ref)


def _decide(pec: PecFacts, sessions: Mapping[str, SessionFacts],
            client_sessions: Mapping[str, SessionFacts], previous: PecDecision | None
            ) -> PecDecision:
    if previous is not None and previous.status in OPERATOR_DECISIONS:
        return PecDecision(pec.pec_ref, previous.status, previous.session_ref, previous.problems,
                           previous.proposals, previous.automatic, previous.reste_a_charge)
    attachment = locate_session(pec, sessions, client_sessions)
    if attachment.session_ref is None:
        return PecDecision(pec.pec_ref, REVIEW, None, (attachment.problem,),  # type: ignore[arg-type]
                           attachment.proposed)
    session = sessions[attachment.session_ref]
    problems = tuple(check_pec(pec, session))
    return PecDecision(pec.pec_ref, REVIEW if problems else VALIDATED, session.session_ref,
                       problems, attachment.proposed if problems else (), attachment.automatic,
                       reste_a_charge(pec, session))


def _supersede(decisions: dict[str, PecDecision], pecs: Mapping[str, PecFacts]
               ) -> dict[str, PecDecision]:
    """Per session, the latest PEC received (not rejected) is current; earlier ones superseded."""
    latest: dict[str, str] = {}
    for ref, decision in decisions.items():
        if decision.session_ref is None or decision.status == REJECTED:
            continue
        current = latest.get(decision.session_ref)
        if current is None or _order(pecs[ref]) > _order(pecs[current]):
            latest[decision.session_ref] = ref
    result = dict(decisions)
    for ref, decision in decisions.items():
        newest = latest.get(decision.session_ref or "")
        if newest is not None and newest != ref and decision.status != REJECTED:
            result[ref] = PecDecision(ref, SUPERSEDED, decision.session_ref, decision.problems,
                                      decision.proposals, decision.automatic,
                                      decision.reste_a_charge, superseded_by=newest)
    return result


def _order(pec: PecFacts) -> tuple[object, ...]:
    return (pec.received_on, pec.pec_ref)


def funded_sessions(decisions: Mapping[str, PecDecision]) -> dict[str, str]:
    """session_ref → the pec_ref that gives it the green light."""
    return {d.session_ref: ref for ref, d in decisions.items()
            if d.status in GREEN_LIGHT and d.session_ref is not None}
