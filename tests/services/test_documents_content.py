"""What the documents say, read back from the PDFs: rendered once per database for the module
(WeasyPrint costs about 0.2 s a page), then checked by several tests."""

from __future__ import annotations

import csv
import zipfile
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from adapters.database import unit_of_work
from adapters.models import DocumentFile, Effect, ReviewItem
from backoffice.outcomes import DocumentsTooLate
from services.reports import write_report
from tests.conftest import DATABASES, clear_tables, database_engine
from tests.services.test_documents import (
    WITH_ALL_SLOTS,
    email_keys,
    files,
    generate,
    pdf_text,
    prepare,
)


@pytest.fixture(scope="module", params=list(DATABASES), ids=list(DATABASES))
def rendered(request, tmp_path_factory):
    engine = database_engine(request.param)
    clear_tables(engine)
    folder = tmp_path_factory.mktemp(f"documents-{request.param}")
    prepare(engine, folder, **WITH_ALL_SLOTS)
    out = folder / "out"
    report = generate(engine, out)
    yield engine, out, report
    clear_tables(engine)


# Every mandatory mention, per document, in one place (domain brief §1-2, D6353-1, L6353-8).
CHECKLIST = {
    "convention": [
        "Convention de formation professionnelle", "Ganapati Formation SAS",
        "SIRET 73282932000074", "Durand & Fils SAS", "SIRET 35600000049837",
        "Déclaration d'activité n° 11755555575", "ne vaut pas agrément de l'État",
        "« Excel avancé »", "action de formation", "Construire un tableau croisé dynamique",
        "Séquence 2 : TCD", "fait partie intégrante de la présente convention",
        "Exercices pratiques", "Élodie Marchand", "14 h par stagiaire",
        "du 7 décembre 2026 au 8 décembre 2026", "09:00–12:30", "2 stagiaire(s)",
        "N'Diaye Éloïse", "émargement", "QCM final", "certificat de réalisation",
        "2 450,00 € HT", "261-4-4° a", "ATLAS", "subrogation", "2 100,00 €", "350,00 €",
        "40 €", "dédit", "Pour le client",
        "Référent handicap : Claire Morel, handicap@ganapati.example, 01 23 45 67 89",
    ],
    "programme": [
        "Programme de formation : Excel avancé", "version 1 du 28 novembre 2026",
        "Assistants de gestion", "Bases d'Excel", "Automatiser avec des macros",
        "14 h par stagiaire", "Séquence 1 : rappels", "Exercices pratiques", "QCM final",
        "Référent handicap : Claire Morel, handicap@ganapati.example", "délai d'accès",
        "2 450,00 € HT", "backoffice@ganapati.example",
    ],
    "devis": [
        "Devis n° DEV-S-001-V1", "Émis le 28 novembre 2026", "valable jusqu'au 28 décembre 2026",
        "Durand & Fils SAS", "SIRET 35600000049837", "Déclaration d'activité n° 11755555575",
        "1 225,00 €", "2 450,00 €", "Total TTC", "261-4-4° a", "dossier n° AT-2026-012345",
        "Part OPCO accordée", "350,00 €", "Bon pour accord",
    ],
    "convocation-T-1": [
        "Convocation à la formation", "Éloïse N'Diaye", "Assistante", "« Excel avancé »",
        "du 7 décembre 2026 au 8 décembre 2026", "18 avenue de l'Opéra", "13:30–17:00",
        "Élodie Marchand", "QCM final", "backoffice@ganapati.example", "Règlement intérieur",
        "Le programme complet est joint à cette convocation", "en présentiel",
        "Référent handicap : Claire Morel, handicap@ganapati.example",
        "il s'applique pendant toute la formation, sur le lieu de formation",
    ],
    "reglement-interieur": [
        "Règlement intérieur applicable aux stagiaires", "R6352-1", "Hygiène et sécurité",
        "Sanctions", "un jour franc", "500 heures", "Référent handicap : Claire Morel",
        "session S-001",
    ],
    "emargement": [
        "Feuille d'émargement", "7 décembre 2026", "matin, 09:00–12:30", "après-midi",
        "8 décembre 2026", "Élodie Marchand", "Dupont Marc", "N'Diaye Éloïse",
        "Signature du formateur",
    ],
}




def test_every_mandatory_mention_is_in_each_document(rendered):
    engine, out, _ = rendered
    stored = files(engine)
    for name, mentions in CHECKLIST.items():
        kind = "bundle" if name in ("convention", "programme", "devis") else "start_kit"
        text = pdf_text(out / stored[("S-001", kind, 1, name)])
        missing = [m for m in mentions if m not in text]
        assert missing == [], f"{name}: {missing}"


def test_the_bundle_is_stored_hashed_zipped_and_sent_once(rendered):
    engine, out, first = rendered
    # S-002 was held in October: its convention and convocations are never made in November
    assert [(p.session_ref, p.kind) for p in first.produced] == [
        ("S-001", "bundle"), ("S-001", "start_kit"), ("S-002", "certificates")]
    with unit_of_work(engine) as db:
        sha = {f.name: f.sha256 for f in db.scalars(select(DocumentFile).where(
            DocumentFile.session_ref == "S-001"))}
        bundle_mail = db.scalar(select(Effect).where(
            Effect.idempotency_key == "email:bundle:S-001:v1"))
    assert len(sha["convention"]) == 64
    dossier = out / files(engine)[("S-001", "bundle", 1, "dossier")]
    assert sorted(zipfile.ZipFile(dossier).namelist()) == [
        "convention-S-001-v1.pdf", "devis-S-001-v1.pdf", "programme-S-001-v1.pdf"]
    assert bundle_mail.payload["to"] == ["rh@durand.example"]
    assert bundle_mail.payload["cc"] == []  # the trainer never sees the client's price
    assert [Path(a).name for a in bundle_mail.payload["attachments"]] == [
        "convention-S-001-v1.pdf", "programme-S-001-v1.pdf", "devis-S-001-v1.pdf"]
    assert [k for k in email_keys(engine) if "S-001" in k] == [
        "email:attendance-sheets:S-001:v1", "email:bundle-notice:S-001:v1",
        "email:bundle:S-001:v1", "email:convocation:S-001:T-1:v1",
        "email:convocation:S-001:T-2:v1", "email:green-light:S-001"]

    before = (files(engine), email_keys(engine))
    again = generate(engine, out)
    assert again.produced == [] and (files(engine), email_keys(engine)) == before


def test_each_trainee_gets_their_convocation_with_the_programme_and_the_rules(rendered):
    """Issue #17 §3 (L6353-8): one e-mail per trainee, to their address, or to the client
    contact to hand over when the export has none, with their convocation, the programme
    annexed to the convention and the règlement intérieur; no other trainee's convocation."""
    engine, out, _ = rendered
    with unit_of_work(engine) as db:
        mails = {m.idempotency_key: m.payload for m in db.scalars(select(Effect).where(
            Effect.idempotency_key.like("email:convocation:%")))}
    eloise, marc = mails["email:convocation:S-001:T-1:v1"], mails["email:convocation:S-001:T-2:v1"]
    assert (eloise["to"], eloise["cc"]) == (["eloise@durand.example"], [])
    assert (marc["to"], marc["cc"]) == (["rh@durand.example"], [])  # no address: to hand over
    assert "Bonjour Éloïse N'Diaye," in eloise["text"]
    assert "Nous n'avons pas d'adresse e-mail pour Marc Dupont" in marc["text"]
    stored = files(engine)
    for ref, mail in (("T-1", eloise), ("T-2", marc)):
        assert [Path(a).name for a in mail["attachments"]] == [
            f"convocation-{ref}-S-001-v1.pdf", "reglement-interieur-S-001-v1.pdf",
            "programme-S-001-v1.pdf"]
        assert all(Path(a).is_file() for a in mail["attachments"])
    assert Path(eloise["attachments"][2]) == out / stored[("S-001", "bundle", 1, "programme")]
    rules = pdf_text(out / stored[("S-001", "start_kit", 1, "reglement-interieur")])
    assert "affiché" not in rules


def test_certificates_carry_the_hours_attended_computed_from_attendance(rendered):
    engine, out, _ = rendered

    # T-1: present the 5th morning (3.5 h), 150 minutes the 5th afternoon, absent the 6th
    text = pdf_text(out / files(engine)[("S-002", "certificates", 1, "certificat-T-1")])
    for mention in ("Certificat de réalisation", "Claire Morel, présidente",
                    "atteste que Ana Silva", "salarié(e) de l'entreprise Boulangerie Martin",
                    "a suivi l'action « Excel avancé »", "☒ action de formation",
                    "du 5 octobre 2026 au 6 octobre 2026", "pour une durée de 6 h",
                    "pendant une durée de 3 ans", "Fait à Paris, le 28 novembre 2026"):
        assert mention in text, mention
    assert "email:certificates:S-002:v1" in email_keys(engine)


def test_the_trainer_never_receives_the_client_price(rendered):
    """Issue #17 §4: no e-mail to the trainer names the client's price or attaches a document
    that does (convention, devis); their notice says dates, place, trainees and what to do."""
    engine, _, _ = rendered
    with unit_of_work(engine) as db:
        mails = list(db.scalars(select(Effect).where(Effect.kind == "email")))
    trainer = "elodie.marchand@formateurs.example"
    to_trainer = [m.payload for m in mails
                  if trainer in m.payload["to"] + m.payload.get("cc", [])]
    assert to_trainer
    for mail in to_trainer:
        assert "2 450" not in mail["text"] + mail["subject"], mail["subject"]
        assert not [a for a in mail["attachments"]
                    if Path(a).name.startswith(("convention-", "devis-"))], mail["subject"]
    notice = next(m for m in to_trainer if "dossier de formation" in m["subject"])["text"]
    for fact in ("du 7 décembre 2026 au 8 décembre 2026", "en présentiel, 18 avenue de l'Opéra",
                 "Stagiaires (2) : Marc Dupont, Éloïse N'Diaye",
                 "7 décembre 2026 : 09:00-12:30 et 13:30-17:00", "la feuille d'émargement"):
        assert fact in notice, fact


def test_a_session_already_started_gets_no_convention_nor_convocation_but_a_review_item(
        rendered):
    """Issue #17 §3: S-002 (5-6 October) first seen on 28 November: nothing dated after its
    start, nothing mailed before its start, one review item; its certificates are due."""
    engine, _, first = rendered
    assert [b for b in first.blocked if b.session_ref == "S-002"] == [
        DocumentsTooLate("S-002", ("bundle", "start_kit"), date(2026, 10, 5))]
    assert not [k for k in files(engine) if k[0] == "S-002" and k[1] != "certificates"]
    assert [k for k in email_keys(engine) if "S-002" in k] == ["email:certificates:S-002:v1"]
    with unit_of_work(engine) as db:
        item = db.scalar(select(ReviewItem).where(ReviewItem.key == "documents-late:S-002"))
    assert item.status == "open" and item.kind == "late_documents"
    assert item.reasons == [
        "session commencée le 5 octobre 2026 avant l'envoi de : la convention, le programme et "
        "le devis ; les convocations et les feuilles d'émargement. Rien n'en est produit ni "
        "envoyé après le début (un document daté d'après le début ne peut pas en tenir lieu) : "
        "à régulariser avec le client et le formateur"]




def test_the_report_lists_every_file_with_its_hash(rendered, tmp_path):
    engine, _, _ = rendered
    write_report(engine, tmp_path)
    with (tmp_path / "documents.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    convention = next(r for r in rows if r["file"] == "convention" and r["session_ref"] == "S-001")
    assert (convention["documents"], convention["version"], len(convention["sha256"])) == (
        "bundle", "1", 64)
    assert "email:bundle:S-001:v1" in convention["emails"]


def test_the_shared_stylesheet_is_applied(rendered):
    engine, out, _ = rendered
    reader = PdfReader(out / files(engine)[("S-001", "bundle", 1, "convention")])
    fonts = {str(font.get_object()["/BaseFont"]) for page in reader.pages
             for font in page["/Resources"]["/Font"].values()}
    assert any(name.endswith("+DejaVu-Sans") for name in fonts), fonts  # not the serif default
    assert any(name.endswith("+DejaVu-Sans-Bold") for name in fonts), fonts  # h1, th
    assert len(reader.pages) >= 2  # A4 with the letterhead margins, not one endless page
