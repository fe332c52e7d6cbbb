"""The audit pack says what it lacks, and refuses an unknown or ambiguous request (the full
pack, on the demo's data, is checked in tests/flows/test_demo.py)."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from sqlalchemy import update

from adapters.models import Pec
from services.audit_pack import AuditPackError, _write_zip, build_audit_pack
from tests.services.test_payments import setup_invoices


def test_a_pack_lists_what_is_missing_in_its_manifest(engine, tmp_path):
    setup_invoices(engine, tmp_path)

    pack = build_audit_pack(engine, output_dir=tmp_path / "out", export_dir=tmp_path / "export",
                            session_ref="S-002")

    assert pack.path == tmp_path / "out" / "audit-packs" / "S-002.zip"
    with zipfile.ZipFile(pack.path) as archive:
        manifest = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
        names = archive.namelist()
    assert "formateur/factures-deposees.csv" in names
    lacking = [row["proves"] for row in manifest if not row["file"]]
    assert "MANQUE : session S-002 : aucun document produit" in lacking
    assert "MANQUE : session S-002 : formateur pas encore payé" in lacking
    assert any("PDF pas encore produit" in item for item in pack.missing)


@pytest.mark.parametrize(("session", "dossier", "message"), [
    ("S-404", None, "session S-404 inconnue"),
    (None, "XX-0", "aucune session pour le dossier OPCO XX-0"),
    ("S-001", "AT-1", "un seul des deux"),
    (None, None, "un seul des deux"),
])
def test_an_impossible_pack_is_refused(engine, tmp_path, session, dossier, message):
    setup_invoices(engine, tmp_path)
    with pytest.raises(AuditPackError, match=message):
        build_audit_pack(engine, output_dir=tmp_path, export_dir=tmp_path, session_ref=session,
                         dossier_number=dossier)


# --- the PEC document is a name inside export/documents/, never a path (issue 14) -------------

SECRET = b"root:x:0:0:not for an OPCO"


def pack_of_s001(engine, tmp_path) -> tuple[list[str], list[dict[str, str]], list[bytes]]:
    pack = build_audit_pack(engine, output_dir=tmp_path / "out", export_dir=tmp_path / "export",
                            session_ref="S-001")
    with zipfile.ZipFile(pack.path) as archive:
        names = archive.namelist()
        manifest = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
        contents = [archive.read(name) for name in names]
    return names, manifest, contents


def store_document(engine, document: str) -> None:
    """The PEC row as an older version, which took any value, may have stored it."""
    with engine.begin() as connection:
        connection.execute(update(Pec).where(Pec.pec_ref == "PEC-1").values(document=document))


def assert_plain_relative(names: list[str]) -> None:
    for name in names:
        parts = name.split("/")
        assert not name.startswith("/") and "\\" not in name and ":" not in name, name
        assert all(part not in ("", ".", "..") for part in parts), name


def test_a_pec_document_in_the_export_goes_in_the_pack(engine, tmp_path):
    setup_invoices(engine, tmp_path)
    (tmp_path / "export" / "documents").mkdir()
    (tmp_path / "export" / "documents" / "pec-1.pdf").write_bytes(b"%PDF-1.7 accord")

    names, manifest, _ = pack_of_s001(engine, tmp_path)

    assert "pec/pec-1.pdf" in names
    assert any(row["file"] == "pec/pec-1.pdf" and "PEC PEC-1" in row["proves"] for row in manifest)
    assert_plain_relative(names)


@pytest.mark.parametrize("document", ["../../etc/passwd", "/etc/passwd", "..\\..\\etc\\passwd",
                                      "pec-1.pdf/../../../etc/passwd"])
def test_a_stored_document_path_is_never_read(engine, tmp_path, document):
    setup_invoices(engine, tmp_path)
    (tmp_path / "export" / "documents").mkdir()
    (tmp_path / "etc").mkdir()  # where export/documents/../../etc/passwd leads
    (tmp_path / "etc" / "passwd").write_bytes(SECRET)
    store_document(engine, document)

    names, manifest, contents = pack_of_s001(engine, tmp_path)

    assert not any(name.startswith("pec/") or "passwd" in name for name in names)
    assert not any(SECRET in data or b"root:" in data for data in contents)
    lacking = [row["proves"] for row in manifest if not row["file"]]
    (line,) = [item for item in lacking if "PEC PEC-1" in item]
    assert line.startswith(f"MANQUE : PEC PEC-1 : document « {document} » non lu : ")
    assert "un nom de fichier seul est attendu" in line
    assert_plain_relative(names)


def test_a_document_symlinked_out_of_the_documents_folder_is_never_read(engine, tmp_path):
    setup_invoices(engine, tmp_path)
    (tmp_path / "export" / "documents").mkdir()
    (tmp_path / "secret.pdf").write_bytes(SECRET)
    (tmp_path / "export" / "documents" / "pec-1.pdf").symlink_to(tmp_path / "secret.pdf")

    names, manifest, contents = pack_of_s001(engine, tmp_path)

    assert not any(name.startswith("pec/") for name in names)
    assert not any(SECRET in data for data in contents)
    (line,) = [row["proves"] for row in manifest if "PEC PEC-1" in row["proves"]]
    assert line.startswith("MANQUE : PEC PEC-1 : document « pec-1.pdf » non lu : mène hors du "
                           "dossier")
    assert_plain_relative(names)


@pytest.mark.parametrize("name", ["../evil.pdf", "/abs.pdf", "a//b.pdf", "pec/..", "a\\b.pdf",
                                  "C:/x.pdf", ""])
def test_a_zip_entry_that_is_not_a_plain_relative_name_is_refused(tmp_path, name):
    with pytest.raises(AuditPackError, match="entrée de zip"):
        _write_zip(tmp_path / "pack.zip", {"pec/ok.pdf": (b"ok", ""), name: (b"x", "")}, [])
    assert not (tmp_path / "pack.zip").exists()


def test_a_pack_name_that_is_a_path_is_refused(engine, tmp_path):
    setup_invoices(engine, tmp_path)
    with pytest.raises(AuditPackError, match="nom de pack impossible"):
        build_audit_pack(engine, output_dir=tmp_path / "out", export_dir=tmp_path / "export",
                         dossier_number="../../../tmp/x")
    assert not (tmp_path / "out").exists()
