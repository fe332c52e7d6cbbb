"""PEC reconciliation against the database, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from adapters.database import unit_of_work
from adapters.models import AuditEntry, ClientOpco, Effect, PecState, ReviewItem, SessionFunding
from adapters.reference_data import reference_data
from adapters.settings import Marketplace
from services.funding import OperatorInputError, reconcile_funding, record_operator_decision
from services.ingest import ingest_export
from tests.export_samples import SMALL_EXPORT, write_export
from tests.services.test_ingest import snapshot

NOW = datetime(2026, 11, 28, 3, 30, tzinfo=UTC)
PEC_HEADER = SMALL_EXPORT["pecs.csv"].splitlines()[0] + "\n"
PEC_ROW = SMALL_EXPORT["pecs.csv"].splitlines()[1]


def load(engine, tmp_path, name="export", **replaced):
    result = ingest_export(engine, write_export(tmp_path / name, **replaced), now=NOW)
    assert result.errors == []


def reconcile(engine, as_of=date(2026, 11, 28)):
    return reconcile_funding(engine, as_of=as_of, now=NOW, reference=reference_data(),
                             marketplace=Marketplace())


def rows(engine, model, *where):
    with unit_of_work(engine) as db:
        return list(db.scalars(select(model).where(*where)))


def email_keys(engine) -> list[str]:
    return sorted(e.idempotency_key for e in rows(engine, Effect, Effect.kind == "email"))


def test_a_matching_pec_gives_the_green_light_once(engine, tmp_path):
    load(engine, tmp_path)

    report = reconcile(engine)

    (state,) = rows(engine, PecState)
    assert (state.status, state.session_ref, state.reste_a_charge) == ("validated", "S-001",
                                                                        350)
    (funding,) = rows(engine, SessionFunding)
    assert (funding.status, funding.pec_ref, funding.opco_share) == ("funded", "PEC-1", 2100)
    assert funding.green_light_on == date(2026, 11, 28)
    assert [g.session_ref for g in report.green_lights] == ["S-001"]
    (effect,) = rows(engine, Effect)
    assert effect.idempotency_key == "email:green-light:S-001"
    assert effect.payload["to"] == ["elodie.marchand@formateurs.example"]
    assert "Feu vert : la session S-001 peut démarrer" in effect.payload["subject"]
    assert "7 décembre 2026" in effect.payload["text"]
    assert rows(engine, ClientOpco)[0].opco == "ATLAS"
    assert {a.action for a in rows(engine, AuditEntry)} == {
        "pec.validated", "session.green_light", "client.opco_confirmed"}

    before = snapshot(engine)
    again = reconcile(engine)
    assert snapshot(engine) == before
    assert again.green_lights == again.discrepancies == again.reminders == []


def test_a_pec_validated_after_the_start_sends_no_green_light(engine, tmp_path):
    """Issue #17 §3: "la session peut démarrer" is never sent for a session under way (a first
    run of an installation with sessions already started, a PEC validated late)."""
    load(engine, tmp_path)

    report = reconcile(engine, as_of=date(2026, 12, 8))  # S-001 started on 7 December

    (funding,) = rows(engine, SessionFunding)
    assert (funding.status, funding.pec_ref) == ("funded", "PEC-1")
    assert report.green_lights == [] and email_keys(engine) == []
    (entry,) = rows(engine, AuditEntry, AuditEntry.action == "session.funded_after_start")
    assert entry.reason == ("PEC PEC-1 validée après le début de la session (7 décembre 2026) : "
                            "pas de feu vert envoyé")


def test_a_pec_with_problems_waits_for_an_operator_who_accepts_it(engine, tmp_path):
    load(engine, tmp_path, pecs_csv=SMALL_EXPORT["pecs.csv"].replace(",14,2100.00,", ",7,2100.00,"))

    report = reconcile(engine)

    assert rows(engine, PecState)[0].status == "review"
    (item,) = rows(engine, ReviewItem)
    assert (item.key, item.status) == ("pec:PEC-1", "open")
    assert "heures accordées (7 h) inférieures à celles de la convention (14 h" in item.reasons[0]
    assert report.discrepancies[0].pec_ref == "PEC-1"
    assert rows(engine, SessionFunding)[0].status == "pec_review"
    assert email_keys(engine) == []

    with pytest.raises(OperatorInputError, match="note"):
        record_operator_decision(engine, pec_ref="PEC-1", accept=True, note=" ",
                                 session_ref=None, operator="op", as_of=date(2026, 11, 28),
                                 now=NOW)
    record_operator_decision(engine, pec_ref="PEC-1", accept=True, note="accord oral de l'OPCO",
                             session_ref=None, operator="op:claire", as_of=date(2026, 11, 28),
                             now=NOW)
    reconcile(engine)

    assert rows(engine, PecState)[0].status == "accepted"
    assert rows(engine, SessionFunding)[0].status == "funded"
    assert rows(engine, ReviewItem)[0].status == "resolved"
    assert email_keys(engine) == ["email:green-light:S-001"]
    assert rows(engine, AuditEntry, AuditEntry.action == "pec.accepted")[0].actor == "op:claire"


def test_a_rejected_pec_stays_rejected(engine, tmp_path):
    load(engine, tmp_path, pecs_csv=SMALL_EXPORT["pecs.csv"].replace(",yes,", ",no,"))
    reconcile(engine)
    record_operator_decision(engine, pec_ref="PEC-1", accept=False, note="mauvais dossier",
                             session_ref=None, operator="op", as_of=date(2026, 11, 28), now=NOW)
    reconcile(engine)
    assert rows(engine, PecState)[0].status == "rejected"
    assert rows(engine, SessionFunding)[0].status == "awaiting_pec"
    with pytest.raises(OperatorInputError, match="inconnue"):
        record_operator_decision(engine, pec_ref="PEC-404", accept=False, note="x",
                                 session_ref=None, operator="op", as_of=date(2026, 11, 28),
                                 now=NOW)


def test_a_corrected_pec_supersedes_the_first_with_history(engine, tmp_path):
    load(engine, tmp_path, "v1")
    reconcile(engine)
    corrected = PEC_ROW.replace("PEC-1,", "PEC-2,").replace("2100.00", "2450.00").replace(
        "2026-11-20T14:00", "2026-11-25T09:00")
    load(engine, tmp_path, "v2", pecs_csv=SMALL_EXPORT["pecs.csv"] + corrected + "\n")

    reconcile(engine)

    states = {s.pec_ref: s for s in rows(engine, PecState)}
    assert (states["PEC-1"].status, states["PEC-1"].superseded_by) == ("superseded", "PEC-2")
    assert states["PEC-2"].status == "validated"
    funding = rows(engine, SessionFunding)[0]
    assert (funding.pec_ref, funding.reste_a_charge) == ("PEC-2", 0)
    assert email_keys(engine) == ["email:green-light:S-001"]  # one green light per session
    assert [a.action for a in rows(engine, AuditEntry, AuditEntry.subject == "PEC-1")] == [
        "pec.validated", "pec.superseded"]


def test_a_pec_for_the_wrong_session_proposes_the_right_one(engine, tmp_path):
    second = ("S-003,PR-EXCEL,TR-01,CL-01,2027-01-11,2027-01-12,14,presentiel,,2450.00,1500.00,"
              "opco_subrogation,2026-11-02T10:12:00+01:00,\n")
    load(engine, tmp_path, sessions_csv=SMALL_EXPORT["sessions.csv"] + second,
         pecs_csv=PEC_HEADER + PEC_ROW.replace("PEC-1,S-001,", "PEC-1,S-003,") + "\n")

    reconcile(engine)

    state = rows(engine, PecState)[0]
    assert (state.status, state.session_ref, state.proposals) == ("review", None, ["S-001"])
    assert "rattachée par le client à S-003, mais elle correspond à S-001" in \
        rows(engine, ReviewItem)[0].reasons[0]
    record_operator_decision(engine, pec_ref="PEC-1", accept=True, note="erreur de saisie",
                             session_ref=None, operator="op", as_of=date(2026, 11, 28), now=NOW)
    reconcile(engine)
    assert {f.session_ref: f.status for f in rows(engine, SessionFunding)} == {
        "S-001": "funded", "S-003": "awaiting_pec"}


@pytest.mark.any_date  # reminders and dunning: also with the wall clock far from today
def test_each_reminder_once_across_a_backfill_then_the_day_one_switch(engine, tmp_path):
    load(engine, tmp_path, pecs_csv=PEC_HEADER)
    start = date(2026, 12, 7)

    for day in range(20, -3, -1):  # D-20 … D+2, as a day-by-day backfill would
        reconcile(engine, as_of=start - timedelta(days=day))
        reconcile(engine, as_of=start - timedelta(days=day))  # and a re-run of each day

    assert email_keys(engine) == [
        "email:company-billing:S-001:client", "email:company-billing:S-001:trainer",
        "email:pec-reminder:S-001:J-15:client", "email:pec-reminder:S-001:J-15:trainer",
        "email:pec-reminder:S-001:J-2:client", "email:pec-reminder:S-001:J-2:trainer",
        "email:pec-reminder:S-001:J-7:client", "email:pec-reminder:S-001:J-7:trainer"]
    funding = rows(engine, SessionFunding)[0]
    assert (funding.status, funding.switched_on) == ("company_billing", start)
    client_mail = rows(engine, Effect, Effect.idempotency_key ==
                       "email:pec-reminder:S-001:J-7:client")[0].payload
    assert client_mail["to"] == ["rh@durand.example"]
    assert "dans 7 jours" in client_mail["text"] and "2\u202f450,00\u00a0€ HT" in client_mail["text"]
    assert len(rows(engine, AuditEntry, AuditEntry.action == "session.company_billing")) == 1


def test_an_unknown_opco_goes_to_review_never_a_guess(engine, tmp_path):
    clients = SMALL_EXPORT["clients.csv"].replace(",1486,42,", ",9998,42,").replace(
        "rh@durand.example,ATLAS", "rh@durand.example,")
    load(engine, tmp_path, "v1", clients_csv=clients, pecs_csv=PEC_HEADER)

    report = reconcile(engine)

    (item,) = rows(engine, ReviewItem, ReviewItem.kind == "opco")
    assert item.key == "opco:CL-01" and "IDCC 9998 absent de la table" in item.reasons[0]
    assert report.unknown_opcos[0].client_ref == "CL-01"
    assert "OPCO du client inconnu" in rows(engine, SessionFunding)[0].estimate_basis

    load(engine, tmp_path, "v2", clients_csv=clients.replace(",9998,42,", ",1486,42,"))
    reconcile(engine)
    assert rows(engine, ReviewItem, ReviewItem.kind == "opco")[0].status == "resolved"
    assert rows(engine, SessionFunding)[0].opco == "ATLAS"


def test_funding_criteria_ending_within_60_days_are_listed_once_per_scope(engine, tmp_path):
    from backoffice.outcomes import CriteriaExpiring

    load(engine, tmp_path)

    report = reconcile(engine)  # on 28 November 2026

    assert CriteriaExpiring("OPCO_EP", "branche 177 (critères 2026)",
                            date(2026, 12, 31)) in report.expiring_criteria
    assert len(report.expiring_criteria) == len(set(report.expiring_criteria))
    assert all(date(2026, 11, 28) <= c.valid_to <= date(2027, 1, 27)
               for c in report.expiring_criteria)
