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
        "pecs.csv", "receivables.csv", "review_queue.csv", "sessions.csv", "statement_lines.csv"]
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


def test_the_receivables_are_aged_per_funder_from_the_due_or_dunning_date(engine, tmp_path):
    from datetime import date
    from decimal import Decimal

    from sqlalchemy import select

    from adapters.models import Invoice, InvoiceDeposit
    from services.invoicing import issue_credit_note
    from services.reports import aged_receivables
    from tests.services.test_invoices import MARKETPLACE, TERMS
    from tests.services.test_payments import setup_invoices

    setup_invoices(engine, tmp_path)  # 10 Dec. 2026, due 9 Jan. 2027: FA-1 ATLAS, FA-2 CL-01,
    # FA-3 CL-02
    issue_credit_note(engine, number="FA-2026-000002", reason="remise", amount=Decimal("12.50"),
                      as_of=date(2027, 1, 15), now=NOW, marketplace=MARKETPLACE,
                      reference=reference_data(), terms=TERMS)
    with unit_of_work(engine) as db:
        paid = {"FA-2026-000002": Decimal("100.00"), "FA-2026-000003": Decimal("1800.00")}
        for invoice in db.scalars(select(Invoice).where(Invoice.number.in_(paid))):
            invoice.paid_amount = paid[invoice.number]
        # ATLAS takes it on its portal: deposited on 20 Jan., 30 days from then
        db.add(InvoiceDeposit(number="FA-2026-000001", funder_ref="ATLAS", path="x", files=[],
                              prepared_at=NOW, deposited_on=date(2027, 1, 20)))
    as_of = date(2027, 2, 28)

    write_report(engine, tmp_path / "report", as_of=as_of)

    rows = read(tmp_path / "report" / "receivables.csv")
    assert [(r["funder_kind"], r["funder_ref"], r["open"], r["overdue"]) for r in rows] == [
        ("company", "CL-01", "500.00", "500.00"),  # 612.50 - 100.00 paid - 12.50 credited
        ("opco", "ATLAS", "1837.50", "1837.50")]  # CL-02 paid everything: not listed
    company, opco = rows
    assert (company["days_31_60"], company["oldest_days_late"], company["dso_days"]) == (
        "500.00", "50", "")  # 50 days after 9 Jan.; no DSO for a company
    assert (opco["days_1_30"], opco["oldest_days_late"], opco["as_of"]) == (
        "1837.50", "9", "2027-02-28")  # from 19 Feb., the deposit's 30 days
    assert (opco["sales_90_days"], opco["dso_days"]) == ("1837.50", "90.0")
    assert sum(Decimal(opco[c]) for c in ("not_yet_due", "days_1_30", "days_31_60",
                                          "days_61_90", "days_over_90")) == Decimal("1837.50")
    residuals = {r["number"]: r["residual"] for r in read(tmp_path / "report" / "invoices.csv")}
    assert residuals["FA-2026-000002"] == "500.00"

    aged = aged_receivables(engine, as_of=as_of)
    assert (aged.open, aged.overdue) == (Decimal("2337.50"), Decimal("2337.50"))
    assert [i.number for i in aged.to_chase] == ["FA-2026-000002", "FA-2026-000001"]
    # before the deposit's term ran out, ATLAS's invoice was not late
    early = aged_receivables(engine, as_of=date(2027, 2, 19))
    assert [i.number for i in early.to_chase] == ["FA-2026-000002"]
