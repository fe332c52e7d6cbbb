"""An operator closes a review item whose action was done outside the pipeline.

Most items are resolved by the pipeline itself (the data corrected, the next run acts) or by
the flow of their kind (`resolve-pec`, `decide-payment`, `record-deposit`, `retry-payout`).
Four kinds ask for something only a person can do and that no later run can see: documents
regularised with the client after a late start, an unpaid invoice chased by telephone, a
statement checked with the bank, a reversed payment discussed with its funder. Without a way to
close them they would stay in the queue, and in every night's summary, for ever.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select

from adapters.audit import record_decision
from adapters.database import unit_of_work
from adapters.models import ReviewItem
from adapters.review import CLOSED_BY_OPERATOR, NEXT_STEP, ReviewKind, resolve_item
from backoffice.dates import business_date, format_date_fr


class ReviewInputError(ValueError):
    """An operator's request on the review queue that cannot be carried out (French)."""


def close_item(engine: Engine, *, key: str, note: str, operator: str, now: datetime) -> str:
    """Close the open item `key` of a kind an operator closes (CLOSED_BY_OPERATOR), with the
    note saying what was done, audit-logged; an item of another kind is refused, with the flow
    or the correction that resolves it. Closing it again changes nothing."""
    key, note = key.strip(), note.strip()
    if not note:
        raise ReviewInputError("une note disant ce qui a été fait est obligatoire")
    with unit_of_work(engine) as db:
        item = db.scalar(select(ReviewItem).where(ReviewItem.key == key))
        if item is None:
            raise ReviewInputError(f"{key} : aucun élément de la file de revue sous cette clé")
        if item.status != "open":
            closed = format_date_fr(business_date(item.resolved_at)) if item.resolved_at else "?"
            return f"{key} : déjà résolu le {closed} ({item.resolution})"
        kind = ReviewKind(item.kind)
        if kind not in CLOSED_BY_OPERATOR:
            raise ReviewInputError(f"{key} ne se clôt pas à la main : {NEXT_STEP[kind]}")
        resolve_item(db, key, f"clos par {operator} : {note}", now)
        record_decision(db, actor=operator, action="review.closed", subject=key, reason=note,
                        at=now, inputs={"kind": item.kind, "subject": item.subject,
                                        "reasons": item.reasons})
    return f"{key} : clos ({note})"
