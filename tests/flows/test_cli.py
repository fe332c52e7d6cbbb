"""The command line runs the same flows: exit codes and what it prints."""

from __future__ import annotations

import pytest

from flows.cli import main
from tests.export_samples import SMALL_EXPORT, write_export

pytestmark = pytest.mark.prefect


def test_ingest_then_report(pipeline_env, tmp_path, capsys):
    assert main(["ingest", str(write_export(tmp_path / "export"))]) == 0
    assert "sessions.csv" in capsys.readouterr().out

    assert main(["report", "--out", str(tmp_path / "report")]) == 0
    assert (tmp_path / "report" / "sessions.csv").read_text(encoding="utf-8").count("\n") == 3


def test_ingest_of_a_bad_file_exits_non_zero_naming_line_and_column(pipeline_env, tmp_path,
                                                                    capsys):
    bad = SMALL_EXPORT["sessions.csv"].replace("2450.00", '"2450,00"')
    assert main(["ingest", str(write_export(tmp_path / "export", sessions_csv=bad))]) == 1
    assert "sessions.csv, ligne 2, colonne « price_ht »" in capsys.readouterr().err
