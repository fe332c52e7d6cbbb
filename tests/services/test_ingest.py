"""Ingesting the platform export, on SQLite and PostgreSQL (the `engine` fixture runs both)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select, text

from adapters.models import Base, RowHistory, Session, Slot, Trainer
from services.ingest import ExportFolderError, IngestResult, ingest_export
from tests.export_samples import SMALL_EXPORT, write_export

NOW = datetime(2026, 11, 28, 3, 30, tzinfo=UTC)


def ingest(engine, folder) -> IngestResult:
    return ingest_export(engine, folder, now=NOW)


def snapshot(engine) -> dict[str, list[tuple]]:
    """Every row of every table, read back with raw SQL (the code under test does not judge);
    but the steps' work queue, `session_changes`, which is what is left to look at, not what was
    decided: a run after a funding change looks at its sessions once more and clears their marks."""
    with engine.connect() as connection:
        return {table.name: sorted(map(tuple, connection.execute(
                    text(f"SELECT * FROM {table.name}")).all()), key=repr)
                for table in Base.metadata.sorted_tables if table.name != "session_changes"}


def outcome(result: IngestResult, name: str):
    return next(o for o in result.files if o.name == name)


def count(engine, model) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(model))


def test_a_valid_export_goes_in_whole_with_exact_types(engine, tmp_path):
    result = ingest(engine, write_export(tmp_path / "export"))

    assert result.errors == [] and result.rejected == []
    assert {o.name: o.inserted for o in result.files if o.status == "accepted"} == {
        "trainers.csv": 2, "clients.csv": 2, "programmes.csv": 1, "sessions.csv": 2,
        "slots.csv": 4, "trainees.csv": 3, "pecs.csv": 1, "attendance.csv": 3,
        "completions.csv": 1, "trainer_invoices.csv": 1}
    with engine.connect() as connection:
        session = connection.execute(select(Session).where(Session.session_ref == "S-001")).one()
        trainer = connection.execute(select(Trainer).where(Trainer.trainer_ref == "TR-01")).one()
    assert session.price_ht == Decimal("2450.00") and isinstance(session.price_ht, Decimal)
    assert session.hours_per_trainee == Decimal("14")
    assert session.validated_at == datetime(2026, 11, 2, 9, 12, tzinfo=UTC)
    assert trainer.first_name == "Élodie" and trainer.self_billing is True


def test_ingesting_the_same_export_again_changes_nothing(engine, tmp_path):
    folder = write_export(tmp_path / "export")
    ingest(engine, folder)
    before = snapshot(engine)

    again = ingest(engine, folder)

    assert again.changed == 0
    assert all(o.unchanged == o.rows for o in again.files if o.status == "accepted")
    assert snapshot(engine) == before


def test_a_changed_row_updates_the_entity_and_keeps_its_history(engine, tmp_path):
    ingest(engine, write_export(tmp_path / "v1"))
    changed = SMALL_EXPORT["sessions.csv"].replace("2450.00,1500.00", "2600.00,1500.00")
    result = ingest(engine, write_export(tmp_path / "v2", sessions_csv=changed))

    assert outcome(result, "sessions.csv").updated == 1
    with engine.connect() as connection:
        price = connection.scalar(select(Session.price_ht).where(Session.session_ref == "S-001"))
        history = connection.execute(select(RowHistory)).one()
    assert price == Decimal("2600.00")
    assert (history.entity, history.ref) == ("session", "S-001")
    assert history.before == {"price_ht": "2450.00"} and history.after == {"price_ht": "2600.00"}
    assert history.source.endswith("v2/sessions.csv")


def test_a_row_missing_from_a_later_export_is_kept(engine, tmp_path):
    ingest(engine, write_export(tmp_path / "v1"))
    only_first = "\n".join(SMALL_EXPORT["slots.csv"].splitlines()[:2]) + "\n"
    ingest(engine, write_export(tmp_path / "v2", slots_csv=only_first))
    assert count(engine, Slot) == 4


def test_an_absent_optional_column_does_not_erase_stored_values(engine, tmp_path):
    ingest(engine, write_export(tmp_path / "v1"))
    lines = SMALL_EXPORT["trainers.csv"].splitlines()
    without_nda = "\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != 5)
                            for line in lines[:2]) + "\n"
    result = ingest(engine, write_export(tmp_path / "v2", trainers_csv=without_nda))
    assert outcome(result, "trainers.csv").updated == 0
    with engine.connect() as connection:
        assert connection.scalar(select(Trainer.nda).where(Trainer.trainer_ref == "TR-01")) \
            == "11755555575"


def test_absent_files_bom_extra_columns_and_unknown_files(engine, tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "trainers.csv").write_text(
        "\ufeff" + SMALL_EXPORT["trainers.csv"].replace("city\n", "city,comment\n", 1)
        .replace("Lyon\n", "Lyon,ignored\n").replace(",,,\n", ",,,,\n"), encoding="utf-8")
    (folder / "sessions_old.csv").write_text("x\n1\n", encoding="utf-8")

    result = ingest(engine, folder)

    assert outcome(result, "trainers.csv").inserted == 2
    assert outcome(result, "clients.csv").status == "absent"
    assert outcome(result, "sessions_old.csv").status == "ignored"


def test_a_folder_that_does_not_exist_is_an_error(engine, tmp_path):
    with pytest.raises(ExportFolderError, match="introuvable"):
        ingest(engine, tmp_path / "nowhere")


def test_a_night_reads_only_the_stored_rows_its_files_name(engine, tmp_path):
    """The upsert compares a file with the stored rows of the refs it holds, not with the whole
    history of the table (an export holds the live sessions; the database, years of them)."""
    folder = write_export(tmp_path / "export")
    ingest(engine, folder)
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        again = ingest(engine, folder)
    finally:
        event.remove(engine, "before_cursor_execute", record)

    assert again.changed == 0
    reads = [s for s in statements if s.startswith("SELECT") and any(
        f"FROM {table} " in f"{s} " for table in ("slots", "attendance", "completions", "pecs",
                                                  "trainer_invoices"))]
    assert len(reads) == 5 and all(" WHERE " in s and " IN " in s for s in reads), reads
