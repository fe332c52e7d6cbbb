"""Funder invoicing on SQLite and PostgreSQL: the split issued, numbers without gaps, immutable
invoices, credit notes, the PDF's mentions and its Factur-X XML, idempotency."""

from __future__ import annotations

import csv
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DatabaseError

from adapters.database import unit_of_work
from adapters.facturx import read_facturx_xml
from adapters.models import Effect, Invoice, ReviewItem
from adapters.reference_data import reference_data
from adapters.settings import Marketplace
from backoffice.outcomes import InvoiceHeld
from services.funding import reconcile_funding
from services.ingest import ingest_export
from services.invoicing import (
    InvoicingError,
    InvoicingTerms,
    bill_remainder_to_company,
    issue_credit_note,
    issue_due_invoices,
    remind_unpaid,
    send_pending_invoices,
)
from services.reports import write_report
from tests.export_samples import SMALL_EXPORT, write_export
from tests.services.test_documents import WITH_ALL_SLOTS, pdf_text

NOW = datetime(2026, 12, 10, 3, 30, tzinfo=UTC)
AS_OF = date(2026, 12, 10)
MARKETPLACE, TERMS = Marketplace(), InvoicingTerms()
ROOT = Path(__file__).resolve().parents[2]
# S-001 done: Éloïse all four half-days, Marc absent on the last afternoon
S001_DONE = {
    **WITH_ALL_SLOTS,
    "completions_csv": SMALL_EXPORT["completions.csv"] + "S-001,2026-12-08T18:00:00+01:00\n",
    "attendance_csv": SMALL_EXPORT["attendance.csv"] + "".join(
        f"S-001,{t},{d},{h},{'absent' if (t, d, h) == ('T-2', '2026-12-08', 'pm') else 'present'},\n"
        for t in ("T-1", "T-2") for d in ("2026-12-07", "2026-12-08") for h in ("am", "pm")),
}


def prepare(engine, tmp_path, name="export", **replaced):
    ingest_export(engine, write_export(tmp_path / name, **replaced), now=NOW)
    reconcile_funding(engine, as_of=date(2026, 11, 28), now=NOW, reference=reference_data(),
                      marketplace=MARKETPLACE)


def issue(engine, as_of=AS_OF):
    return issue_due_invoices(engine, as_of=as_of, now=NOW, marketplace=MARKETPLACE,
                              reference=reference_data(), terms=TERMS)


def invoices(engine) -> dict[str, Invoice]:
    with unit_of_work(engine) as db:
        return {i.number: i for i in db.scalars(select(Invoice))}


def test_completed_sessions_are_invoiced_per_the_split_with_numbers_in_order(engine, tmp_path):
    prepare(engine, tmp_path, **S001_DONE)

    report = issue(engine)

    issued = {(i.session_ref, i.invoice_key): i for i in invoices(engine).values()}
    # S-001: grant 2 100 € for 2 × 14 h = 75 €/h; 24.5 h attended → 1 837.50 € to the OPCO,
    # the company pays the reste à charge (350 €) and the unfunded absence (262.50 €)
    assert issued[("S-001", "opco")].total_ttc == Decimal("1837.50")
    assert issued[("S-001", "opco")].funder_ref == "ATLAS"
    assert issued[("S-001", "opco")].dossier_number == "AT-2026-012345"
    assert issued[("S-001", "company")].total_ttc == Decimal("612.50")
    assert issued[("S-002", "company")].total_ttc == Decimal("1800.00")  # company funding
    assert sorted(invoices(engine)) == ["FA-2026-000001", "FA-2026-000002", "FA-2026-000003"]
    assert len(report.issued) == 3
    assert issue(engine).issued == []  # idempotent


def test_an_issued_invoice_cannot_change(engine, tmp_path):
    prepare(engine, tmp_path, **S001_DONE)
    issue(engine)
    with pytest.raises(DatabaseError, match="immutable"), engine.begin() as connection:
        connection.execute(update(Invoice).where(Invoice.number == "FA-2026-000001")
                           .values(total_ttc=Decimal("1.00")))
    with engine.begin() as connection:  # delivery and payment state may move
        connection.execute(update(Invoice).where(Invoice.number == "FA-2026-000001")
                           .values(status="paid"))


def test_backdating_an_invoice_is_refused(engine, tmp_path):
    prepare(engine, tmp_path, **S001_DONE)
    issue_due_invoices(engine, as_of=AS_OF, now=NOW, marketplace=MARKETPLACE,
                       reference=reference_data(), terms=TERMS)
    issue_credit_note(engine, number="FA-2026-000001", reason="erreur", as_of=AS_OF, now=NOW,
                      marketplace=MARKETPLACE, reference=reference_data(), terms=TERMS)
    with pytest.raises(InvoicingError, match="ordre chronologique"):
        issue_credit_note(engine, number="FA-2026-000002", reason="erreur",
                          as_of=date(2026, 12, 1), now=NOW, marketplace=MARKETPLACE,
                          reference=reference_data(), terms=TERMS)


def test_a_credit_note_cancels_and_a_reissue_follows(engine, tmp_path):
    prepare(engine, tmp_path, **S001_DONE)
    issue(engine)
    company = next(n for n, i in invoices(engine).items()
                   if (i.session_ref, i.invoice_key) == ("S-002", "company"))

    numbers = issue_credit_note(engine, number=company, reason="prix corrigé", reissue=True,
                                as_of=AS_OF, now=NOW, marketplace=MARKETPLACE,
                                reference=reference_data(), terms=TERMS)

    assert numbers == ["AV-2026-000001", "FA-2026-000004"]
    stored = invoices(engine)
    assert (stored["AV-2026-000001"].total_ttc, stored["AV-2026-000001"].credit_note_of) == (
        Decimal("1800.00"), company)
    assert stored[company].status == "cancelled"
    assert stored["FA-2026-000004"].invoice_key == "company-2"
    with pytest.raises(InvoicingError, match="déjà annulée"):
        issue_credit_note(engine, number=company, reason="encore", as_of=AS_OF, now=NOW,
                          marketplace=MARKETPLACE, reference=reference_data(), terms=TERMS)


def test_an_opco_paying_less_bills_the_remainder_to_the_company(engine, tmp_path):
    prepare(engine, tmp_path, **S001_DONE)
    issue(engine)
    opco = next(n for n, i in invoices(engine).items() if i.invoice_key == "opco")

    numbers = bill_remainder_to_company(engine, number=opco, paid=Decimal("1500.00"),
                                        note="plafond annuel atteint", as_of=AS_OF, now=NOW,
                                        marketplace=MARKETPLACE, reference=reference_data(),
                                        terms=TERMS)

    stored = invoices(engine)
    credit, remainder = (stored[n] for n in numbers)
    assert credit.total_ttc == Decimal("337.50") and credit.credit_note_of == opco
    assert credit.kind == "credit_note"
    assert stored[opco].status == "issued"  # partly credited, still due for 1 500 €
    assert (remainder.funder_kind, remainder.total_ttc) == ("company", Decimal("337.50"))


def test_the_pdf_carries_every_mention_and_its_factur_x_says_the_same(engine, tmp_path):
    prepare(engine, tmp_path, **S001_DONE)
    issue(engine)
    out = tmp_path / "out"
    sent, deposits = send_pending_invoices(engine, output_dir=out, now=NOW,
                                           marketplace=MARKETPLACE, reference=reference_data())

    opco = next(i for i in invoices(engine).values() if i.invoice_key == "opco")
    assert sorted([*sent, *(d.number for d in deposits)]) == sorted(invoices(engine))
    assert [d.number for d in deposits] == [opco.number]  # Atlas takes invoices on its portal
    pdf = out / opco.pdf_path
    text_ = pdf_text(pdf)
    for mention in ("Facture n° " + opco.number, "Date d'émission : 10 décembre 2026",
                    "échéance : 9 janvier 2027", "SIREN 732829320", "SIRET 73282932000074",
                    "Déclaration d'activité n° 11755555575", "ne vaut pas agrément",
                    "dossier OPCO n° AT-2026-012345", "du 7 décembre 2026 au 8 décembre 2026",
                    "Éloïse N'Diaye (14 h)", "Marc Dupont (10,5 h)", "Éloïse N'Diaye : 14 h",
                    "Marc Dupont : 10,5 h réalisées", "75,00 €", "1 050,00 €", "787,50 €",
                    "1 837,50 €",
                    "261-4-4° a", "Total TTC",
                    "Banque centrale européenne à son opération de refinancement la plus récente",
                    "40 €", "IBAN FR7630006000011234567890189", "Pas d'escompte",
                    "N° TVA intracommunautaire FR44732829320"):
        assert mention in text_, mention
    xml = ElementTree.fromstring(read_facturx_xml(pdf.read_bytes()))
    ns = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}
    summation = xml.find(".//ram:SpecifiedTradeSettlementHeaderMonetarySummation", ns)
    for element, value in (("LineTotalAmount", opco.total_ht), ("TaxBasisTotalAmount",
                                                                 opco.total_ht),
                           ("TaxTotalAmount", opco.total_vat), ("GrandTotalAmount",
                                                                opco.total_ttc),
                           ("DuePayableAmount", opco.total_ttc)):
        assert Decimal(summation.find(f"ram:{element}", ns).text) == value, element
    line_totals = xml.findall(".//ram:SpecifiedLineTradeSettlement//ram:LineTotalAmount", ns)
    assert sorted(line.text for line in line_totals) == ["1050.00", "787.50"]  # as in the PDF
    assert send_pending_invoices(engine, output_dir=out, now=NOW, marketplace=MARKETPLACE,
                                 reference=reference_data()) == ([], [])


def test_an_invoice_for_a_portal_is_packaged_listed_and_chased_from_its_deposit(engine,
                                                                                 tmp_path):
    from adapters.models import InvoiceDeposit, ReviewItem
    from services.invoicing import record_deposit

    prepare(engine, tmp_path, **S001_DONE)
    issue(engine)  # due on 9 January 2027
    out = tmp_path / "out"
    sent, (deposit,) = send_pending_invoices(engine, output_dir=out, now=NOW,
                                             marketplace=MARKETPLACE, reference=reference_data())

    opco = next(i for i in invoices(engine).values() if i.invoice_key == "opco")
    assert deposit.number == opco.number and opco.number not in sent
    with unit_of_work(engine) as db:
        assert db.scalar(select(Effect).where(
            Effect.idempotency_key == f"email:invoice:{opco.number}")) is None  # not e-mailed
        item = db.scalar(select(ReviewItem).where(ReviewItem.key == f"deposit:{opco.number}"))
        assert (item.status, item.kind) == ("open", "deposit")
    package = sorted(path.name for path in (out / deposit.path).iterdir())
    assert package == [f"{opco.number}.pdf"]  # no document was produced in this test:
    assert "certificats de réalisation absents" in item.reasons[1]  # the operator is told

    def chase(day: date) -> list[str]:
        return [r.number for r in remind_unpaid(engine, as_of=day, now=NOW,
                                                marketplace=MARKETPLACE, reminder_days=(7,))]

    assert opco.number not in chase(date(2027, 1, 16))  # due, but not deposited yet
    message = record_deposit(engine, number=opco.number, deposited_on=date(2027, 1, 4),
                             note="dépôt myAtlas n° 123", operator="marie", now=NOW)
    assert "déposée le 4 janvier 2027" in message
    assert opco.number not in chase(date(2027, 2, 9))  # due 30 days after it: 3 February
    assert chase(date(2027, 2, 10)) == [opco.number]  # J+7
    with unit_of_work(engine) as db:
        recorded = db.get(InvoiceDeposit, opco.number)
        assert (recorded.deposited_on, recorded.deposited_by) == (date(2027, 1, 4), "marie")
        item = db.scalar(select(ReviewItem).where(ReviewItem.key == f"deposit:{opco.number}"))
        assert item.status == "resolved"
    assert "déjà enregistré" in record_deposit(engine, number=opco.number,
                                                 deposited_on=date(2027, 1, 5), note="",
                                                 operator="paul", now=NOW)
    with pytest.raises(InvoicingError, match="aucune facture à déposer"):
        record_deposit(engine, number="FA-2026-999999", deposited_on=date(2027, 1, 5), note="",
                       operator="paul", now=NOW)


RACER = textwrap.dedent("""
    import sys, time
    from datetime import UTC, date, datetime
    from adapters.database import make_engine
    from services.invoicing import InvoicingTerms, issue_due_invoices
    from adapters.reference_data import reference_data
    from adapters.settings import Marketplace

    engine = make_engine(sys.argv[1])
    time.sleep(max(0, float(sys.argv[2]) - time.time()))
    issue_due_invoices(engine, as_of=date(2026, 12, 10), now=datetime.now(UTC),
                       marketplace=Marketplace(), reference=reference_data(),
                       terms=InvoicingTerms())
""")


def test_two_processes_issuing_at_once_make_no_duplicate_and_no_gap(engine, tmp_path):
    if engine.dialect.name != "postgresql":
        pytest.skip("the concurrency that matters is PostgreSQL's (SQLite serialises writers)")
    from demo.generator import write_demo_export

    write_demo_export(tmp_path / "demo")
    ingest_export(engine, tmp_path / "demo", now=NOW)
    reconcile_funding(engine, as_of=date(2026, 11, 30), now=NOW, reference=reference_data(),
                      marketplace=MARKETPLACE)
    script = tmp_path / "racer.py"
    script.write_text(RACER)
    url = engine.url.render_as_string(hide_password=False)
    start = str(__import__("time").time() + 4)
    racers = [subprocess.Popen([sys.executable, str(script), url, start], cwd=ROOT)
              for _ in range(2)]
    assert [r.wait(timeout=120) for r in racers] == [0, 0]

    with engine.connect() as connection:
        numbers = sorted(connection.execute(text("SELECT number FROM invoices")).scalars())
        keys = connection.execute(text(
            "SELECT count(*), count(DISTINCT session_ref || invoice_key) FROM invoices")).one()
    assert len(numbers) > 20 and keys[0] == keys[1]
    assert numbers == [f"FA-2026-{n:06d}" for n in range(1, len(numbers) + 1)]


def test_the_report_lists_invoices_with_their_residual(engine, tmp_path):
    prepare(engine, tmp_path, **S001_DONE)
    issue(engine)
    opco = next(n for n, i in invoices(engine).items() if i.invoice_key == "opco")
    bill_remainder_to_company(engine, number=opco, paid=Decimal("1500.00"), note="plafond",
                              as_of=AS_OF, now=NOW, marketplace=MARKETPLACE,
                              reference=reference_data(), terms=TERMS)
    write_report(engine, tmp_path / "report")
    with (tmp_path / "report" / "invoices.csv").open(encoding="utf-8") as handle:
        rows = {r["number"]: r for r in csv.DictReader(handle)}
    assert (rows[opco]["total_ttc"], rows[opco]["residual"], rows[opco]["status"]) == (
        "1837.50", "1500.00", "issued")
    assert rows["AV-2026-000001"]["credit_note_of"] == opco


@pytest.mark.any_date  # reminders and dunning: also with the wall clock far from today
def test_unpaid_invoices_are_chased_once_at_each_stage(engine, tmp_path):
    prepare(engine, tmp_path, **S001_DONE)
    issue(engine)  # due on 9 January 2027
    paid = next(n for n, i in invoices(engine).items() if i.session_ref == "S-002")
    with engine.begin() as connection:
        connection.execute(update(Invoice).where(Invoice.number == paid).values(status="paid"))

    def chase(day: date) -> list[str]:
        return [f"{r.number} J+{r.days_after_due}" for r in remind_unpaid(
            engine, as_of=day, now=NOW, marketplace=MARKETPLACE, reminder_days=(7, 30))]

    assert chase(date(2027, 1, 15)) == []
    assert sorted(chase(date(2027, 1, 16))) == ["FA-2026-000001 J+7", "FA-2026-000002 J+7"]
    assert chase(date(2027, 1, 17)) == []  # once
    assert sorted(chase(date(2027, 2, 8))) == ["FA-2026-000001 J+30", "FA-2026-000002 J+30"]
    opco = next(n for n, i in invoices(engine).items() if i.invoice_key == "opco")
    company = next(n for n, i in invoices(engine).items() if i.invoice_key == "company"
                   and n != paid)
    with unit_of_work(engine) as db:
        reminder = db.scalar(select(Effect).where(
            Effect.idempotency_key == f"email:invoice-reminder:{company}:J+7"))
        # no billing e-mail is known for the OPCO: a person chases it, from the review queue
        item = db.scalar(select(ReviewItem).where(ReviewItem.key == f"dunning:{opco}:J+7"))
        assert db.scalar(select(Effect).where(
            Effect.idempotency_key == f"email:invoice-reminder:{opco}:J+7")) is None
    assert "reste impayée" in reminder.payload["text"] and "40 €" in reminder.payload["text"]
    assert (item.kind, item.status) == ("dunning", "open")
    assert item.reasons == ["impayée 7 jours après son échéance du 9 janvier 2027 : reste "
                            "1\u202f837,50\u00a0€"]

    # an operator chased the OPCO and closed the item: the next nights leave it closed
    from adapters.review import resolve_item
    with unit_of_work(engine) as db:
        resolve_item(db, f"dunning:{opco}:J+30", "relancé par téléphone", NOW)
    assert chase(date(2027, 2, 9)) == []
    with unit_of_work(engine) as db:
        assert db.scalar(select(ReviewItem.status).where(
            ReviewItem.key == f"dunning:{opco}:J+30")) == "resolved"



def test_dunning_looks_up_the_reminders_of_the_unpaid_invoices_not_every_email_sent(
        engine, tmp_path):
    """Issue 20: the reminders made were found by reading every e-mail effect and review item
    with a LIKE each night, all the years' e-mails; they are looked up by the keys due."""
    from sqlalchemy import event

    prepare(engine, tmp_path, **S001_DONE)
    issue(engine)
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        reminded = remind_unpaid(engine, as_of=date(2027, 1, 16), now=NOW,
                                 marketplace=MARKETPLACE, reminder_days=(7, 30))
    finally:
        event.remove(engine, "before_cursor_execute", record)

    assert len(reminded) == 3  # the three invoices issued, at J+7
    assert not [s for s in statements if "LIKE" in s.upper()], statements


def test_a_night_reads_the_facts_of_its_sessions_once_not_again_per_invoice(engine, tmp_path):
    """Issue 20: each invoice issued read its session's facts again (nine queries), a tenth of
    a catch-up night's time; they come from the one read that computed what is owed."""
    from sqlalchemy import event

    prepare(engine, tmp_path, **S001_DONE)
    trainee_reads: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        if "FROM trainees" in statement:
            trainee_reads.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        issued = issue(engine)
    finally:
        event.remove(engine, "before_cursor_execute", record)

    assert len(issued.issued) == 3 and len(trainee_reads) == 1, trainee_reads
    opco = next(i for i in invoices(engine).values() if i.invoice_key == "opco")
    assert opco.document["trainees"] and opco.document["service_start"]  # from those facts


def test_an_invoice_to_a_payer_not_fully_identified_waits_without_a_number(engine, tmp_path):
    import dataclasses

    from adapters.models import ReviewItem

    prepare(engine, tmp_path, **S001_DONE)
    real = reference_data()
    atlas = dataclasses.replace(real.opcos["ATLAS"], siren="", billing_postcode="")
    unknown = dataclasses.replace(real, opcos={**real.opcos, "ATLAS": atlas})

    held = issue_due_invoices(engine, as_of=AS_OF, now=NOW, marketplace=MARKETPLACE,
                              reference=unknown, terms=TERMS)

    assert held.held == [InvoiceHeld("S-001", "opco", "ATLAS, soutenir les compétences",
                                     ("SIREN", "code postal"), first_time=True)]
    assert sorted((i.session_ref, i.invoice_key, i.number) for i in invoices(engine).values()) == [
        ("S-001", "company", "FA-2026-000001"), ("S-002", "company", "FA-2026-000002")]
    with unit_of_work(engine) as db:
        item = db.scalar(select(ReviewItem).where(ReviewItem.key == "invoice:S-001:opco"))
        assert (item.status, item.kind) == ("open", "invoice")
        assert "il manque : SIREN, code postal" in item.reasons[0]

    again = issue_due_invoices(engine, as_of=AS_OF, now=NOW, marketplace=MARKETPLACE,
                               reference=unknown, terms=TERMS)
    assert [h.first_time for h in again.held] == [False]  # the operators were told already

    issued = issue(engine)  # the reference data completed: issued with the next number

    assert [(i.session_ref, i.part, i.number) for i in issued.issued] == [
        ("S-001", "opco", "FA-2026-000003")]
    assert issued.held == []
    document = invoices(engine)["FA-2026-000003"].document
    assert (document["buyer"]["name"], document["buyer"]["siren"]) == (
        "ATLAS, soutenir les compétences", "851296632")
    with unit_of_work(engine) as db:
        item = db.scalar(select(ReviewItem).where(ReviewItem.key == "invoice:S-001:opco"))
        assert item.status == "resolved"
