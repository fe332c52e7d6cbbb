"""A backfill over a period leaves what the nightly runs of those days would have left: the same
rows, files and e-mails; and running it again changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from adapters.clock import FixedClock, use_clock
from adapters.database import ready_engine
from adapters.settings import Settings, get_settings
from flows.backfill import backfill, idempotency_key
from flows.nightly import nightly
from flows.parameters import Period
from tests.export_samples import SMALL_EXPORT, write_export
from tests.services.test_ingest import snapshot

START, END = date(2026, 12, 5), date(2026, 12, 8)
# The project's clock (adapters/clock.py) stamps audit and outbox rows and the SEPA files'
# creation time; fixed here, so that two runs made seconds apart can be compared byte for byte.
# (The factur-x package stamps its PDFs' metadata and the dossier ZIPs their members with the
# wall clock; neither is a business value, and neither is rewritten by a re-run.)
CLOCK = datetime(2026, 12, 9, 3, 30, tzinfo=UTC)
# S-003 starts on 8 December without a PEC: a D-7 reminder (late, on the 5th), the D-2 reminder
# on the 6th, and the switch to company billing on the 8th; S-001 gets its green light.
EXPORT = {
    **SMALL_EXPORT,
    "sessions.csv": SMALL_EXPORT["sessions.csv"] + (
        "S-003,PR-EXCEL,TR-01,CL-01,2026-12-08,2026-12-08,7,presentiel,\"18 avenue de "
        "l'Opéra, 75001 Paris\",1200.00,700.00,opco_subrogation,2026-11-16T10:00:00+01:00,\n"),
    "slots.csv": SMALL_EXPORT["slots.csv"] + "S-003,2026-12-08,09:00,12:30\n"
                                             "S-003,2026-12-08,13:30,17:00\n",
    "trainees.csv": SMALL_EXPORT["trainees.csv"] + "S-003,T-1,Inès,Morel,ines@durand.example,RH\n",
}


def backfill_dates(start: date, end: date) -> list[date]:
    return Period(start=start, end=end).days()


def test_the_period_is_every_calendar_date_in_order():
    assert backfill_dates(date(2026, 12, 30), date(2027, 1, 2)) == [
        date(2026, 12, 30), date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 2)]
    assert backfill_dates(START, START) == [START]
    assert idempotency_key(START) == "backfill-nightly-2026-12-05"
    with pytest.raises(ValueError, match=r"la fin \(5 décembre 2026\) précède le début"):
        backfill_dates(END, START)
    with pytest.raises(ValueError, match="au plus 366"):
        backfill_dates(START, START + timedelta(days=400))
    with pytest.raises(ValueError, match=r"« 30/11/2026 » : date invalide : format AAAA-MM-JJ"):
        Period(start="30/11/2026", end=END)


@pytest.fixture
def worlds(tmp_path, monkeypatch, prefect_harness):
    """`use(name)`: a fresh data folder (SQLite database, inbox with EXPORT, outputs, outbox)."""
    # the clock stamps audit rows and the SEPA files' creation time (CreDtTm), honestly: both
    # worlds get the same one; the PDFs and zips do not depend on it
    monkeypatch.delenv("DATABASE_URL", raising=False)

    def use(name: str) -> Settings:
        monkeypatch.setenv("BACKOFFICE_DATA_DIR", str(tmp_path / name))
        get_settings.cache_clear()
        settings = get_settings()
        write_export(settings.export_inbox, EXPORT)
        return settings

    with use_clock(FixedClock(CLOCK)):
        yield use
    get_settings.cache_clear()


def state(settings: Settings) -> tuple[dict, dict[str, bytes]]:
    """Every row of every table (the data folder's path written `<data>`), and every file under
    the data folder but the database."""
    files = {str(path.relative_to(settings.data_dir)): path.read_bytes()
             for path in sorted(settings.data_dir.rglob("*"))
             if path.is_file() and not path.name.startswith("backoffice.sqlite3")}
    folder = str(settings.data_dir)
    rows = {table: [tuple(v.replace(folder, "<data>") if isinstance(v, str) else v for v in row)
                    for row in table_rows]
            for table, table_rows in snapshot(ready_engine(settings.database_url)).items()}
    return rows, files


def emails(files: dict[str, bytes]) -> list[str]:
    return sorted(Path(name).name.rsplit("-", 1)[0] for name in files if name.endswith(".eml"))


@pytest.mark.prefect
def test_a_backfill_equals_the_nightly_runs_of_each_day_and_a_second_one_changes_nothing(worlds):
    nightly_world = worlds("nightly")
    for day in backfill_dates(START, END):
        assert nightly(as_of=day, return_state=True).is_completed()
    expected_rows, expected_files = state(nightly_world)

    backfill_world = worlds("backfill")
    assert backfill(period=Period(start=START, end=END)) == backfill_dates(START, END)
    rows, files = state(backfill_world)

    assert rows == expected_rows
    assert files.keys() == expected_files.keys()
    assert files == expected_files  # documents, invoices, e-mails: byte for byte
    assert emails(files) == [  # what the period did, each sent once
        "email-attendance-sheets-S-001-v1", "email-attendance-sheets-S-003-v1",
        "email-bundle-S-001-v1", "email-bundle-S-003-v1", "email-bundle-notice-S-001-v1",
        "email-bundle-notice-S-003-v1", "email-company-billing-S-003-client",
        "email-company-billing-S-003-trainer", "email-convocation-S-001-T-1-v1",
        "email-convocation-S-001-T-2-v1", "email-convocation-S-003-T-1-v1",
        "email-green-light-S-001", "email-invoice-FA-2026-000001",
        "email-pec-reminder-S-003-J-2-client", "email-pec-reminder-S-003-J-2-trainer",
        "email-pec-reminder-S-003-J-7-client", "email-pec-reminder-S-003-J-7-trainer"]

    assert backfill(period=Period(start=START, end=END)) == backfill_dates(START, END)
    assert state(backfill_world) == (rows, files)
