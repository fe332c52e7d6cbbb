"""The audit pack says what it lacks, and refuses an unknown or ambiguous request (the full
pack, on the demo's data, is checked in tests/flows/test_demo.py)."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from adapters.audit_pack import AuditPackError, build_audit_pack
from tests.adapters.test_payments import setup_invoices


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
