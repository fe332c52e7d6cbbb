"""Which session a PEC belongs to.

The session the client named, when it is right. Otherwise the sessions of the same client
(SIRET) are scored on OPCO, dates, hours, title and trainees. A PEC is never attached silently
to a session other than the one the client named: that is a problem for an operator, with the
best candidate proposed. A PEC the client attached to nothing is attached to its one clear match.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from backoffice.names import titles_close, unmatched_names
from backoffice.pec_check import PecFacts, Problem, SessionFacts


@dataclass(frozen=True, slots=True)
class Attachment:
    session_ref: str | None  # the session to check the PEC against; None: not attached
    proposed: tuple[str, ...] = ()  # candidates for the operator, best first
    problem: Problem | None = None
    automatic: bool = False  # attached by the pipeline, the client named no session


def dates_meet(start: date, end: date, other_start: date, other_end: date) -> bool:
    """Whether two periods share a day: a PEC is scored against a session only then."""
    return not (start > other_end or end < other_start)


def fit(pec: PecFacts, session: SessionFacts) -> int:
    """How well a PEC describes a session; 0 when the dates do not even overlap."""
    if not dates_meet(pec.start_date, pec.end_date, session.start_date, session.end_date):
        return 0
    score = 1
    score += 3 if (pec.start_date, pec.end_date) == (session.start_date, session.end_date) else 0
    score += 1 if pec.hours == session.hours_per_trainee else 0
    score += 1 if session.client_opco in (None, pec.opco) else 0
    score += 1 if pec.title and titles_close(session.title, pec.title) else 0
    if pec.trainees:
        missing, extra = unmatched_names(list(session.trainees), list(pec.trainees))
        score += 2 if not missing and not extra else 0
    return score


def by_client(sessions: Mapping[str, SessionFacts]) -> dict[str, dict[str, SessionFacts]]:
    """The sessions by their client's SIRET: a PEC is scored against its client's only."""
    grouped: dict[str, dict[str, SessionFacts]] = defaultdict(dict)
    for ref, session in sessions.items():
        grouped[session.client_siret][ref] = session
    return dict(grouped)


def _candidates(pec: PecFacts, sessions: Mapping[str, SessionFacts]) -> list[tuple[int, str]]:
    scored = [(fit(pec, s), ref) for ref, s in sessions.items()
              if s.client_siret == pec.client_siret and not s.cancelled]
    return sorted(((score, ref) for score, ref in scored if score > 0),
                  key=lambda item: (-item[0], item[1]))


def locate_session(pec: PecFacts, sessions: Mapping[str, SessionFacts],
                   client_sessions: Mapping[str, SessionFacts] | None = None) -> Attachment:
    """The session `pec` belongs to, among `sessions`. `client_sessions`: those of its client
    (`by_client`), when a caller locating many PECs grouped them once; otherwise every session
    is scored, which costs PECs × sessions."""
    candidates = _candidates(pec, sessions if client_sessions is None else client_sessions)
    proposed = tuple(ref for _, ref in candidates[:3])
    named = sessions.get(pec.session_ref) if pec.session_ref else None
    if named is not None:
        others = [(score, ref) for score, ref in candidates if ref != named.session_ref]
        if not others or fit(pec, named) >= others[0][0]:
            return Attachment(named.session_ref)
        better = others[0][1]
        return Attachment(None, (better,), Problem(
            "session_ref", f"PEC rattachée par le client à {named.session_ref}, mais elle "
                           f"correspond à {better} (SIRET, dates, heures, stagiaires)"))
    if pec.session_ref:
        return Attachment(None, proposed, Problem(
            "session_ref", f"session {pec.session_ref} inconnue"
                           + (f" ; session proposée : {proposed[0]}" if proposed else "")))
    clear = [ref for score, ref in candidates if score == candidates[0][0]] if candidates else []
    if len(clear) == 1 and candidates[0][0] >= 4:  # at least the exact dates
        return Attachment(clear[0], proposed, automatic=True)
    reason = ("plusieurs sessions possibles : " + ", ".join(proposed) if proposed
              else "aucune session de ce client ne correspond")
    return Attachment(None, proposed, Problem("session_ref", f"PEC sans session : {reason}"))
