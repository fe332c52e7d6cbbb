"""An operator who only has the UI closes a review item once its action is done by hand."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from adapters.database import unit_of_work
from adapters.models import ReviewItem
from backoffice.incidents import REFUSED
from flows.nightly import nightly
from flows.review import close_review
from tests.export_samples import SMALL_EXPORT, write_export

pytestmark = pytest.mark.prefect
LATE = "documents-late:S-002"  # S-002 (5-6 October) first seen on 28 November
S002_SLOTS = SMALL_EXPORT["slots.csv"] + "".join(
    f"S-002,{day},{start},{end}\n" for day in ("2026-10-05", "2026-10-06")
    for start, end in (("09:00", "12:30"), ("13:30", "17:00")))
PEC_OFF_BY_7_HOURS = SMALL_EXPORT["pecs.csv"].replace(",14,2100.00,", ",7,2100.00,")


def test_a_late_documents_item_closed_by_an_operator_leaves_the_queue_for_good(
        pipeline_env, engine):
    write_export(pipeline_env.export_inbox, slots_csv=S002_SLOTS)
    first = nightly(as_of=date(2026, 11, 28))
    assert LATE in {item["clé"] for item in first.review}

    message = close_review(key=LATE, note="feuilles signées par le client reçues par courrier")

    assert message == f"{LATE} : clos (feuilles signées par le client reçues par courrier)"
    later = nightly(as_of=date(2026, 11, 30))
    assert LATE not in {item["clé"] for item in later.review}
    with unit_of_work(engine) as db:
        assert db.scalar(select(ReviewItem.status).where(ReviewItem.key == LATE)) == "resolved"


def test_an_item_its_own_flow_resolves_is_refused_with_that_flow(pipeline_env, engine):
    write_export(pipeline_env.export_inbox, pecs_csv=PEC_OFF_BY_7_HOURS)
    review = nightly(as_of=date(2026, 11, 28)).review
    key = "pec:PEC-1"
    assert key in {item["clé"] for item in review}

    state = close_review(key=key, note="vu avec l'OPCO", return_state=True)

    assert state.name == REFUSED
    assert state.message == (f"{key} ne se clôt pas à la main : flow `resolve-pec` (accept, "
                             "avec la session, ou reject)")
    with unit_of_work(engine) as db:
        assert db.scalar(select(ReviewItem.status).where(ReviewItem.key == key)) == "open"
