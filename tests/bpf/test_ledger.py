"""The BPF draft on a small ledger, on SQLite and PostgreSQL: each cadre's lines from the
invoices, the trainers' fees and the attendance of the year, and nothing of the next year."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from decimal import Decimal

from adapters.database import unit_of_work
from adapters.models import Invoice, Payout, SelfBilledInvoice
from services.bpf import build_bpf, write_bpf
from services.ingest import ingest_export
from tests.export_samples import SMALL_EXPORT, write_export
from tests.services.test_documents import pdf_text

NOW = datetime(2027, 1, 20, 3, 30, tzinfo=UTC)
EXCEL = ("Séquence 1 : rappels\nSéquence 2 : TCD\",Bases d'Excel,Assistants de gestion,"
         "Exercices pratiques,QCM final,Salle accessible,14")
LEDGER = {
    # PR-ORAL: neither objective nor NSF code (unknown: listed, not guessed)
    "programmes_csv": f"""\
programme_ref,title,objectives,content,prerequisites,audience,methods,evaluation,accessibility,duration_hours,objective,nsf_code
PR-EXCEL,Excel avancé,Construire un TCD,"{EXCEL},rs,326
PR-ORAL,Prise de parole,Structurer une intervention,"{EXCEL},,
""",
    "sessions_csv": SMALL_EXPORT["sessions.csv"] + (
        "S-003,PR-ORAL,TR-01,CL-02,2026-12-30,2027-01-04,14,presentiel,Nantes,1400.00,800.00,"
        "company,2026-12-01T10:00:00+01:00,\n"),
    "slots_csv": SMALL_EXPORT["slots.csv"] + "".join(
        f"{s},{d},{start},{end}\n" for s, days in (("S-002", ("2026-10-05", "2026-10-06")),
                                                   ("S-003", ("2026-12-30", "2027-01-04")))
        for d in days for start, end in (("09:00", "12:30"), ("13:30", "17:00"))),
    "trainees_csv": """\
session_ref,trainee_ref,first_name,last_name,email,job_title,bpf_status
S-001,T-1,Éloïse,N'Diaye,eloise@durand.example,Assistante,salarie
S-001,T-2,Marc,Dupont,,,
S-002,T-1,Ana,Silva,,Boulangère,autre
S-003,T-9,Paul,Martin,,,salarie
""",
    # S-001: T-1 all four half-days, T-2 one; S-002 (SMALL_EXPORT): 3.5 h + 150 min; S-003: T-9
    # all four half-days, two of them in 2027
    "attendance_csv": SMALL_EXPORT["attendance.csv"] + "".join(
        f"S-001,T-1,{d},{h},present,\n" for d in ("2026-12-07", "2026-12-08") for h in ("am", "pm")
    ) + "S-001,T-2,2026-12-07,am,present,\n" + "".join(
        f"S-003,T-9,{d},{h},present,\n" for d in ("2026-12-30", "2027-01-04") for h in ("am", "pm")),
    "trainer_invoices_csv": SMALL_EXPORT["trainer_invoices.csv"] + (
        # received on 1 January 2027 in Paris: next year's charge; the second charges another
        # amount than the session's fee: it waits in review, no charge (as in the books)
        "S-001,TR-01,F-2027-001,1500.00,0.00,1500.00,2026-12-31T23:30:00Z\n"
        "S-001,TR-01,F-2027-002,300.00,0.00,300.00,2027-01-02T09:00:00Z\n"),
}


def invoice(number, kind, funder_kind, amount, issued, session="S-001", of=None) -> Invoice:
    return Invoice(number=number, kind=kind, session_ref=session, invoice_key=number,
                   funder_kind=funder_kind, funder_ref="X", funder_name="X",
                   billing_email="x@x.example", issue_date=issued, due_date=issued,
                   total_ht=Decimal(amount), total_vat=Decimal("0.00"), total_ttc=Decimal(amount),
                   document={}, credit_note_of=of, created_at=NOW)


def ledger(engine, tmp_path) -> None:
    result = ingest_export(engine, write_export(tmp_path / "export", **LEDGER), now=NOW)
    assert [str(e) for e in result.errors] == []
    with unit_of_work(engine) as db:
        db.add_all([
            invoice("FA-1", "invoice", "company", "1800.00", date(2026, 10, 7), "S-002"),
            invoice("FA-2", "invoice", "opco", "2100.00", date(2026, 12, 10)),
            invoice("AV-1", "credit_note", "opco", "100.00", date(2026, 12, 20), of="FA-2"),
            invoice("FA-3", "invoice", "company", "350.00", date(2026, 12, 10)),
            invoice("FA-4", "invoice", "company", "500.00", date(2027, 1, 5), "S-003"),
            invoice("AV-2", "credit_note", "company", "50.00", date(2027, 1, 10), "S-002",
                    of="FA-1"),
        ])
        db.flush()
        db.add(Payout(id="PO-2026-000001", session_ref="S-001", sequence=1, trainer_ref="TR-01",
                      amount_ht=Decimal("1500.00"), vat=Decimal("0.00"), amount=Decimal("1500.00"),
                      trainer_invoice="AF-TR-01-2026-0001", self_billed=True, creditor_name="E M",
                      iban="FR7630006000011234567890189", remittance="S-001",
                      decided_on=date(2026, 12, 10), execution_date=date(2026, 12, 11),
                      status="scheduled", created_at=NOW))
        db.flush()
        db.add(SelfBilledInvoice(number="AF-TR-01-2026-0001", payout_id="PO-2026-000001",
                                 trainer_ref="TR-01", session_ref="S-001",
                                 issue_date=date(2026, 12, 10), amount_ht=Decimal("1500.00"),
                                 vat=Decimal("0.00"), amount_ttc=Decimal("1500.00"),
                                 created_at=NOW))


def lines(draft, cadre, *columns):
    return {row["ligne"]: tuple(row[c] for c in columns) for row in draft.sections[cadre]}


def test_each_cadre_from_the_ledger_of_the_year(engine, tmp_path):
    ledger(engine, tmp_path)

    draft = build_bpf(engine, 2026)

    c = lines(draft, "C", "montant_ht")
    assert c["1"] == (Decimal("2150.00"),)  # FA-1 + FA-3; FA-4 and AV-2 are 2027's
    assert c["2 h"] == c["2"] == (Decimal("2000.00"),)  # FA-2 less its credit note AV-1
    assert c["Total"] == (Decimal("4150.00"),) and draft.products_ht == Decimal("4150.00")
    assert c["%"] == (None,) and c["2 a"] == (Decimal("0.00"),)
    d = lines(draft, "D", "montant_ht")
    assert d == {"Total": (None,), "dont 1": (None,), "dont 2": (Decimal("2600.00"),)}
    e = lines(draft, "E", "personnes", "heures")
    assert e == {"1": (None, None), "2": (2, Decimal("35.00"))}  # TR-01 14 + 7 h, TR-02 14 h
    f1 = lines(draft, "F-1", "stagiaires", "heures")
    assert f1["a"] == (2, Decimal("21.00"))  # T-1 of S-001 14 h, T-9 of S-003 7 h in 2026
    assert f1["e"] == (1, Decimal("6.00"))  # S-002: 3.5 h + 150 min
    assert f1["?"] == (1, Decimal("3.50"))  # T-2: no status
    assert f1["Total"] == (4, Decimal("30.50")) and draft.trainee_hours == Decimal("30.50")
    f3 = lines(draft, "F-3", "stagiaires", "heures")
    assert (f3["b"], f3["?"], f3["Total"]) == ((3, Decimal("23.50")), (1, Decimal("7.00")),
                                               (4, Decimal("30.50")))
    assert f3["a"] == (0, Decimal("0.00"))
    f4 = lines(draft, "F-4", "libelle", "stagiaires", "heures")
    assert (f4["1"], f4["?"]) == (("NSF 326", 3, Decimal("23.50")), ("Non renseigné", 1,
                                                                     Decimal("7.00")))
    assert draft.distance  # S-002 was given at a distance
    assert [(m.session_ref, m.text) for m in draft.incomplete] == [
        ("S-001", "statut BPF (bpf_status) de 1 stagiaire(s) : T-2"),
        ("S-003", "objectif du programme PR-ORAL (objective) ; code NSF du programme PR-ORAL "
                  "(nsf_code)")]


def test_the_next_year_gets_the_rest(engine, tmp_path):
    ledger(engine, tmp_path)

    draft = build_bpf(engine, 2027)

    assert lines(draft, "C", "montant_ht")["1"] == (Decimal("450.00"),)  # FA-4 less AV-2
    assert lines(draft, "D", "montant_ht")["dont 2"] == (Decimal("1500.00"),)
    assert lines(draft, "F-1", "stagiaires", "heures")["Total"] == (1, Decimal("7.00"))
    assert lines(draft, "E", "personnes", "heures")["2"] == (1, Decimal("7.00"))
    assert not draft.distance


def test_the_files_one_csv_per_cadre_the_missing_data_and_the_pdf(engine, tmp_path):
    ledger(engine, tmp_path)

    _, paths = write_bpf(engine, 2026, tmp_path / "bpf")

    assert [p.name for p in paths] == [
        "cadre-C.csv", "cadre-D.csv", "cadre-E.csv", "cadre-F-1.csv", "cadre-F-2.csv",
        "cadre-F-3.csv", "cadre-F-4.csv", "cadre-G.csv", "sessions_incomplete.csv",
        "bpf-2026.pdf"]
    with (tmp_path / "bpf" / "cadre-C.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0] == {"cadre": "C", "ligne": "1", "libelle": "des entreprises pour la formation "
                       "de leurs salariés", "montant_ht": "2150.00", "remarque": ""}
    assert rows[-1]["montant_ht"] == "" and rows[-1]["remarque"].startswith("à compléter")
    with (tmp_path / "bpf" / "sessions_incomplete.csv").open(encoding="utf-8") as handle:
        assert [r["session_ref"] for r in csv.DictReader(handle)] == ["S-001", "S-003"]
    text = pdf_text(tmp_path / "bpf" / "bpf-2026.pdf")
    assert "« Brouillon — à vérifier avant saisie sur Mon Activité Formation »" in text
    for title in ("C Bilan financier hors taxes : origine des produits de l'organisme",
                  "F-1 Type de stagiaires de l'organisme", "F-3 Objectif général",
                  "F-4 Spécialités de formation", "2 h du plan de développement des compétences",
                  "S-003 objectif du programme PR-ORAL"):
        assert title in text, title
