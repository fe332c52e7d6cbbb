"""Attendance evidence (issue #17 §1-2), on SQLite and PostgreSQL: the optional columns of
attendance.csv, the completed attendance sheets made from them (SHA-256, in the audit pack), a
half-day without evidence counting no hour and listed for review, old exports still valid."""

from __future__ import annotations

import csv
import io
import zipfile

from sqlalchemy import select

from adapters.database import unit_of_work
from adapters.models import DocumentFile, ReviewItem
from services.audit_pack import build_audit_pack
from services.ingest import ingest_export
from tests.export_samples import SMALL_EXPORT, write_export
from tests.services.test_documents import NOW, WITH_ALL_SLOTS, files, generate, pdf_text, prepare

# S-002 is at a distance: T-1 connected and signed the 5th; the 6th morning absent; the 6th
# afternoon declared present with no signature nor connection
EVIDENCE = """\
session_ref,trainee_ref,date,half_day,status,minutes,trainee_signed_at,trainer_signed_at,signature_method,login_at,logout_at
S-002,T-1,2026-10-05,am,present,,2026-10-05T09:02:00+02:00,2026-10-05T12:35:00+02:00,electronic,2026-10-05T08:58:00+02:00,2026-10-05T12:31:00+02:00
S-002,T-1,2026-10-05,pm,present,150,2026-10-05T13:41:00+02:00,2026-10-05T17:02:00+02:00,electronic,2026-10-05T13:35:00+02:00,2026-10-05T16:05:00+02:00
S-002,T-1,2026-10-06,am,absent,,,2026-10-06T12:33:00+02:00,electronic,,
S-002,T-1,2026-10-06,pm,present,,,,,,
"""


def test_evidence_makes_completed_sheets_and_the_certificate_hours(engine, tmp_path):
    prepare(engine, tmp_path, attendance_csv=EVIDENCE, **WITH_ALL_SLOTS)
    out = tmp_path / "out"
    report = generate(engine, out, session_refs=["S-002"])

    assert [(p.kind, p.version) for p in report.produced] == [("attendance", 1),
                                                              ("certificates", 1)]
    stored = files(engine)
    sheet = pdf_text(out / stored[("S-002", "attendance", 1, "emargement-signe")])
    for fact in ("Feuille d'émargement complétée", "5 octobre 2026", "matin, 09:00–12:30",
                 "Ana Silva", "09:02 (électronique)",
                 "08:58 – 12:31", "présent 150 min", "13:41 (électronique)", "absent",
                 "présent, sans preuve", "12:35 (électronique)", "non signée"):
        assert fact in sheet, fact
    # 3.5 h the 5th morning + 150 min the afternoon; the 6th afternoon has no evidence
    certificate = pdf_text(out / stored[("S-002", "certificates", 1, "certificat-T-1")])
    assert "pour une durée de 6 h" in certificate
    with unit_of_work(engine) as db:
        item = db.scalar(select(ReviewItem).where(ReviewItem.key == "evidence:S-002"))
        sha = db.scalar(select(DocumentFile.sha256).where(DocumentFile.name == "emargement-signe"))
    assert item.status == "open" and item.kind == "evidence"
    assert item.reasons == [
        "demi-journées déclarées présentes sans preuve (signatures du stagiaire et du formateur, "
        "ou connexion) : Ana Silva le 6 octobre 2026 après-midi ; non comptées ni facturées à "
        "l'OPCO tant que la plateforme n'en transmet pas la preuve"]

    pack = build_audit_pack(engine, output_dir=out, export_dir=tmp_path / "export",
                            session_ref="S-002")
    with zipfile.ZipFile(pack.path) as archive:
        manifest = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
    row = next(r for r in manifest if r["file"].endswith("emargement-signe-S-002-v1.pdf"))
    assert row["sha256"] == sha and "signatures du stagiaire et du formateur" in row["proves"]

    # the evidence arrives: a new version of the sheets and certificates, the item resolved
    fixed = EVIDENCE.replace(
        "S-002,T-1,2026-10-06,pm,present,,,,,,",
        "S-002,T-1,2026-10-06,pm,present,,2026-10-06T13:31:00+02:00,"
        "2026-10-06T17:01:00+02:00,paper,,")
    ingest_export(engine, write_export(tmp_path / "v2", attendance_csv=fixed), now=NOW)
    again = generate(engine, out, session_refs=["S-002"])
    assert [(p.kind, p.version) for p in again.produced] == [("attendance", 2),
                                                             ("certificates", 2)]
    assert "pour une durée de 9,5 h" in pdf_text(
        out / files(engine)[("S-002", "certificates", 2, "certificat-T-1")])
    with unit_of_work(engine) as db:
        assert db.scalar(select(ReviewItem.status).where(
            ReviewItem.key == "evidence:S-002")) == "resolved"


def test_an_export_without_evidence_columns_is_still_valid_and_counts_as_before(engine,
                                                                                tmp_path):
    prepare(engine, tmp_path, **WITH_ALL_SLOTS)  # SMALL_EXPORT's attendance.csv: no evidence
    report = generate(engine, tmp_path / "out", session_refs=["S-002"])
    assert [p.kind for p in report.produced] == ["certificates"]  # no completed sheet
    assert "pour une durée de 6 h" in pdf_text(tmp_path / "out" / files(engine)[
        ("S-002", "certificates", 1, "certificat-T-1")])


def test_inconsistent_evidence_rejects_the_file(engine, tmp_path):
    bad = SMALL_EXPORT["attendance.csv"].splitlines()[0] + \
        ",trainee_signed_at,trainer_signed_at,signature_method,login_at,logout_at\n" + \
        "S-002,T-1,2026-10-06,am,absent,,2026-10-06T09:01:00+02:00,,electronic,,\n" + \
        "S-002,T-1,2026-10-05,am,present,,,,,2026-10-05T12:00:00+02:00,2026-10-05T09:00:00+02:00\n"
    result = ingest_export(engine, write_export(tmp_path / "e", attendance_csv=bad), now=NOW)
    messages = [str(e) for e in result.errors]
    assert any("signature ou une connexion pour un stagiaire absent" in m for m in messages)
    assert any("la déconnexion doit suivre la connexion" in m for m in messages)
