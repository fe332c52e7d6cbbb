"""Issue 18, part 2: saved column mappings, as data files (adapters/bank_mappings.py).

A mapping per bank, named by its file, in the project (`data/bank_mappings/`) or the installation
(`$BACKOFFICE_DATA_DIR/bank_mappings/`, which wins); headerless layouts by column position; a
currency column checked; a missing mapped column named alone; the rejection of an unknown layout
says how to give a mapping."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.bank_files import ParsedStatement, read_statement
from adapters.bank_mappings import (
    PROJECT_MAPPINGS,
    MappingError,
    load_mapping,
    mapping_folders,
    saved_mapping_names,
)

SAMPLES = Path(__file__).parent / "samples"


def folders(tmp_path: Path) -> tuple[Path, ...]:
    return mapping_folders(tmp_path / "data")


def save(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / "data" / "bank_mappings"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def parsed(path: Path, **options) -> ParsedStatement:
    result = read_statement(path, **options)
    assert isinstance(result, ParsedStatement), [str(e) for e in result]
    return result


def test_the_project_s_example_mapping_reads_a_bank_without_a_profile(tmp_path):
    assert "exemple-autre-banque" in saved_mapping_names(folders(tmp_path))
    saved = load_mapping("exemple-autre-banque", folders(tmp_path))
    assert (saved.version, saved.path) == ("1", PROJECT_MAPPINGS / "exemple-autre-banque.toml")
    result = parsed(SAMPLES / "autre_banque.csv", mapping=saved.mapping)
    assert result.profile == "correspondance-exemple-autre-banque"
    assert [(line.booking_date, line.amount, line.label, line.reference) for line in result.lines] == [
        (date(2026, 3, 2), Decimal("1980.00"), "VIREMENT OPCO 2I FA-2026-000170", "OPCO2I-000170"),
        (date(2026, 3, 3), Decimal("-1450.00"), "PRLV LOYER LOCAUX MARS", "LOY-2603")]


def test_the_installation_s_mapping_wins_over_the_project_s(tmp_path):
    save(tmp_path, "exemple-autre-banque", 'version = 7\n[columns]\ndate = "Date"\nlabel = "Libellé"\n'
                                           'amount = "Montant"\n')
    saved = load_mapping("exemple-autre-banque", folders(tmp_path))
    assert saved.version == "7" and saved.path.parent == tmp_path / "data" / "bank_mappings"
    assert "reference" not in saved.mapping


@pytest.mark.parametrize(("name", "text", "message"), [
    ("absente", None, "correspondance « absente » inconnue ; enregistrées : exemple-autre-banque"),
    ("../etc", None, "correspondance « ../etc » inconnue"),
    ("casse", "[columns\n", "fichier TOML illisible"),
    ("cle", 'banque = "x"\n[columns]\ndate = "Date"\n', "clé(s) inconnue(s) : banque"),
    ("sans-colonnes", 'version = 1\n', "section [columns] absente"),
    ("sans-libelle", '[columns]\ndate = "Date"\namount = "Montant"\n',
     "les colonnes « date » et « label » sont obligatoires"),
    ("role", '[columns]\ndate = "Date"\nlabel = "L"\namount = "M"\nsolde = "Solde"\n',
     "rôle(s) inconnu(s) : solde"),
    ("positions", 'header = false\n[columns]\ndate = "Date"\nlabel = 2\namount = 3\n',
     "« date » : un numéro de colonne (1, 2…) attendu, pas « Date »"),
])
def test_a_mapping_that_cannot_work_is_refused_naming_its_file(tmp_path, name, text, message):
    if text is not None:
        path = save(tmp_path, name, text)
    with pytest.raises(MappingError) as refused:
        load_mapping(name, folders(tmp_path))
    assert message in str(refused.value)
    if text is not None:
        assert str(refused.value).startswith(str(path))


HEADERLESS = """Relevé du compte 00012345678;;;;
03/03/2026;VIR OPCO MOBILITES;1980,00;FA-2026-000171;EUR
04/03/2026;PRLV LOYER;-1450,00;LOY-2603;EUR
"""


def headerless_mapping(tmp_path: Path, extra: str = "") -> dict[str, str]:
    save(tmp_path, "banque-sans-entete", f"""version = 1
bank = "Banque sans en-tête"
header = false
skip_lines = 1
{extra}
[columns]
date = 1
label = [2, 4]
reference = 4
amount = 3
currency = 5
""")
    return load_mapping("banque-sans-entete", folders(tmp_path)).mapping


def test_a_headerless_layout_is_mapped_by_column_position(tmp_path):
    path = tmp_path / "releve.csv"
    path.write_text(HEADERLESS, encoding="utf-8")
    result = parsed(path, mapping=headerless_mapping(tmp_path))
    assert result.profile == "correspondance-banque-sans-entete"
    assert [(line.line, line.booking_date, line.amount, line.label, line.reference)
            for line in result.lines] == [
        (2, date(2026, 3, 3), Decimal("1980.00"), "VIR OPCO MOBILITES FA-2026-000171", "FA-2026-000171"),
        (3, date(2026, 3, 4), Decimal("-1450.00"), "PRLV LOYER LOY-2603", "LOY-2603")]
    assert result.lines[0].raw == {"colonne 1": "03/03/2026", "colonne 2": "VIR OPCO MOBILITES",
                                   "colonne 3": "1980,00", "colonne 4": "FA-2026-000171",
                                   "colonne 5": "EUR"}


def test_a_headerless_row_wider_than_the_mapping_is_rejected_unless_its_width_is_given(tmp_path):
    path = tmp_path / "releve.csv"
    path.write_text(HEADERLESS.replace(";EUR\n", ";EUR;x\n"), encoding="utf-8")
    errors = read_statement(path, mapping=headerless_mapping(tmp_path))
    assert isinstance(errors, list) and [(e.line, e.reason) for e in errors] == [
        (2, "6 champs au lieu de 5 (ceux de l'en-tête)"), (3, "6 champs au lieu de 5 (ceux de l'en-tête)")]
    assert len(parsed(path, mapping=headerless_mapping(tmp_path, "width = 6")).lines) == 2


def test_a_line_in_another_currency_rejects_the_file_with_the_reason(tmp_path):
    path = tmp_path / "releve.csv"
    path.write_text(HEADERLESS.replace("LOY-2603;EUR", "LOY-2603;USD"), encoding="utf-8")
    errors = read_statement(path, mapping=headerless_mapping(tmp_path))
    assert isinstance(errors, list)
    assert [(e.file, e.line, e.column, e.value) for e in errors] == [("releve.csv", 3, "colonne 5", "USD")]
    assert str(errors[0]) == ("releve.csv, ligne 3, colonne « colonne 5 » : devise autre que l'euro : "
                              "non prise en charge (valeur : « USD »)")


def test_a_currency_column_by_name(tmp_path):
    path = tmp_path / "autre.csv"
    path.write_text("Date;Libellé;Montant;Devise\n02/03/2026;VIR X;10,00;EUR\n03/03/2026;VIR Y;12,00;GBP\n",
                    encoding="utf-8")
    mapping = {"date": "Date", "label": "Libellé", "amount": "Montant", "currency": "Devise"}
    errors = read_statement(path, mapping=mapping)
    assert isinstance(errors, list) and [(e.line, e.column, e.value) for e in errors] == [
        (3, "Devise", "GBP")]


def test_a_missing_mapped_column_is_named_alone(tmp_path):
    path = tmp_path / "autre.csv"
    path.write_text("Compte 123;;\n\nDate;Libellé;Montant\n02/03/2026;VIR X;10,00\n", encoding="utf-8")
    errors = read_statement(path, mapping={"date": "Date", "label": "Libellé", "amount": "Montant",
                                           "currency": "Devise"})
    assert isinstance(errors, list)
    assert [(e.line, e.column, e.value, e.reason) for e in errors] == [
        (3, "Devise", "", "colonne de la correspondance absente de l'en-tête")]


def test_the_rejection_of_an_unknown_layout_says_how_to_give_a_mapping():
    errors = read_statement(SAMPLES / "autre_banque.csv")
    assert isinstance(errors, list)
    reason = errors[0].reason
    assert "format de relevé non reconnu" in reason
    for how in ("bank_mappings/", "BACKOFFICE_DATA_DIR", "data/bank_mappings/",
                "backoffice import-statements --mapping <nom> FICHIER", "« mapping » du déploiement "
                "import-statements", "sous-dossier <nom> de la boîte de dépôt bancaire", "docs/payments.md"):
        assert how in reason
