"""A file name from outside data is a plain name, never a path (issue 14): the core rule, and the
`document` column of pecs.csv that uses it."""

from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backoffice.export_format import SPECS_BY_NAME, parse_file
from backoffice.identifiers import file_name_problem


@pytest.mark.parametrize("name", [
    "pec-1.pdf", "accord-AT-2026-012345.pdf", "Accord PEC n°12 (signé).pdf", "relevé.csv",
    ".pec.pdf", "...pdf", "a" * 251 + ".pdf", "é" * 127,
])
def test_a_plain_file_name_is_accepted(name):
    assert file_name_problem(name) is None


@pytest.mark.parametrize(("name", "reason"), [
    ("../../etc/passwd", "séparateur"),
    ("docs/pec.pdf", "séparateur"),
    ("docs\\pec.pdf", "séparateur"),
    ("pec.pdf/", "séparateur"),
    ("/etc/passwd", "chemin absolu"),
    ("\\\\server\\share\\pec.pdf", "chemin absolu"),
    ("\\pec.pdf", "chemin absolu"),
    ("C:\\Windows\\win.ini", "lecteur"),
    ("C:win.ini", "lecteur"),
    ("c:", "lecteur"),
    (".", "dossier"),
    ("..", "dossier"),
    ("...", "dossier"),
    (" .. ", "dossier"),
    ("", "vide"),
    ("   ", "vide"),
    ("pec\x00.pdf", "contrôle"),
    ("pec.pdf\x00", "contrôle"),
    ("pec\n.pdf", "contrôle"),
    ("pec\t.pdf", "contrôle"),
    ("pec\x7f.pdf", "contrôle"),
    ("pec\x85.pdf", "contrôle"),
    ("relev\udce9.csv", "illisible"),  # a Latin-1 byte read with surrogateescape
    ("a" * 256, "trop long"),
    ("é" * 128, "trop long"),  # 256 bytes in UTF-8
])
def test_anything_else_is_refused_with_a_french_reason(name, reason):
    problem = file_name_problem(name)
    assert problem is not None and reason in problem


def accepted(name: str) -> bool:
    return file_name_problem(name) is None


@given(st.text(min_size=1, max_size=300))
def test_an_accepted_name_joined_to_a_folder_stays_in_it(name):
    if not accepted(name):
        return
    for folder in (PurePosixPath("/srv/export/documents"), PureWindowsPath("D:/export/documents")):
        joined = folder / name
        assert joined.parent == folder
        assert joined.name == name
        assert ".." not in joined.parts and joined.is_absolute()


@given(st.lists(st.sampled_from(["..", ".", "/", "\\", "C:", "a", "é", "\x00", " "]),
                min_size=1, max_size=8).map("".join))
def test_names_made_of_path_pieces_are_refused_unless_plain(name):
    if accepted(name):
        assert not any(char in name for char in "/\\\x00")
        assert name.strip(". ") and name[1:2] != ":"


PECS = SPECS_BY_NAME["pecs.csv"]
HEADER = [column.name for column in PECS.columns]


def pec_row(document: str, pec_ref: str = "PEC-1") -> list[str]:
    values = {"pec_ref": pec_ref, "session_ref": "S-001", "opco": "ATLAS",
              "dossier_number": "AT-2026-012345", "client_siret": "35600000049837",
              "title": "", "start_date": "2026-12-07", "end_date": "2026-12-08", "hours": "14",
              "amount_granted_ht": "2100.00", "subrogation": "yes", "trainees": "",
              "received_at": "2026-11-20T14:00:00+01:00", "document": document}
    return [values[name] for name in HEADER]


@pytest.mark.parametrize("document", ["../../etc/passwd", "/etc/passwd", "C:\\Windows\\win.ini",
                                      "docs/pec.pdf", "..", "pec\x00.pdf"])
def test_a_pec_row_naming_a_path_is_an_invalid_row(document):
    parsed = parse_file(PECS, HEADER, [(2, pec_row(document))])

    assert parsed.records == ()
    (error,) = parsed.errors
    assert (error.file, error.line, error.column, error.value) == ("pecs.csv", 2, "document",
                                                                   document)


def test_a_pec_row_naming_a_plain_file_is_valid_and_the_name_stripped():
    parsed = parse_file(PECS, HEADER, [(2, pec_row(" pec-1.pdf ")), (3, pec_row("", "PEC-2"))])

    assert parsed.errors == ()
    assert [record["document"] for record in parsed.records] == ["pec-1.pdf", None]
