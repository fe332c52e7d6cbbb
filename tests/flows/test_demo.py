"""The demo, as `make demo` runs it, on the embedded defaults: twice, the second changing nothing."""

from __future__ import annotations

import csv

import pytest

from adapters.database import ready_engine
from flows.demo import run_demo
from tests.adapters.test_ingest import snapshot

pytestmark = pytest.mark.prefect


def test_the_demo_runs_and_a_second_run_changes_nothing(data_dirs, prefect_harness, capsys):
    assert run_demo() == 0
    out = capsys.readouterr().out
    engine = ready_engine(f"sqlite:///{data_dirs / 'backoffice.sqlite3'}")
    first = snapshot(engine)

    assert run_demo() == 0

    assert snapshot(engine) == first
    assert len(first["sessions"]) >= 40
    assert "Rapports CSV :" in out and str(data_dirs / "output" / "report") in out
    sessions_csv = (data_dirs / "output" / "report" / "sessions.csv").read_text(encoding="utf-8")
    assert sessions_csv.startswith("session_ref,status,")
    assert ",cancelled," in sessions_csv and ",draft," in sessions_csv
    report = data_dirs / "output" / "report"
    numbers = sorted(row["number"] for row in read_csv(report / "invoices.csv")
                     if row["kind"] == "invoice")
    assert numbers == [f"FA-2026-{n:06d}" for n in range(1, len(numbers) + 1)]  # no gap
    completed = {row["session_ref"] for row in read_csv(report / "sessions.csv")
                 if row["status"] == "completed"}
    invoiced = {row["session_ref"] for row in read_csv(report / "invoices.csv")}
    assert completed <= invoiced
    sent = [row["key"] for row in read_csv(report / "emails.csv")
            if row["key"].startswith("email:invoice:")]
    assert sorted(sent) == sorted(f"email:invoice:{n}" for n in numbers)  # each sent once


def read_csv(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
