"""The sessions each nightly step has to look at again: marked when their facts change.

A step that reads the whole history every night costs what the history weighs, not what the day
brings. So ingest (a row of the export inserted or changed) and the funding step (a session's
funding changed) mark the sessions concerned, in the transaction of the change, once per step
that depends on them; the step reads its marks, works on those sessions, and clears the marks it
read once its work is recorded. A session whose work is not finished (an invoice held, a session
not billable yet on the day being run) keeps its marks and is looked at again the next night.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.orm import Session as OrmSession

from adapters.database import in_chunks, insert_rows
from adapters.models import SessionChange


class Step(StrEnum):
    """The nightly steps that work on changed sessions only."""

    funding = "funding"
    documents = "documents"
    invoicing = "invoicing"


def mark_changed(db: OrmSession, session_refs: Iterable[str], now: datetime,
                 steps: Iterable[Step] = tuple(Step)) -> None:
    """Mark the sessions for each of `steps`."""
    refs = sorted(set(session_refs))
    insert_rows(db, SessionChange.__table__, [
        {"step": step.value, "session_ref": ref, "marked_at": now}
        for step in steps for ref in refs])


def marked_sessions(db: OrmSession, step: Step) -> dict[str, list[int]]:
    """The sessions marked for `step`, each with the ids of its marks (to clear them later)."""
    marks: dict[str, list[int]] = defaultdict(list)
    for mark_id, ref in db.execute(select(SessionChange.id, SessionChange.session_ref)
                                   .where(SessionChange.step == step.value)):
        marks[ref].append(mark_id)
    return dict(marks)


def clear_marks(db: OrmSession, mark_ids: Iterable[int]) -> None:
    """Delete the marks read earlier: the sessions' work is recorded (marks added since stay)."""
    for chunk in in_chunks(mark_ids):
        db.execute(delete(SessionChange).where(SessionChange.id.in_(chunk)))
