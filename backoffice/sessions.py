"""Where a session stands in its life, derived from what the platform and the pipeline recorded."""

from __future__ import annotations

from datetime import datetime


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
