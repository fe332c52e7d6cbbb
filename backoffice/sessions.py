"""Where a session stands in its life, derived from what the platform and the pipeline recorded."""

from __future__ import annotations

from datetime import date, datetime


def session_status(validated_at: datetime | None, cancelled_at: datetime | None,
                   completed: bool) -> str:
    """draft → validated → completed, or cancelled. Later steps (funded, invoiced…) refine it."""
    if cancelled_at is not None:
        return "cancelled"
    if completed:
        return "completed"
    if validated_at is not None:
        return "validated"
    return "draft"


def has_started(start_date: date, as_of: date) -> bool:
    """Whether a session had started by the business date `as_of`.

    The nightly run of a date runs at 04:30 Paris time, before that day's first slot: a session
    starting on `as_of` has not started yet, one that started the day before has. From then on
    nothing that belongs before the start (a convention, a devis, a convocation, a green light,
    a funding reminder) is produced or sent as new.
    """
    return as_of > start_date
