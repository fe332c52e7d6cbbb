"""The command line runs the same flows: exit codes and what it prints."""

from __future__ import annotations

import pytest

from ops.cli import main
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


def test_operator_input_is_refused_in_french_without_a_traceback(pipeline_env, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["nightly", "--as-of", "30/11/2026"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "« 30/11/2026 » : date invalide : format AAAA-MM-JJ attendu" in err
    assert "Traceback" not in err and "invalid " not in err

    assert main(["backfill", "--start", "2026-12-08", "--end", "2026-12-05"]) == 2
    err = capsys.readouterr().err
    assert "ERREUR période vide : la fin (5 décembre 2026) précède le début" in err

    assert main(["audit-pack", "--session", "S-404"]) == 1
    err = capsys.readouterr().err
    assert "ERREUR Dossier d'audit impossible : session S-404 inconnue." in err
    assert "Traceback" not in err
