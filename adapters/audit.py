"""The audit log of automated decisions: what, why, on which inputs, when, by whom."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session as OrmSession

from adapters.database import insert_rows
from adapters.models import AuditEntry


def audit_entry(*, actor: str, action: str, subject: str, reason: str, inputs: dict[str, Any],
                at: datetime) -> dict[str, Any]:
    """One decision as a row of the audit log."""
    return {"at": at, "actor": actor, "action": action, "subject": subject, "reason": reason,
            "inputs": inputs}


def record_decision(db: OrmSession, *, actor: str, action: str, subject: str, reason: str,
                    inputs: dict[str, Any], at: datetime) -> None:
    """Log a decision in the caller's transaction, so it exists exactly when its effects do."""
    db.add(AuditEntry(**audit_entry(actor=actor, action=action, subject=subject, reason=reason,
                                    inputs=inputs, at=at)))


def record_decisions(db: OrmSession, entries: list[dict[str, Any]]) -> None:
    """Log many decisions (`audit_entry`) in the caller's transaction, in one batched insert."""
    insert_rows(db, AuditEntry.__table__, entries)
