"""CSV snapshots: one header row, sorted by reference, statuses and amounts as people read them."""

from __future__ import annotations

import csv
from datetime import UTC, datetime

from adapters.database import unit_of_work
from adapters.outbox import record_effect
from adapters.reference_data import reference_data
from adapters.settings import Marketplace
from services.funding import reconcile_funding
from services.ingest import ingest_export
from services.reports import write_report
from tests.export_samples import write_export

NOW = datetime(2026, 11, 28, 3, 30, tzinfo=UTC)


def read(path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_report_lists_sessions_pecs_and_emails(engine, tmp_path):
    ingest_export(engine, write_export(tmp_path / "export"), now=NOW)
    with unit_of_work(engine) as db:
        record_effect(db, "email:x", "email", {"to": ["a@b.example"], "cc": [],
                                               "subject": "Convocation", "text": "…"}, NOW)

    paths = write_report(engine, tmp_path / "report")

    assert sorted(p.name for p in paths) == [
        "allocations.csv", "documents.csv", "emails.csv", "invoices.csv", "payouts.csv",
        "pecs.csv", "review_queue.csv", "sessions.csv", "statement_lines.csv"]
    sessions = read(tmp_path / "report" / "sessions.csv")
    assert [(s["session_ref"], s["status"]) for s in sessions] == [("S-001", "validated"),
                                                                   ("S-002", "completed")]
    first = sessions[0]
    assert (first["price_ht"], first["trainees"], first["client_name"]) == (
        "2450.00", "2", "Durand & Fils SAS")
    assert first["validated_at"] == "2026-11-02T10:12:00+01:00"  # shown in Paris time
    assert read(tmp_path / "report" / "pecs.csv")[0]["subrogation"] == "yes"
    (email,) = read(tmp_path / "report" / "emails.csv")
    assert (email["key"], email["state"], email["to"]) == ("email:x", "pending", "a@b.example")


def test_the_report_shows_funding_and_pec_decisions(engine, tmp_path):
    ingest_export(engine, write_export(tmp_path / "export"), now=NOW)
    reconcile_funding(engine, as_of=NOW.date(), now=NOW,
                      reference=reference_data(), marketplace=Marketplace())

    write_report(engine, tmp_path / "report")

    sessions = {s["session_ref"]: s for s in read(tmp_path / "report" / "sessions.csv")}
    assert (sessions["S-001"]["funding_status"], sessions["S-001"]["pec_ref"],
            sessions["S-001"]["reste_a_charge"]) == ("funded", "PEC-1", "350.00")
    assert sessions["S-002"]["funding_status"] == ""  # company-funded: no PEC expected
    (pec,) = read(tmp_path / "report" / "pecs.csv")
    assert (pec["status"], pec["attached_session_ref"], pec["decided_by"]) == (
        "validated", "S-001", "pipeline")
