"""Batched writes (`insert_rows`, `update_rows`) on SQLite and PostgreSQL: the values read back are
those the ORM would have stored, exact decimals, JSON and aware times included."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from adapters.database import insert_rows, unit_of_work, update_rows
from adapters.models import AuditEntry, BankLine, LegacyInvoice, StatementFile

NOW = datetime(2027, 1, 5, 3, 30, tzinfo=UTC)


def legacy(number: str, amount: str) -> dict:
    return {"number": number, "funder_name": "OPCO EP", "funder_kind": "opco", "dossier_number": None,
            "session_ref": None, "amount_ttc": Decimal(amount), "issue_date": date(2025, 11, 30),
            "funder_iban": None, "paid_amount": Decimal("0.00"), "status": "issued"}


def test_rows_inserted_in_one_batch_read_back_as_the_orm_writes_them(engine):
    with unit_of_work(engine) as db:
        insert_rows(db, AuditEntry.__table__, [
            {"at": NOW + timedelta(seconds=n), "actor": "pipeline", "action": "payment.applied",
             "subject": str(n), "reason": "sûr", "inputs": {"montant": f"{n}.10", "preuves": ["é"]}}
            for n in range(3)])
    with unit_of_work(engine) as db:
        entries = list(db.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert [(e.at, e.subject, e.inputs) for e in entries] == [
        (NOW + timedelta(seconds=n), str(n), {"montant": f"{n}.10", "preuves": ["é"]}) for n in range(3)]


def test_a_value_shared_by_every_row_is_stored_in_each(engine):
    with unit_of_work(engine) as db:  # one object throughout: converted once, stored in every row
        insert_rows(db, AuditEntry.__table__, [
            {"at": NOW, "actor": "pipeline", "action": "payment.applied", "subject": str(n), "reason": "sûr",
             "inputs": {}} for n in range(3)])
    with unit_of_work(engine) as db:
        assert list(db.scalars(select(AuditEntry.at))) == [NOW] * 3


def test_a_large_batch_keeps_every_row_and_the_connection_settings(engine):
    rows = 10_001  # past the size given a bigger SQLite page cache for itself
    with unit_of_work(engine) as db:
        # pending, not flushed: the batch flushes it first (the lines refer to it)
        db.add(StatementFile(id=41, sha256="0" * 64, name="sg.csv", profile="sg", account="", lines=rows,
                             new_lines=rows, imported_at=NOW))
        cache = db.connection().exec_driver_sql("PRAGMA cache_size").scalar() \
            if engine.dialect.name == "sqlite" else None
        insert_rows(db, BankLine.__table__, [
            {"file_id": 41, "line": n, "account": "", "fingerprint": f"{n:064d}",
             "booking_date": date(2027, 1, 4), "value_date": None, "amount": Decimal(f"{n}.01"),
             "label": "VIR", "counterparty": "", "counterparty_iban": "", "reference": "", "bank_id": "",
             "duplicate_of": None, "classification": "funder_payment"} for n in range(rows)])
        if cache is not None:
            assert db.connection().exec_driver_sql("PRAGMA cache_size").scalar() == cache
    with unit_of_work(engine) as db:
        amounts = list(db.scalars(select(BankLine.amount).order_by(BankLine.line)))
    assert amounts == [Decimal(f"{n}.01") for n in range(rows)]


def test_rows_updated_in_one_batch_by_their_key_change_only_those(engine):
    with unit_of_work(engine) as db:
        insert_rows(db, LegacyInvoice.__table__, [legacy("F-1", "980.00"), legacy("F-2", "120.00"),
                                                  legacy("F-3", "75.50")])
        update_rows(db, LegacyInvoice.__table__, "number", [
            {"number": "F-1", "paid_amount": Decimal("980.00"), "status": "paid"},
            {"number": "F-3", "paid_amount": Decimal("0.01"), "status": "partly_paid"}])
        update_rows(db, LegacyInvoice.__table__, "number", [])  # nothing to write: nothing written
    with unit_of_work(engine) as db:
        found = {i.number: (i.paid_amount, i.status) for i in db.scalars(select(LegacyInvoice))}
    assert found == {"F-1": (Decimal("980.00"), "paid"), "F-2": (Decimal("0.00"), "issued"),
                     "F-3": (Decimal("0.01"), "partly_paid")}
