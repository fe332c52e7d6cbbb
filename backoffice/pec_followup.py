"""What is due for sessions still waiting for their PEC: reminders before the start, and on the
first day without a validated PEC, the switch to company billing (the terms of sale say so)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from backoffice.pec_check import OPCO_FUNDINGS, SessionFacts

DEFAULT_REMINDER_DAYS: tuple[int, ...] = (15, 7, 2)


@dataclass(frozen=True, slots=True)
class Reminder:
    session_ref: str
    days_before: int  # the stage: D-15, D-7, D-2


@dataclass(frozen=True, slots=True)
class CompanyBillingSwitch:
    session_ref: str


def needs_pec(session: SessionFacts) -> bool:
    return session.validated and not session.cancelled and session.funding in OPCO_FUNDINGS


def reminder_stage(start: date, as_of: date, days: Sequence[int] = DEFAULT_REMINDER_DAYS
                   ) -> int | None:
    """The most urgent stage reached on as_of (15, 7 or 2 days before), None before or after.

    One stage at a time: a run that missed D-7 and runs at D-2 sends the D-2 reminder only, and
    every stage is reached on exactly one business date, so a day-by-day backfill sends each once.
    """
    if as_of >= start:
        return None
    reached = [d for d in days if start - timedelta(days=d) <= as_of]
    return min(reached) if reached else None


def pec_followups(sessions: Iterable[SessionFacts], funded: set[str], switched: set[str],
                  as_of: date, days: Sequence[int] = DEFAULT_REMINDER_DAYS,
                  in_review: frozenset[str] = frozenset()
                  ) -> list[Reminder | CompanyBillingSwitch]:
    """For every session waiting for its PEC: today's reminder, or the day-1 switch.

    A session whose PEC arrived but waits for an operator gets no reminder (the PEC is there),
    but is switched all the same if nobody validated it by the first day.
    """
    due: list[Reminder | CompanyBillingSwitch] = []
    for session in sorted(sessions, key=lambda s: s.session_ref):
        if not needs_pec(session) or session.session_ref in funded:
            continue
        if as_of >= session.start_date:
            if session.session_ref not in switched:
                due.append(CompanyBillingSwitch(session.session_ref))
            continue
        stage = reminder_stage(session.start_date, as_of, days)
        if stage is not None and session.session_ref not in in_review:
            due.append(Reminder(session.session_ref, stage))
    return due
