"""An operator closes the review items whose action no run can see done; the others are refused
with the flow (or the correction) that resolves them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from adapters.database import unit_of_work
from adapters.models import AuditEntry, ReviewItem
from adapters.review import CLOSED_BY_OPERATOR, NEXT_STEP, ReviewKind, open_item
from services.review import ReviewInputError, close_item

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
LATER = datetime(2026, 12, 8, 9, 30, tzinfo=UTC)


def open_items_of_every_kind(engine) -> None:
    with unit_of_work(engine) as db:
        for kind in ReviewKind:
            open_item(db, f"{kind}:X-1", kind=kind, subject="X-1", reasons=["pourquoi"],
                      proposals=[], now=NOW)


def test_the_items_no_run_can_see_done_are_closed_with_a_note_in_the_audit_log(engine):
    open_items_of_every_kind(engine)

    message = close_item(engine, key=" late_documents:X-1 ", note="convocations signées reçues",
                         operator="operator:calm-otter", now=LATER)

    assert message == "late_documents:X-1 : clos (convocations signées reçues)"
    with unit_of_work(engine) as db:
        item = db.scalar(select(ReviewItem).where(ReviewItem.key == "late_documents:X-1"))
        (entry,) = db.scalars(select(AuditEntry).where(AuditEntry.action == "review.closed"))
        assert (item.status, item.resolution) == (
            "resolved", "clos par operator:calm-otter : convocations signées reçues")
        assert (entry.actor, entry.subject, entry.reason) == (
            "operator:calm-otter", "late_documents:X-1", "convocations signées reçues")
        assert entry.inputs["kind"] == "late_documents"
        assert entry.inputs["reasons"] == ["pourquoi"]


def test_closing_it_again_says_when_and_changes_nothing(engine):
    open_items_of_every_kind(engine)
    close_item(engine, key="dunning:X-1", note="relancé par téléphone", operator="op", now=LATER)

    again = close_item(engine, key="dunning:X-1", note="encore", operator="op2", now=LATER)

    assert again == "dunning:X-1 : déjà résolu le 8 décembre 2026 (clos par op : relancé par " \
                    "téléphone)"
    with unit_of_work(engine) as db:
        assert len(db.scalars(select(AuditEntry).where(
            AuditEntry.action == "review.closed")).all()) == 1


@pytest.mark.parametrize("kind", sorted(set(ReviewKind) - CLOSED_BY_OPERATOR))
def test_an_item_its_flow_or_the_next_run_resolves_is_refused_with_that_way(engine, kind):
    open_items_of_every_kind(engine)

    with pytest.raises(ReviewInputError) as refused:
        close_item(engine, key=f"{kind}:X-1", note="fait", operator="op", now=LATER)

    assert str(refused.value) == f"{kind}:X-1 ne se clôt pas à la main : {NEXT_STEP[kind]}"
    with unit_of_work(engine) as db:
        assert db.scalar(select(ReviewItem.status).where(ReviewItem.key == f"{kind}:X-1")) == "open"


def test_every_kind_an_operator_closes_says_so_in_what_to_do():
    for kind in CLOSED_BY_OPERATOR:
        assert "close-review-item" in NEXT_STEP[kind], kind
    for kind in set(ReviewKind) - CLOSED_BY_OPERATOR:
        assert "close-review-item" not in NEXT_STEP[kind], kind


@pytest.mark.parametrize(("key", "note", "message"), [
    ("late_documents:X-1", "  ", "une note disant ce qui a été fait est obligatoire"),
    ("late_documents:X-9", "fait", "late_documents:X-9 : aucun élément de la file de revue sous "
                                   "cette clé"),
])
def test_a_request_without_a_note_or_for_no_item_is_refused(engine, key, note, message):
    open_items_of_every_kind(engine)

    with pytest.raises(ReviewInputError, match=message):
        close_item(engine, key=key, note=note, operator="op", now=LATER)
