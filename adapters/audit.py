"""The audit log of automated decisions: what, why, on which inputs, when, by whom."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session as OrmSession

from adapters.models import AuditEntry


def record_decision(db: OrmSession, *, actor: str, action: str, subject: str, reason: str,
                    inputs: dict[str, Any], at: datetime) -> None:
    """Log a decision in the caller's transaction, so it exists exactly when its effects do."""
    db.add(AuditEntry(at=at, actor=actor, action=action, subject=subject, reason=reason,
                      inputs=inputs))
