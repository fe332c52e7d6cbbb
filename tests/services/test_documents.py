"""Documents on SQLite and PostgreSQL: mandatory mentions read back from the PDFs, versions,
idempotency, escaping, bad data, hours attended on the certificates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import event, select

from adapters.database import unit_of_work
from adapters.models import DocumentFile, DocumentSet, Effect, ReviewItem
from adapters.pdf import html_to_pdf
from adapters.reference_data import reference_data
from adapters.settings import Marketplace
from backoffice.outcomes import DocumentsBlocked
from services.documents import plan_due_documents, produce_documents
from services.funding import reconcile_funding
from services.ingest import ingest_export
from tests.export_samples import SMALL_EXPORT, write_export

AS_OF = date(2026, 11, 28)
NOW = datetime(2026, 11, 28, 3, 30, tzinfo=UTC)
MARKETPLACE = Marketplace()
S002_SLOTS = ("S-002,2026-10-05,09:00,12:30\nS-002,2026-10-05,13:30,17:00\n"
              "S-002,2026-10-06,09:00,12:30\nS-002,2026-10-06,13:30,17:00\n")
WITH_ALL_SLOTS = {"slots_csv": SMALL_EXPORT["slots.csv"] + S002_SLOTS}

def pdf_text(path: Path) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
    return " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())


def generate(engine, out: Path, as_of: date = AS_OF, session_refs=None):
    planned, blocked = plan_due_documents(engine, as_of=as_of, now=NOW, marketplace=MARKETPLACE,
                                          session_refs=session_refs)
    report = produce_documents(engine, planned, output_dir=out, as_of=as_of, now=NOW,
                               marketplace=MARKETPLACE)
    report.blocked = blocked
    return report


def prepare(engine, tmp_path, name="export", **replaced):
    ingest_export(engine, write_export(tmp_path / name, **replaced), now=NOW)
    reconcile_funding(engine, as_of=AS_OF, now=NOW, reference=reference_data(),
                      marketplace=MARKETPLACE)


def files(engine) -> dict[tuple[str, str, int, str], Path]:
    with unit_of_work(engine) as db:
        return {(f.session_ref, f.kind, f.version, f.name): Path(f.path)
                for f in db.scalars(select(DocumentFile))}


def email_keys(engine) -> list[str]:
    with unit_of_work(engine) as db:
        return sorted(db.scalars(select(Effect.idempotency_key)))


def test_a_changed_date_makes_a_second_version_and_keeps_the_first(engine, tmp_path):
    prepare(engine, tmp_path, "v1")
    out = tmp_path / "out"
    generate(engine, out, session_refs=["S-001"])
    moved = SMALL_EXPORT["sessions.csv"].replace("2026-12-07,2026-12-08", "2026-12-14,2026-12-15")
    slots = SMALL_EXPORT["slots.csv"].replace("2026-12-07", "2026-12-14").replace(
        "2026-12-08", "2026-12-15")
    pecs = SMALL_EXPORT["pecs.csv"].replace("2026-12-07,2026-12-08", "2026-12-14,2026-12-15")
    prepare(engine, tmp_path, "v2", sessions_csv=moved, slots_csv=slots, pecs_csv=pecs)

    report = generate(engine, out, session_refs=["S-001"])

    bundle = next(p for p in report.produced if p.kind == "bundle")
    assert bundle.version == 2
    assert "dates : du 7 décembre 2026 au 8 décembre 2026 → du 14 décembre 2026" in \
        bundle.explanation
    stored = files(engine)
    assert (out / stored[("S-001", "bundle", 1, "convention")]).exists()
    assert "du 14 décembre 2026 au 15 décembre 2026" in pdf_text(
        out / stored[("S-001", "bundle", 2, "convention")])
    with unit_of_work(engine) as db:
        mail = db.scalar(select(Effect).where(Effect.idempotency_key == "email:bundle:S-001:v2"))
        versions = sorted(db.scalars(select(DocumentSet.version).where(
            DocumentSet.kind == "bundle")))
    assert versions == [1, 2]
    assert mail.payload["subject"].startswith("[Version 2]")
    assert "dates : du 7 décembre 2026" in mail.payload["text"]


def test_names_are_rendered_as_text_never_as_markup(engine, tmp_path):
    trainees = SMALL_EXPORT["trainees.csv"].replace("Marc,Dupont", "<script>alert(1)</script>,"
                                                    "Dupont & Fils")
    prepare(engine, tmp_path, trainees_csv=trainees)
    planned, _ = plan_due_documents(engine, as_of=AS_OF, now=NOW, marketplace=MARKETPLACE,
                                    session_refs=["S-001"])
    convention = next(job.html for job in planned[0].jobs if job.name == "convention")

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in convention and "<script>" not in convention
    assert "Dupont &amp; Fils" in convention
    (tmp_path / "convention.pdf").write_bytes(html_to_pdf(convention))
    assert "Dupont & Fils <script>alert(1)</script>" in pdf_text(tmp_path / "convention.pdf")


def test_a_session_that_cannot_make_a_legal_document_gets_none_and_a_review_item(engine,
                                                                                  tmp_path):
    prepare(engine, tmp_path, "v1")  # S-002 has no slots in the small export
    out = tmp_path / "out"
    report = generate(engine, out, session_refs=["S-002"])

    assert report.blocked == [DocumentsBlocked("S-002", ("horaires (créneaux) de la session",))]
    assert not any(ref == "S-002" for ref, *_ in files(engine))
    assert not any("S-002" in key for key in email_keys(engine))
    with unit_of_work(engine) as db:
        item = db.scalar(select(ReviewItem).where(ReviewItem.key == "documents:S-002"))
    assert item.status == "open" and "horaires" in item.reasons[0]

    prepare(engine, tmp_path, "v2", **WITH_ALL_SLOTS)
    generate(engine, out, session_refs=["S-002"])
    with unit_of_work(engine) as db:
        assert db.scalar(select(ReviewItem.status).where(
            ReviewItem.key == "documents:S-002")) == "resolved"


@pytest.mark.parametrize("template", ["convention", "programme", "devis", "convocation",
                                      "emargement", "certificat", "reglement"])
def test_templates_render_like_their_snapshot(engine, tmp_path, template):
    from tests.services.snapshots import check_snapshot

    prepare(engine, tmp_path, **WITH_ALL_SLOTS)
    planned, _ = plan_due_documents(engine, as_of=AS_OF, now=NOW, marketplace=MARKETPLACE)
    html = {job.name.split("-")[0]: job.html for item in planned for job in item.jobs
            if item.plan.session_ref == ("S-002" if template == "certificat" else "S-001")}
    check_snapshot(f"{template}.html", html[template])


def test_an_absent_trainee_gets_no_certificate_and_the_client_is_told(engine, tmp_path):
    """Issue #17 §2: no "pour une durée de 0 h"; the e-mail names who has none and why."""
    trainees = SMALL_EXPORT["trainees.csv"] + "S-002,T-2,Léo,Bernard,,\n"
    attendance = SMALL_EXPORT["attendance.csv"] + ("S-002,T-2,2026-10-05,am,absent,\n"
                                                   "S-002,T-2,2026-10-05,pm,absent,\n")
    prepare(engine, tmp_path, trainees_csv=trainees, attendance_csv=attendance, **WITH_ALL_SLOTS)
    out = tmp_path / "out"
    generate(engine, out, session_refs=["S-002"])

    stored = [k for k in files(engine) if k[:2] == ("S-002", "certificates")]
    assert [name for *_, name in stored] == ["certificat-T-1"]
    with unit_of_work(engine) as db:
        mail = db.scalar(select(Effect).where(
            Effect.idempotency_key == "email:certificates:S-002:v1"))
    assert [Path(a).name for a in mail.payload["attachments"]] == ["certificat-T-1-S-002-v1.pdf"]
    assert "Pas de certificat pour Léo Bernard : aucune heure de formation réalisée" in \
        mail.payload["text"]


def test_a_value_ending_with_a_full_stop_gets_no_second_one(engine, tmp_path):
    """Issue #17 §5: "Prérequis : Aucun.." in the convention."""
    programmes = SMALL_EXPORT["programmes.csv"].replace(",Bases d'Excel,", ",Aucun.,").replace(
        ",QCM final,", ",QCM final.,")
    prepare(engine, tmp_path, programmes_csv=programmes)
    planned, _ = plan_due_documents(engine, as_of=AS_OF, now=NOW, marketplace=MARKETPLACE,
                                    session_refs=["S-001"])
    convention = next(job.html for job in planned[0].jobs if job.name == "convention")
    assert "Prérequis : Aucun." in convention and ".." not in convention.replace("...", "")


def test_a_night_looks_up_review_items_once_not_twice_per_session(engine, tmp_path):
    """A night with nothing new reads the review queue once, whatever the number of sessions
    in the history (it used to look up an evidence and a documents item per session, and the
    late-documents item of each session that started without its documents)."""
    prepare(engine, tmp_path, **WITH_ALL_SLOTS)
    generate(engine, tmp_path / "out")
    with unit_of_work(engine) as db:
        sessions = len(list(db.scalars(select(DocumentSet.session_ref).distinct())))
        assert set(db.scalars(select(ReviewItem.key).where(ReviewItem.status == "open"))) == {
            "documents-late:S-002"}  # started before its documents: looked up every night
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        planned, _ = plan_due_documents(engine, as_of=AS_OF, now=NOW, marketplace=MARKETPLACE)
    finally:
        event.remove(engine, "before_cursor_execute", record)

    assert planned == [] and sessions >= 2
    assert sum("FROM review_items" in s for s in statements) == 1
