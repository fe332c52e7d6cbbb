"""The bad-file corpus: each bad file is rejected whole, with the line and column named,
nothing of it applied, and the files that do not depend on it still ingested."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from adapters.models import Client, Pec, Programme, Session, Slot, Trainer
from services.ingest import ingest_export
from tests.export_samples import SMALL_EXPORT, write_export

NOW = datetime(2026, 11, 28, 3, 30, tzinfo=UTC)


def rows(engine, model) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(model))


def replace_in(name: str, old: str, new: str) -> dict[str, str]:
    assert old in SMALL_EXPORT[name], f"{old!r} not in {name}"
    return {name.replace(".csv", "_csv"): SMALL_EXPORT[name].replace(old, new, 1)}


CORPUS = {
    # case: (file texts replaced, rejected file, line, column, words of the reason)
    "invalid SIRET": (replace_in("clients.csv", "73282932000074", "73282932000075"),
                      "clients.csv", 3, "siret", "clé de contrôle"),
    "bad date": (replace_in("sessions.csv", "2026-12-07,2026-12-08", "07/12/2026,2026-12-08"),
                 "sessions.csv", 2, "start_date", "AAAA-MM-JJ"),
    "impossible date": (replace_in("sessions.csv", "2026-10-05,2026-10-06", "2026-02-30,2026-10-06"),
                        "sessions.csv", 3, "start_date", "inexistante"),
    "amount with a comma, quoted": (replace_in("sessions.csv", "2450.00", '"2450,00"'),
                                    "sessions.csv", 2, "price_ht", "virgule"),
    "amount with a comma, unquoted": (replace_in("sessions.csv", "2450.00", "2450,00"),
                                      "sessions.csv", 2, "", "15 champs au lieu de 14"),
    "duplicate ref": (replace_in("trainers.csv", "TR-02,", "TR-01,"),
                      "trainers.csv", 3, "trainer_ref", "double (déjà à la ligne 2)"),
    "unknown programme_ref": (replace_in("sessions.csv", "S-002,PR-EXCEL", "S-002,PR-WORD"),
                              "sessions.csv", 3, "programme_ref", "référence inconnue"),
    "missing column": ({"sessions_csv": SMALL_EXPORT["sessions.csv"].replace(
                            "price_ht,", "", 1).replace("2450.00,", "").replace("1800.00,", "")},
                       "sessions.csv", 1, "price_ht", "colonne obligatoire absente"),
    "missing value": (replace_in("trainers.csv", "jf.legall@formateurs.example", ""),
                      "trainers.csv", 3, "email", "obligatoire manquante"),
    "unknown enum": (replace_in("sessions.csv", "opco_subrogation", "opco"),
                     "sessions.csv", 2, "funding", "valeur inconnue"),
    "end before start": (replace_in("sessions.csv", "2026-12-07,2026-12-08", "2026-12-07,2026-12-01"),
                         "sessions.csv", 2, "end_date", "précède"),
    "OPCO unknown to the reference data": (replace_in("pecs.csv", "PEC-1,S-001,ATLAS,",
                                                      "PEC-1,S-001,OPCO_ATLANTIS,"),
                                           "pecs.csv", 2, "opco", "OPCO inconnu ; codes attendus"),
    "invalid IBAN": (replace_in("trainers.csv", "FR7630006000011234567890189",
                                "FR7630006000011234567890188"),
                     "trainers.csv", 2, "iban", "clé de contrôle"),
    "error after a multi-line field": (
        {"programmes_csv": SMALL_EXPORT["programmes.csv"] + SMALL_EXPORT["programmes.csv"]
         .split("\n", 1)[1].replace("PR-EXCEL", "PR-BAD").replace(",14\n", ",quatorze\n")},
        "programmes.csv", 5, "duration_hours", "durée illisible"),
    # a PEC's document is a plain file name in documents/, never a path (issue 14); a NUL cannot
    # be written in a CSV (the reader refuses the file): tests/core/test_file_names.py has it
    "document climbing out": (replace_in("pecs.csv", ",pec-1.pdf", ",../../etc/passwd"),
                              "pecs.csv", 2, "document", "séparateur"),
    "document as an absolute path": (replace_in("pecs.csv", ",pec-1.pdf", ",/etc/passwd"),
                                     "pecs.csv", 2, "document", "chemin absolu"),
    "document on a Windows drive": (replace_in("pecs.csv", ",pec-1.pdf", ",C:\\Windows\\win.ini"),
                                    "pecs.csv", 2, "document", "lecteur"),
    "document in a sub-folder": (replace_in("pecs.csv", ",pec-1.pdf", ",docs/pec.pdf"),
                                 "pecs.csv", 2, "document", "séparateur"),
    "document is the parent folder": (replace_in("pecs.csv", ",pec-1.pdf", ",.."),
                                      "pecs.csv", 2, "document", "dossier"),
}


@pytest.mark.parametrize("case", list(CORPUS))
def test_a_bad_file_is_rejected_whole_with_line_and_column(engine, tmp_path, case):
    replaced, bad_file, line, column, reason = CORPUS[case]
    result = ingest_export(engine, write_export(tmp_path / "export", **replaced), now=NOW)

    rejected = next(o for o in result.files if o.name == bad_file)
    assert rejected.status == "rejected" and rejected.inserted == 0
    located = [e for e in rejected.errors if (e.line, e.column) == (line, column)]
    assert located, [str(e) for e in rejected.errors]
    assert reason in located[0].reason
    assert f"{bad_file}, ligne {line}" in str(located[0])
    model = {"clients.csv": Client, "sessions.csv": Session, "trainers.csv": Trainer,
             "programmes.csv": Programme, "pecs.csv": Pec}[bad_file]
    assert rows(engine, model) == 0  # nothing of the file is applied, not even its good rows


def test_a_file_in_another_encoding_is_rejected_naming_line_and_column(engine, tmp_path):
    folder = write_export(tmp_path / "export")
    (folder / "clients.csv").write_bytes(SMALL_EXPORT["clients.csv"].encode("cp1252"))

    result = ingest_export(engine, folder, now=NOW)

    rejected = next(o for o in result.files if o.name == "clients.csv")
    assert rejected.status == "rejected"
    (error,) = rejected.errors
    assert (error.line, error.column) == (2, "address")  # the "é" of "Opéra"
    assert "UTF-8" in error.reason and "e9" in error.reason
    assert rows(engine, Client) == 0


def test_files_that_do_not_depend_on_a_rejected_file_still_go_in(engine, tmp_path):
    bad_sessions = SMALL_EXPORT["sessions.csv"].replace("2450.00", "2450,5x")
    result = ingest_export(engine, write_export(tmp_path / "export", sessions_csv=bad_sessions),
                           now=NOW)

    status = {o.name: o.status for o in result.files}
    assert status["sessions.csv"] == "rejected"
    assert status["trainers.csv"] == status["clients.csv"] == status["programmes.csv"] \
        == status["pecs.csv"] == "accepted"
    # slots name sessions that only the rejected file defined: rejected too, and said so
    assert status["slots.csv"] == "rejected"
    slot_errors = next(o for o in result.files if o.name == "slots.csv").errors
    assert "sessions.csv, fichier rejeté" in slot_errors[0].reason
    assert rows(engine, Trainer) == 2 and rows(engine, Slot) == 0


def test_a_dependent_file_goes_in_when_its_refs_are_already_known(engine, tmp_path):
    ingest_export(engine, write_export(tmp_path / "v1"), now=NOW)
    bad_sessions = SMALL_EXPORT["sessions.csv"].replace("2450.00", "oops")
    result = ingest_export(engine, write_export(tmp_path / "v2", sessions_csv=bad_sessions),
                           now=NOW)
    status = {o.name: o.status for o in result.files}
    assert status["sessions.csv"] == "rejected" and status["slots.csv"] == "accepted"


def test_every_error_of_a_file_is_listed(engine, tmp_path):
    bad = SMALL_EXPORT["trainers.csv"].replace("73282932000074", "1").replace(
        "DE89370400440532013000", "DE00")
    result = ingest_export(engine, write_export(tmp_path / "export", trainers_csv=bad), now=NOW)
    errors = next(o for o in result.files if o.name == "trainers.csv").errors
    assert {(e.line, e.column) for e in errors} == {(2, "siret"), (3, "iban")}


def test_a_document_path_is_rejected_with_its_value_named(engine, tmp_path):
    replaced = replace_in("pecs.csv", ",pec-1.pdf", ",../../etc/passwd")
    result = ingest_export(engine, write_export(tmp_path / "export", **replaced), now=NOW)

    (error,) = next(o for o in result.files if o.name == "pecs.csv").errors
    assert str(error).startswith("pecs.csv, ligne 2, colonne « document » : séparateur")
    assert "(valeur : « ../../etc/passwd »)" in str(error)


def test_an_export_file_symlinked_out_of_the_folder_is_refused_unread(engine, tmp_path):
    folder = write_export(tmp_path / "export")
    outside = tmp_path / "elsewhere" / "trainers.csv"
    outside.parent.mkdir()
    outside.write_text(SMALL_EXPORT["trainers.csv"], encoding="utf-8")  # valid, yet not ours
    (folder / "trainers.csv").unlink()
    (folder / "trainers.csv").symlink_to(outside)

    result = ingest_export(engine, folder, now=NOW)

    rejected = next(o for o in result.files if o.name == "trainers.csv")
    assert (rejected.status, rejected.rows) == ("rejected", 0)
    (error,) = rejected.errors
    assert error.file == "trainers.csv" and "hors du dossier" in error.reason
    assert str(error).startswith("trainers.csv, ligne 1 : fichier refusé, rien n'en est lu")
    assert rows(engine, Trainer) == 0


def test_an_export_file_symlinked_inside_the_folder_is_read(engine, tmp_path):
    folder = write_export(tmp_path / "export")
    (folder / "trainers.csv").rename(folder / "trainers-2026-11-28.data")
    (folder / "trainers.csv").symlink_to("trainers-2026-11-28.data")

    result = ingest_export(engine, folder, now=NOW)

    assert next(o for o in result.files if o.name == "trainers.csv").status == "accepted"
    assert rows(engine, Trainer) == 2


MASKED = {
    # case: (file, text replaced, invalid value, what the error may show)
    "doubled @": ("trainers.csv", "jf.legall@formateurs.example", "jf.legall@@formateurs.example",
                  "j***@formateurs.example"),
    "space in the address": ("trainers.csv", "jf.legall@formateurs.example",
                             "jf legall@formateurs.example", "j***@formateurs.example"),
    "no dot in the domain": ("clients.csv", "rh@durand.example", "rh.durand@durand", "r***@durand"),
    "no @ at all": ("trainees.csv", "eloise@durand.example", "eloise.durand.example", "***"),
    "IBAN with a wrong key": ("trainers.csv", "FR7630006000011234567890189",
                              "FR7630006000011234567890188", "FR76 **** **** **** **** ***0 188"),
    "IBAN too short": ("trainers.csv", "FR7630006000011234567890189", "FR763000600001123456",
                       "FR76 **** **** **** 3456"),
}


@pytest.mark.parametrize("case", list(MASKED))
def test_a_rejected_address_or_iban_is_masked_in_the_error(engine, tmp_path, case):
    bad_file, old, invalid, shown = MASKED[case]
    result = ingest_export(engine, write_export(tmp_path / "export",
                                                **replace_in(bad_file, old, invalid)), now=NOW)

    (error,) = next(o for o in result.files if o.name == bad_file).errors
    assert error.value == shown
    assert invalid not in str(error) and invalid.split("@")[0] not in str(error)
    assert invalid[4:20] not in str(error)


def test_a_malformed_row_masks_the_addresses_and_ibans_it_shows(engine, tmp_path):
    bad = SMALL_EXPORT["trainers.csv"].replace("Élodie,Marchand", "Élodie,Marchand,extra")
    result = ingest_export(engine, write_export(tmp_path / "export", trainers_csv=bad), now=NOW)

    (error,) = next(o for o in result.files if o.name == "trainers.csv").errors
    assert "champs au lieu de" in error.reason
    assert "elodie.marchand@" not in error.value and "e***@formateurs.example" in error.value


def test_an_encoding_error_masks_the_start_of_the_line_it_quotes(engine, tmp_path):
    folder = write_export(tmp_path / "export")
    text = SMALL_EXPORT["trainers.csv"].replace("Élodie", "Elodie").replace("des Lilas", "des Liés")
    (folder / "trainers.csv").write_bytes(text.encode("cp1252"))

    result = ingest_export(engine, folder, now=NOW)

    (error,) = next(o for o in result.files if o.name == "trainers.csv").errors
    assert (error.line, error.column) == (2, "address")
    assert "e***@formateurs.example" in error.value and "FR76 ****" in error.value
    assert "elodie.marchand" not in error.value and "1234567890189" not in error.value
