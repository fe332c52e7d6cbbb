"""The BPF's optional export columns: absent or empty means unknown; an invalid value rejects
the file with its line, column and value, like any other invalid value."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from adapters.database import unit_of_work
from adapters.models import Programme, Trainee
from backoffice.export_format import SPECS_BY_NAME, RowError, parse_file
from services.ingest import ingest_export
from tests.export_samples import SMALL_EXPORT, write_export

NOW = datetime(2026, 11, 28, 3, 30, tzinfo=UTC)
TRAINEES = SPECS_BY_NAME["trainees.csv"]
PROGRAMMES = SPECS_BY_NAME["programmes.csv"]
HEADER = ["session_ref", "trainee_ref", "first_name", "last_name", "bpf_status"]


def parse(spec, header, *rows):
    return parse_file(spec, header, [(n, row) for n, row in enumerate(rows, 2)])


def test_a_known_status_is_kept_an_empty_cell_is_unknown():
    parsed = parse(TRAINEES, HEADER, ["S-1", "T-1", "A", "B", "salarie"],
                   ["S-1", "T-2", "C", "D", ""], ["S-1", "T-3", "E", "F", "demandeur_emploi"])
    assert parsed.errors == ()
    assert [r["bpf_status"] for r in parsed.records] == ["salarie", None, "demandeur_emploi"]


def test_an_absent_column_is_not_written():
    parsed = parse(TRAINEES, HEADER[:4], ["S-1", "T-1", "A", "B"])
    assert parsed.errors == () and "bpf_status" not in parsed.columns


def test_an_unknown_status_is_an_error_at_its_line_and_column():
    parsed = parse(TRAINEES, HEADER, ["S-1", "T-1", "A", "B", "salarie"],
                   ["S-1", "T-2", "C", "D", "salariée"])
    assert parsed.errors == (RowError(
        "trainees.csv", 3, "bpf_status", "salariée",
        "valeur inconnue ; attendu : salarie, apprenti, demandeur_emploi, particulier, autre"),)


def test_a_programme_s_objective_and_nsf_code_are_checked():
    header = [c.name for c in PROGRAMMES.columns]
    row = ["PR", "T", "O", "C", "P", "A", "M", "E", "Acc", "14"]
    parsed = parse(PROGRAMMES, header, [*row, "rncp_5", "314R"], ["PR1", *row[1:-1], "7", "", ""],
                   ["PR2", *row[1:], "bac", "326"], ["PR3", *row[1:], "autre", "32 6"])
    assert [(e.line, e.column, e.value) for e in parsed.errors] == [
        (4, "objective", "bac"), (5, "nsf_code", "32 6")]
    assert "code NSF invalide" in parsed.errors[1].reason
    first, second = parsed.records
    assert (first["objective"], first["nsf_code"]) == ("rncp_5", "314r")  # the letter lowercased
    assert (second["objective"], second["nsf_code"]) == (None, None)


def test_an_invalid_status_rejects_the_whole_file_and_the_rest_goes_in(engine, tmp_path):
    trainees = SMALL_EXPORT["trainees.csv"].replace(
        "email,job_title\n", "email,job_title,bpf_status\n").replace(
        "Assistante\n", "Assistante,salarie\n").replace("Dupont,,\n", "Dupont,,,apprenti\n").replace(
        "Boulangère\n", "Boulangère,intérimaire\n")
    result = ingest_export(engine, write_export(tmp_path / "x", trainees_csv=trainees), now=NOW)

    assert result.rejected == ["trainees.csv", "attendance.csv"]  # attendance refers to it
    assert str(result.errors[0]) == (
        "trainees.csv, ligne 4, colonne « bpf_status » : valeur inconnue ; attendu : salarie, "
        "apprenti, demandeur_emploi, particulier, autre (valeur : « intérimaire »)")
    with unit_of_work(engine) as db:
        assert db.scalars(select(Trainee)).all() == []
        assert db.scalar(select(Programme.objective)) is None  # an older export: unknown


def test_the_columns_are_stored_and_a_later_export_without_them_keeps_them(engine, tmp_path):
    trainees = SMALL_EXPORT["trainees.csv"].replace(
        "email,job_title\n", "email,job_title,bpf_status\n").replace(
        "Assistante\n", "Assistante,salarie\n").replace("Dupont,,\n", "Dupont,,,\n").replace(
        "Boulangère\n", "Boulangère,particulier\n")
    programmes = SMALL_EXPORT["programmes.csv"].replace(
        "duration_hours\n", "duration_hours,objective,nsf_code\n").replace(
        "formation,14\n", "formation,14,rs,326t\n")
    ingest_export(engine, write_export(tmp_path / "a", trainees_csv=trainees,
                                       programmes_csv=programmes), now=NOW)
    ingest_export(engine, write_export(tmp_path / "b"), now=NOW)  # the columns left out

    with unit_of_work(engine) as db:
        assert sorted(db.execute(select(Trainee.session_ref, Trainee.trainee_ref,
                                        Trainee.bpf_status)).all()) == [
            ("S-001", "T-1", "salarie"), ("S-001", "T-2", None), ("S-002", "T-1", "particulier")]
        assert db.execute(select(Programme.objective, Programme.nsf_code)).one() == ("rs", "326t")
