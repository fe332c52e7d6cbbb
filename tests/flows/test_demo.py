"""The demo, as `make demo` runs it, on the embedded defaults: twice, the second changing nothing."""

from __future__ import annotations

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
