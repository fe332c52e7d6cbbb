"""On the demo data, the reconciliation catches every trap of the demo (demo/generator.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from adapters.database import unit_of_work
from adapters.models import Effect, Pec, PecState, SessionFunding
from adapters.models import Session as SessionRow
from adapters.reference_data import reference_data
from adapters.settings import Marketplace
from backoffice.sessions import has_started
from demo.generator import DEMO_AS_OF, DEMO_TRAPS, write_demo_export
from services.funding import reconcile_funding
from services.ingest import ingest_export

NOW = datetime(2026, 11, 30, 3, 30, tzinfo=UTC)


@pytest.fixture
def demo(engine, tmp_path):
    write_demo_export(tmp_path / "export")
    ingest_export(engine, tmp_path / "export", now=NOW)
    report = reconcile_funding(engine, as_of=DEMO_AS_OF, now=NOW, reference=reference_data(),
                               marketplace=Marketplace())
    with unit_of_work(engine) as db:
        pecs = {p.pec_ref: p for p in db.scalars(select(Pec))}
        states = {s.pec_ref: s for s in db.scalars(select(PecState))}
        funding = {f.session_ref: f for f in db.scalars(select(SessionFunding))}
        emails = {e.idempotency_key for e in db.scalars(select(Effect))}
    return report, pecs, states, funding, emails


def sessions_with(trap: str) -> list[str]:
    refs = sorted(ref for ref, code in DEMO_TRAPS.items() if code == trap)
    assert refs, trap
    return refs


@pytest.mark.parametrize(("trap", "rule"), [
    ("pec_fewer_hours", "hours"), ("pec_wrong_opco", "opco"), ("pec_late", "late"),
    ("pec_wrong_session", "session_ref"),
])
def test_the_pec_traps_go_to_review_with_their_reason(demo, trap, rule):
    _, _, states, _, _ = demo
    for session_ref in sessions_with(trap):
        reviewed = [s for s in states.values() if s.status == "review"
                    and (s.session_ref == session_ref or session_ref in s.proposals)]
        assert [p["rule"] for p in reviewed[0].problems] == [rule], session_ref


@pytest.mark.parametrize("trap", ["pec_fuzzy_names", "pec_partial", "pec_no_session_ref"])
def test_the_harmless_traps_get_the_green_light(demo, engine, trap):
    """Funded; the green light e-mail only for a session not started yet (issue #17: no "la
    session peut démarrer" for a session under way on the installation's first run)."""
    _, _, _, funding, emails = demo
    with unit_of_work(engine) as db:
        starts = dict(db.execute(select(SessionRow.session_ref, SessionRow.start_date)).all())
    for session_ref in sessions_with(trap):
        assert funding[session_ref].status == "funded", session_ref
        sent = f"email:green-light:{session_ref}" in emails
        assert sent is not has_started(starts[session_ref], DEMO_AS_OF), session_ref


def test_a_partial_pec_leaves_a_reste_a_charge(demo):
    _, pecs, _, funding, _ = demo
    (session_ref,) = sessions_with("pec_partial")
    row = funding[session_ref]
    assert row.reste_a_charge > 0 and row.opco_share == pecs[row.pec_ref].amount_granted_ht


def test_missing_pecs_are_chased_or_switched(demo):
    _, _, _, funding, emails = demo
    for session_ref in sessions_with("pec_missing_soon"):
        assert any(k.startswith(f"email:pec-reminder:{session_ref}:") for k in emails)
    for session_ref in sessions_with("pec_missing_started"):
        assert funding[session_ref].status == "company_billing"
        assert f"email:company-billing:{session_ref}:client" in emails


def test_cancelled_drafts_and_company_sessions_are_left_alone(demo):
    _, _, _, funding, emails = demo
    for session_ref in sessions_with("cancelled") + sessions_with("draft"):
        assert session_ref not in funding
        assert not any(session_ref in key for key in emails)
