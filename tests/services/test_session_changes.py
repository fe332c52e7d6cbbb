"""The nightly's documents and invoicing steps look only at the sessions whose facts changed,
on SQLite and PostgreSQL: ingest and the funding step mark them in the transaction of the
change, the steps read and clear the marks, and a session whose work is not finished keeps them.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, func, inspect, select, text

from adapters.database import MIGRATIONS, make_engine, unit_of_work, upgrade_to_head
from adapters.models import (
    AuditEntry,
    ClientOpco,
    Effect,
    Invoice,
    PecState,
    ReviewItem,
    SessionChange,
    SessionFunding,
)
from adapters.models import Session as SessionRow
from adapters.reference_data import ReferenceData, reference_data
from adapters.session_changes import Step, mark_changed, marked_sessions
from adapters.settings import Marketplace
from demo.generator import DEMO_AS_OF, write_demo_export
from services.documents import generate_due_documents, plan_due_documents
from services.funding import reconcile_funding, record_operator_decision
from services.ingest import ingest_export
from services.invoicing import InvoicingTerms, issue_due_invoices
from tests.conftest import POSTGRES_SERVER_URL
from tests.export_samples import SMALL_EXPORT, write_export

AS_OF = date(2026, 11, 28)
NOW = datetime(2026, 11, 28, 3, 30, tzinfo=UTC)
MARKETPLACE = Marketplace()
S002_SLOTS = ("S-002,2026-10-05,09:00,12:30\nS-002,2026-10-05,13:30,17:00\n"
              "S-002,2026-10-06,09:00,12:30\nS-002,2026-10-06,13:30,17:00\n")
ALL_SLOTS = SMALL_EXPORT["slots.csv"] + S002_SLOTS


def marked(engine: Engine, step: Step) -> set[str]:
    with unit_of_work(engine) as db:
        return set(marked_sessions(db, step))


def ingest(engine: Engine, folder: Path, **replaced: str) -> None:
    ingest_export(engine, write_export(folder, slots_csv=ALL_SLOTS, **replaced), now=NOW)


def fund(engine: Engine, as_of: date = AS_OF) -> None:
    reconcile_funding(engine, as_of=as_of, now=NOW, reference=reference_data(),
                      marketplace=MARKETPLACE)


def documents(engine: Engine, out: Path, **kwargs: object):
    return generate_due_documents(engine, as_of=AS_OF, now=NOW, marketplace=MARKETPLACE,
                                  output_dir=out, **kwargs)  # type: ignore[arg-type]


def invoices(engine: Engine, as_of: date = AS_OF, reference: ReferenceData | None = None):
    return issue_due_invoices(engine, as_of=as_of, now=NOW, marketplace=MARKETPLACE,
                              reference=reference or reference_data(), terms=InvoicingTerms())


@contextmanager
def sessions_read(engine: Engine) -> Iterator[set[str]]:
    """The session refs given to the statements reading the `sessions` table; "*" for a
    statement reading it whole."""
    seen: set[str] = set()

    def capture(conn, cursor, statement, parameters, context, executemany):
        read = re.search(r"FROM sessions\b(.*)", statement, re.DOTALL)
        if read is None:
            return
        values = parameters.values() if isinstance(parameters, dict) else parameters
        seen.update(v for v in values if isinstance(v, str) and v.startswith("S-"))
        if "WHERE" not in read.group(1):
            seen.add("*")

    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", capture)


def test_ingest_marks_the_sessions_a_new_or_changed_row_concerns(engine, tmp_path):
    ingest(engine, tmp_path / "first")
    assert marked(engine, Step.documents) == marked(engine, Step.invoicing) == {"S-001", "S-002"}

    with unit_of_work(engine) as db:
        db.execute(SessionChange.__table__.delete())
    ingest(engine, tmp_path / "same")
    assert marked(engine, Step.documents) == set(), "the same export again changes nothing"

    renamed = SMALL_EXPORT["trainees.csv"].replace("Marc,Dupont", "Marc,Dupond")
    ingest(engine, tmp_path / "trainee", trainees_csv=renamed)
    assert marked(engine, Step.documents) == {"S-001"}

    with unit_of_work(engine) as db:
        db.execute(SessionChange.__table__.delete())
    ingest(engine, tmp_path / "programme", trainees_csv=renamed,
           programmes_csv=SMALL_EXPORT["programmes.csv"].replace("QCM final", "QCM en ligne"))
    assert marked(engine, Step.invoicing) == {"S-001", "S-002"}, "both use the programme"

    with unit_of_work(engine) as db:
        db.execute(SessionChange.__table__.delete())
    ingest(engine, tmp_path / "trainer-invoice", trainees_csv=renamed,
           programmes_csv=SMALL_EXPORT["programmes.csv"].replace("QCM final", "QCM en ligne"),
           trainer_invoices_csv=SMALL_EXPORT["trainer_invoices.csv"].replace("017", "018"))
    assert marked(engine, Step.documents) == set(), "a trainer's invoice is the payouts' only"


def test_the_funding_step_marks_a_session_whose_funding_changed(engine, tmp_path):
    ingest(engine, tmp_path / "export")
    fund(engine)
    assert marked(engine, Step.documents) == {"S-001", "S-002"}, "the ingest's marks"
    assert marked(engine, Step.funding) == {"S-001"}, "PEC-1 funds S-001; S-002 is company-paid"
    with unit_of_work(engine) as db:
        db.execute(SessionChange.__table__.delete())
    fund(engine)
    assert marked(engine, Step.documents) == set(), "nothing changed"


def test_a_changed_pec_marks_for_funding_the_sessions_it_may_be_matched_with(engine, tmp_path):
    ingest(engine, tmp_path / "export")
    fund(engine)
    with unit_of_work(engine) as db:
        db.execute(SessionChange.__table__.delete())
    fewer_hours = SMALL_EXPORT["pecs.csv"].replace(",14,2100.00,", ",12,2100.00,")
    ingest(engine, tmp_path / "pec", pecs_csv=fewer_hours)
    assert marked(engine, Step.funding) == {"S-001"}
    assert marked(engine, Step.documents) == set(), "they read the decision, not the PEC"
    fund(engine)
    assert marked(engine, Step.documents) == {"S-001"}, "the PEC went to review: S-001 waits"


def test_a_night_with_nothing_new_decides_no_funding(engine, tmp_path):
    """S-001 started and is funded, S-002 is paid by its client: nothing is waiting. (The night
    after a funding changed looks at its session once more: a decision may read another's.)"""
    ingest(engine, tmp_path / "export")
    fund(engine, as_of=date(2026, 12, 10))
    fund(engine, as_of=date(2026, 12, 11))
    with sessions_read(engine) as seen:
        report = reconcile_funding(engine, as_of=date(2026, 12, 12), now=NOW,
                                   reference=reference_data(), marketplace=MARKETPLACE)
    assert seen == set()
    assert report.green_lights == report.reminders == report.switches == []


def test_the_sessions_waiting_for_their_pec_are_looked_at_each_night_without_a_change(
        engine, tmp_path):
    no_pec = SMALL_EXPORT["pecs.csv"].splitlines()[0] + "\n"
    ingest(engine, tmp_path / "export", pecs_csv=no_pec)
    fund(engine, as_of=date(2026, 11, 1))
    with sessions_read(engine) as seen:
        reminded = reconcile_funding(engine, as_of=date(2026, 11, 22), now=NOW,
                                     reference=reference_data(), marketplace=MARKETPLACE)
    assert seen == {"S-001"}
    assert [(r.session_ref, r.days_before) for r in reminded.reminders] == [("S-001", 15)]
    switched = reconcile_funding(engine, as_of=date(2026, 12, 7), now=NOW,
                                 reference=reference_data(), marketplace=MARKETPLACE)
    assert [s.session_ref for s in switched.switches] == ["S-001"]


def test_documents_look_only_at_marked_sessions_and_clear_their_marks(engine, tmp_path):
    ingest(engine, tmp_path / "export")
    fund(engine)
    first = documents(engine, tmp_path / "out")
    assert {p.session_ref for p in first.produced} == {"S-001", "S-002"}
    assert marked(engine, Step.documents) == set()
    assert marked(engine, Step.invoicing) == {"S-001", "S-002"}, "another step's marks stay"

    with sessions_read(engine) as seen:
        assert documents(engine, tmp_path / "out").produced == []
    assert seen == set(), "a night with no change reads no session"

    renamed = SMALL_EXPORT["trainees.csv"].replace("Marc,Dupont", "Marc,Dupond")
    ingest(engine, tmp_path / "renamed", trainees_csv=renamed)
    with sessions_read(engine) as seen:
        again = documents(engine, tmp_path / "out")
    assert seen == {"S-001"}
    assert {(p.session_ref, p.kind, p.version) for p in again.produced} == {
        ("S-001", "bundle", 2), ("S-001", "start_kit", 2)}
    planned, _ = plan_due_documents(engine, as_of=AS_OF, now=NOW, marketplace=MARKETPLACE)
    assert planned == [], "a sweep of every session finds nothing the marked ones missed"


def test_a_failed_documents_run_keeps_its_marks_for_the_next(engine, tmp_path):
    ingest(engine, tmp_path / "export")
    fund(engine)
    out = tmp_path / "out"
    out.mkdir()
    (out / "documents").write_text("a file where the folder goes")
    with pytest.raises(OSError):
        documents(engine, out)
    assert marked(engine, Step.documents) == {"S-001", "S-002"}

    (out / "documents").unlink()
    assert {p.session_ref for p in documents(engine, out).produced} == {"S-001", "S-002"}
    assert marked(engine, Step.documents) == set()


def test_documents_of_given_sessions_leave_the_marks_alone(engine, tmp_path):
    ingest(engine, tmp_path / "export")
    fund(engine)
    report = documents(engine, tmp_path / "out", session_refs=["S-002"])
    assert {p.session_ref for p in report.produced} == {"S-002"}
    assert marked(engine, Step.documents) == {"S-001", "S-002"}
    assert {p.session_ref for p in documents(engine, tmp_path / "out").produced} == {"S-001"}


def test_invoicing_keeps_the_marks_of_a_session_not_billable_yet(engine, tmp_path):
    ingest(engine, tmp_path / "export")
    fund(engine)
    before_its_end = date(2026, 10, 5)  # S-002 ended (was declared complete) on 6 October
    assert invoices(engine, as_of=before_its_end).issued == []
    assert marked(engine, Step.invoicing) == {"S-002"}, "S-001 owes nothing until it ends"

    issued = invoices(engine).issued
    assert [i.session_ref for i in issued] == ["S-002"]
    assert marked(engine, Step.invoicing) == set()
    with sessions_read(engine) as seen:
        assert invoices(engine).issued == []
    assert seen == set()


def test_a_held_invoice_keeps_its_session_marked_and_is_issued_once_identified(engine, tmp_path):
    s001_attended = "".join(f"S-001,{t},{d},{h},present,\n" for t in ("T-1", "T-2")
                            for d in ("2026-12-07", "2026-12-08") for h in ("am", "pm"))
    ingest(engine, tmp_path / "export",
           completions_csv=SMALL_EXPORT["completions.csv"] + "S-001,2026-12-08T18:00:00+01:00\n",
           attendance_csv=SMALL_EXPORT["attendance.csv"] + s001_attended)
    fund(engine, as_of=date(2026, 12, 1))
    real = reference_data()
    unidentified = dataclasses.replace(real, opcos={
        **real.opcos, "ATLAS": dataclasses.replace(real.opcos["ATLAS"], siren="")})
    held = invoices(engine, as_of=date(2026, 12, 9), reference=unidentified)
    assert {h.session_ref for h in held.held} == {"S-001"}
    assert marked(engine, Step.invoicing) == {"S-001"}

    issued = invoices(engine, as_of=date(2026, 12, 10))
    assert {i.session_ref for i in issued.issued} == {"S-001"}
    assert marked(engine, Step.invoicing) == set()
    with unit_of_work(engine) as db:
        assert db.scalar(select(ReviewItem.status).where(
            ReviewItem.key.like("invoice:S-001:%"))) == "resolved"
        assert len(list(db.scalars(select(Invoice.number)))) == 3


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path) -> Iterator[str]:
    """A database of its own (a schema on PostgreSQL): the test moves its schema down and up."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'upgraded.sqlite3'}"
        return
    schema = f"upgrade_{os.getpid()}"
    admin = create_engine(POSTGRES_SERVER_URL)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield POSTGRES_SERVER_URL + f"?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def test_the_upgrade_marks_every_existing_session_once_for_each_step(fresh_url, tmp_path):
    """A database of before the marks: its first night after the upgrade reads the whole
    history once, then only what changes."""
    engine = make_engine(fresh_url)
    upgrade_to_head(engine)
    ingest(engine, tmp_path / "export")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0011")
    assert "session_changes" not in inspect(engine).get_table_names()

    upgrade_to_head(engine)
    with unit_of_work(engine) as db:
        marks = sorted(db.execute(select(SessionChange.step, SessionChange.session_ref)))
    assert marks == [("documents", "S-001"), ("documents", "S-002"), ("funding", "S-001"),
                     ("funding", "S-002"), ("invoicing", "S-001"), ("invoicing", "S-002")]
    engine.dispose()


def _funding_state(engine: Engine) -> tuple[object, ...]:
    with unit_of_work(engine) as db:
        return (
            sorted((f.session_ref, f.status, f.pec_ref, f.opco, f.opco_share, f.switched_on,
                    f.estimate_basis) for f in db.scalars(select(SessionFunding))),
            sorted((p.pec_ref, p.status, p.session_ref, tuple(p.proposals))
                   for p in db.scalars(select(PecState))),
            sorted((c.client_ref, c.opco) for c in db.scalars(select(ClientOpco))),
            sorted((r.key, r.status) for r in db.scalars(select(ReviewItem))),
            sorted(db.scalars(select(Effect.idempotency_key))),
            db.scalar(select(func.count()).select_from(AuditEntry)))


def test_on_the_demo_a_sweep_of_every_session_after_each_night_finds_nothing_more(
        engine, tmp_path):
    """Night after night around the demo's day, the funding of the sessions in scope, then the
    same with every session marked: the second decides nothing the first did not."""
    write_demo_export(tmp_path / "export")
    ingest_export(engine, tmp_path / "export", now=NOW)
    day = DEMO_AS_OF - timedelta(days=21)
    while day <= DEMO_AS_OF + timedelta(days=21):
        fund(engine, as_of=day)
        night = _funding_state(engine)
        with unit_of_work(engine) as db:
            mark_changed(db, db.scalars(select(SessionRow.session_ref)), NOW, [Step.funding])
        fund(engine, as_of=day)
        assert _funding_state(engine) == night, day
        day += timedelta(days=3)


def test_a_pec_naming_a_session_that_does_not_exist_is_decided_without_it(engine, tmp_path):
    """The PEC's session_ref is the client's claim: marked all the same, never loaded."""
    stray = SMALL_EXPORT["pecs.csv"].replace("PEC-1,S-001,", "PEC-1,S-404,")
    ingest(engine, tmp_path / "export", pecs_csv=stray)
    assert "S-404" in marked(engine, Step.funding)
    report = reconcile_funding(engine, as_of=AS_OF, now=NOW, reference=reference_data(),
                               marketplace=MARKETPLACE)
    assert [(d.pec_ref, d.session_ref) for d in report.discrepancies] == [("PEC-1", "")]
    assert "S-404" not in marked(engine, Step.funding)


MARCH = ("S-003,PR-EXCEL,TR-01,CL-01,2026-03-09,2026-03-10,14,presentiel,\"18 avenue de "
         "l'Opéra, 75001 Paris\",2450.00,1500.00,opco_subrogation,2026-02-02T10:12:00+01:00,\n")
MARCH_PEC = ("PEC-3,S-003,ATLAS,AT-2026-000333,35600000049837,Excel avancé,2026-03-09,"
             "2026-03-10,14,2100.00,yes,,2026-02-20T14:00:00+01:00,pec-3.pdf\n")


def test_a_changed_session_brings_in_its_clients_pecs_of_its_dates_not_its_whole_history(
        engine, tmp_path):
    """Issue 20: a session or PEC that changes is decided again with what may match it (the
    client's PECs and sessions whose dates meet its own), not with every session and PEC its
    client ever had: PEC-3 (March) cannot be matched with S-001 (December)."""
    from services.funding import funding_scope, sessions_a_pec_may_match

    ingest(engine, tmp_path / "export", sessions_csv=SMALL_EXPORT["sessions.csv"] + MARCH,
           pecs_csv=SMALL_EXPORT["pecs.csv"] + MARCH_PEC)
    reconcile_funding(engine, as_of=AS_OF, now=NOW, reference=reference_data(),
                      marketplace=MARKETPLACE)

    with unit_of_work(engine) as db:
        scope = funding_scope(db, {"S-001"}, AS_OF)
        assert (scope.sessions, scope.pecs) == ({"S-001"}, {"PEC-1"})
        assert sessions_a_pec_may_match(db, {"PEC-1"}) == {"S-001"}
        assert sessions_a_pec_may_match(db, {"PEC-3"}) == {"S-003"}
        assert db.get(ClientOpco, "CL-01").pec_ref == "PEC-1"  # the latest of the client's


def test_a_night_deciding_an_older_pec_again_keeps_the_client_on_its_latest_opco(engine, tmp_path):
    """The client's OPCO is the one its latest green-lit PEC names. A night that decides only an
    older PEC of the client (an operator accepted it, or its session changed; the latest PEC's
    dates do not meet it, so it is not in the night's scope) must still see the latest one, kept
    from an earlier night: the client does not go back to its former OPCO (it did, before the
    kept green lights were read apart: services/funding.py, `_confirm_client_opcos`)."""
    from services.funding import funding_scope

    former_opco = MARCH_PEC.replace(",ATLAS,AT-2026-000333,", ",AKTO,AK-2026-000333,")
    ingest(engine, tmp_path / "export", sessions_csv=SMALL_EXPORT["sessions.csv"] + MARCH,
           pecs_csv=SMALL_EXPORT["pecs.csv"] + former_opco)
    fund(engine)
    with unit_of_work(engine) as db:  # another OPCO than the client's: an operator decides
        assert db.get(PecState, "PEC-1").status == "validated"
        assert db.get(PecState, "PEC-3").status == "review"
    record_operator_decision(engine, pec_ref="PEC-3", accept=True, note="changement d'OPCO du "
                             "client vérifié", session_ref="S-003", operator="ops", as_of=AS_OF,
                             now=NOW)
    fund(engine)
    with unit_of_work(engine) as db:
        assert db.get(PecState, "PEC-3").status == "accepted"
        assert (db.get(ClientOpco, "CL-01").opco, db.get(ClientOpco, "CL-01").pec_ref) == (
            "ATLAS", "PEC-1")  # PEC-1, received in November, is the latest

    with unit_of_work(engine) as db:  # the March session changes: PEC-3 is decided again alone
        mark_changed(db, {"S-003"}, NOW, [Step.funding])
        scope = funding_scope(db, {"S-003"}, AS_OF)
        assert (scope.sessions, scope.pecs) == ({"S-003"}, {"PEC-3"})
    fund(engine)
    with unit_of_work(engine) as db:
        assert (db.get(ClientOpco, "CL-01").opco, db.get(ClientOpco, "CL-01").pec_ref) == (
            "ATLAS", "PEC-1")
