"""Trainer payouts on SQLite and PostgreSQL: decide, export a valid SEPA file once, see the debit
on a statement, e-mail the trainer once; returns, retries, self-billing, mismatches."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pypdf
import pytest
from sqlalchemy import event, func, select

from adapters.database import unit_of_work
from adapters.facturx import read_facturx_xml
from adapters.models import (
    BankLine,
    Effect,
    Payout,
    PayoutBatch,
    ReviewItem,
    SelfBilledInvoice,
)
from adapters.sepa import validate_pain001
from backoffice.matching import OWN_TRANSFER
from backoffice.payouts import NdaPolicy, PayoutMode
from demo.statements import DemoTransfer, camt_payout_statement
from services.payouts import (
    PayoutError,
    PayoutReport,
    export_batches,
    render_self_billed_invoices,
    retry_payout,
    schedule_payouts,
    track_executions,
    write_batch_files,
)
from tests.export_samples import SMALL_EXPORT
from tests.invoicing.kinds import assert_valid_facturx
from tests.services.test_invoices import MARKETPLACE, S001_DONE, prepare
from tests.services.test_payments import NOW, load, setup_invoices, statement

pytestmark = pytest.mark.any_date  # execution dates, business days, the wall clock moved

AS_OF = date(2027, 1, 5)  # a Tuesday; NOW is its early morning in Paris
NEXT_DAY = date(2027, 1, 6)


def amount_text(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def pay(engine, tmp_path, name, invoices) -> None:
    """A statement paying the invoices in full, each quoting its number (applied automatically)."""
    rows = [f"04/01/2027;VIR RECU;VIR RECU MOTIF: {i.number};{amount_text(i.total_ttc)};EUR"
            for i in invoices]
    _, report = load(engine, tmp_path, statement(tmp_path / "in", name, rows))
    assert len(report.applied) == len(invoices), report.review


def run(engine, tmp_path, as_of=AS_OF, now=NOW, **options):
    report = schedule_payouts(engine, as_of=as_of, now=now, **options)
    render_self_billed_invoices(engine, output_dir=tmp_path / "out", now=now,
                                marketplace=MARKETPLACE)
    return export_batches(engine, as_of=as_of, now=now, output_dir=tmp_path / "out",
                          marketplace=MARKETPLACE, report=report)


def payouts(engine) -> dict[str, Payout]:
    with unit_of_work(engine) as db:
        return {p.id: p for p in db.scalars(select(Payout))}


def emails(engine, prefix: str) -> list[Effect]:
    with unit_of_work(engine) as db:
        return list(db.scalars(select(Effect).where(Effect.idempotency_key.startswith(prefix))))


def test_a_fully_paid_session_is_paid_once_in_a_valid_file_then_confirmed_once(engine, tmp_path):
    invoices = setup_invoices(engine, tmp_path)
    pay(engine, tmp_path, "sg1.csv", [invoices["s2"]])

    report = run(engine, tmp_path)

    assert [p.session_ref for p in report.scheduled] == ["S-002"]
    assert "S-001" in [w.session_ref for w in report.waiting]  # its invoices are not paid
    assert any("TR-02" in w.warning and "NDA" in w.warning for w in report.warnings)
    (payout,) = payouts(engine).values()
    assert (payout.id, payout.amount_ht, payout.vat, payout.amount) == (
        "PO-2027-000001", Decimal("1100.00"), Decimal("220.00"), Decimal("1320.00"))
    assert (payout.trainer_invoice, payout.status, payout.execution_date) == (
        "F-2026-017", "exported", NEXT_DAY)
    (batch,) = report.batches
    assert batch.batch_id == "VIR-FORMATEURS-20270106-01"
    xml = (tmp_path / "out" / batch.path).read_bytes()
    validate_pain001(xml, "03")
    assert b"<EndToEndId>PO-2027-000001</EndToEndId>" in xml
    assert b"<Ustrd>Honoraires session S-002 facture F-2026-017</Ustrd>" in xml
    assert b"<ReqdExctnDt>2027-01-06</ReqdExctnDt>" in xml

    again = run(engine, tmp_path, now=NOW.replace(hour=9))  # same day, later: nothing new
    assert again.scheduled == again.batches == []
    (tmp_path / "out" / batch.path).unlink()  # lost file: written again, same bytes
    write_batch_files(engine, tmp_path / "out")
    assert (tmp_path / "out" / batch.path).read_bytes() == xml

    debit = statement(tmp_path / "in", "sg2.csv", [
        "06/01/2027;VIR SEPA EMIS;VIR SEPA EMIS REMISE VIR-FORMATEURS-20270106-01;-1 320,00;EUR"])
    load(engine, tmp_path, debit)
    tracked = track_executions(engine, now=NOW, marketplace=MARKETPLACE)

    assert [e.payout_id for e in tracked.executed] == ["PO-2027-000001"]
    assert payouts(engine)["PO-2027-000001"].executed_on == NEXT_DAY
    (email,) = emails(engine, "email:payout-executed:")
    assert email.payload["to"] == ["jf.legall@formateurs.example"]
    assert "S-002" in email.payload["subject"] and "1\u202f320,00\xa0€" in email.payload["text"]
    assert "6 janvier 2027" in email.payload["text"]
    assert track_executions(engine, now=NOW, marketplace=MARKETPLACE).executed == []
    assert len(emails(engine, "email:payout-executed:")) == 1


def test_a_batch_booked_camt_debit_executes_each_transfer_by_its_end_to_end_id(engine, tmp_path):
    invoices = setup_invoices(engine, tmp_path)
    pay(engine, tmp_path, "sg1.csv", [invoices["s2"]])
    run(engine, tmp_path)
    (payout,) = payouts(engine).values()
    camt = tmp_path / "in" / "camt.xml"
    camt.write_bytes(camt_payout_statement(MARKETPLACE.iban, payout.batch_id, [DemoTransfer(
        payout.id, payout.creditor_name, payout.iban, payout.amount, payout.remittance)],
        NEXT_DAY))

    outcomes, _ = load(engine, tmp_path, camt)
    tracked = track_executions(engine, now=NOW, marketplace=MARKETPLACE)

    assert outcomes[0].status == "imported"
    assert [e.payout_id for e in tracked.executed] == [payout.id]


def test_a_returned_transfer_fails_goes_to_review_and_an_operator_retries(engine, tmp_path):
    invoices = setup_invoices(engine, tmp_path)
    pay(engine, tmp_path, "sg1.csv", [invoices["s2"]])
    run(engine, tmp_path)
    load(engine, tmp_path, statement(tmp_path / "in", "sg2.csv", [
        "06/01/2027;VIR SEPA EMIS;VIR SEPA EMIS PO-2027-000001;-1 320,00;EUR",
        "08/01/2027;RETOUR VIR;RETOUR VIR SEPA PO-2027-000001 COMPTE CLOTURE;1 320,00;EUR"]))

    tracked = track_executions(engine, now=NOW, marketplace=MARKETPLACE)

    assert [e.payout_id for e in tracked.executed] == ["PO-2027-000001"]
    assert [f.payout_id for f in tracked.failed] == ["PO-2027-000001"]
    assert payouts(engine)["PO-2027-000001"].status == "failed"
    with unit_of_work(engine) as db:
        item = db.scalar(select(ReviewItem).where(ReviewItem.key == "payout:S-002"))
    assert item.status == "open" and "COMPTE CLOTURE" in item.reasons[0]
    blocked = run(engine, tmp_path)  # no second payout while the return is not dealt with
    assert blocked.scheduled == [] and "retry-payout" in blocked.review[0].reasons
    with unit_of_work(engine) as db:  # the return's item keeps its words and its proposal
        item = db.scalar(select(ReviewItem).where(ReviewItem.key == "payout:S-002"))
    assert "COMPTE CLOTURE" in item.reasons[0]
    assert item.proposals == [{"flow": "retry-payout", "payout_id": "PO-2027-000001"}]
    with pytest.raises(PayoutError, match="inconnu"):
        retry_payout(engine, payout_id="PO-2027-000002", note="x" * 5, now=NOW, operator="op")

    retry_payout(engine, payout_id="PO-2027-000001", note="IBAN corrigé", now=NOW, operator="op")
    with pytest.raises(PayoutError, match="seul un virement rejeté"):  # once
        retry_payout(engine, payout_id="PO-2027-000001", note="encore", now=NOW, operator="op")
    retried = run(engine, tmp_path)

    assert [p.payout_id for p in retried.scheduled] == ["PO-2027-000002"]
    assert payouts(engine)["PO-2027-000002"].sequence == 2
    with unit_of_work(engine) as db:
        assert db.scalar(select(ReviewItem.status).where(
            ReviewItem.key == "payout:S-002")) == "resolved"


def test_a_self_billing_trainer_gets_an_autofacturation_invoice_in_its_own_series(
        engine, tmp_path):
    invoices = setup_invoices(engine, tmp_path)
    pay(engine, tmp_path, "sg1.csv", [invoices["opco"], invoices["company"]])

    report = run(engine, tmp_path)

    (scheduled,) = report.scheduled
    assert (scheduled.session_ref, scheduled.trainer_invoice) == ("S-001", "AF-TR-01-2027-000001")
    with unit_of_work(engine) as db:
        invoice = db.scalar(select(SelfBilledInvoice))
    assert (invoice.amount_ht, invoice.vat, invoice.amount_ttc) == (
        Decimal("1500.00"), Decimal("0.00"), Decimal("1500.00"))
    text = "".join(page.extract_text() for page in pypdf.PdfReader(
        tmp_path / "out" / invoice.pdf_path).pages)
    for expected in ("Autofacturation", "AF-TR-01-2027-000001", "Élodie Marchand",
                     "art. 293 B du CGI", "S-001", "1\u202f500,00", "Prix unitaire HT",
                     "échéance : 6 janvier 2027", "40 €", "refinancement"):
        assert expected in text
    # a Factur-X like the funders' invoices: type 389, in the trainer's name, valid
    xml = read_facturx_xml((tmp_path / "out" / invoice.pdf_path).read_bytes())
    assert_valid_facturx(xml)
    assert b"<ram:TypeCode>389</ram:TypeCode>" in xml and b"\xc3\x89lodie Marchand" in xml
    (copy,) = emails(engine, "email:self-billed:")
    assert copy.payload["attachments"] == [str(tmp_path / "out" / invoice.pdf_path)]
    assert render_self_billed_invoices(engine, output_dir=tmp_path / "out", now=NOW,
                                       marketplace=MARKETPLACE) == []


TR_02 = "TR-02,Jean-François,Le Gall,jf.legall@formateurs.example,44306184100047,,"
TR_02_SELF_BILLING = SMALL_EXPORT["trainers.csv"].replace(
    f"{TR_02}DE89370400440532013000,,vat,no,,,",
    f"{TR_02}DE89370400440532013000,,vat,yes,8 rue Nationale,59000,Lille")


def self_billed(engine) -> SelfBilledInvoice:
    with unit_of_work(engine) as db:
        return db.scalar(select(SelfBilledInvoice))


def test_a_self_billing_trainer_who_charges_vat_shows_their_vat_number(engine, tmp_path):
    """VAT charged: the trainer's intra-community VAT number (derived from their SIREN, the
    export has no such column) on the PDF and in its Factur-X, the VAT on the fee, 20 %."""
    invoices = setup_invoices(engine, tmp_path)
    prepare(engine, tmp_path, name="export-sb", **S001_DONE, trainers_csv=TR_02_SELF_BILLING)
    pay(engine, tmp_path, "sg1.csv", [invoices["s2"]])

    (scheduled,) = run(engine, tmp_path).scheduled

    invoice = self_billed(engine)
    assert (scheduled.trainer_invoice, invoice.amount_ht, invoice.vat, invoice.amount_ttc) == (
        "AF-TR-02-2027-000001", Decimal("1100.00"), Decimal("220.00"), Decimal("1320.00"))
    pdf = (tmp_path / "out" / invoice.pdf_path).read_bytes()
    text = " ".join("".join(page.extract_text() for page in pypdf.PdfReader(
        tmp_path / "out" / invoice.pdf_path).pages).replace("\u202f", " ").split())
    for expected in ("Autofacturation", "Jean-François Le Gall", "8 rue Nationale, 59000 Lille",
                     "N° TVA intracommunautaire FR64443061841", "TVA 20 % sur 1 100,00 €",
                     "220,00 €", "1 320,00 €", "échéance : 6 janvier 2027",
                     "IBAN DE89370400440532013000"):
        assert expected in text, expected
    xml = read_facturx_xml(pdf)
    assert_valid_facturx(xml)
    assert b'<ram:ID schemeID="VA">FR64443061841</ram:ID>' in xml
    assert b"<ram:CategoryCode>S</ram:CategoryCode>" in xml


def test_a_self_billed_invoice_without_the_trainers_address_waits_in_review_for_it(
        engine, tmp_path):
    """The trainer's address is a mention of their invoice: without it no PDF is made (nor sent),
    the operators are told; the next run makes it once the platform has the address."""
    invoices = setup_invoices(engine, tmp_path)
    no_address = TR_02_SELF_BILLING.replace("8 rue Nationale,59000,Lille", ",,")
    prepare(engine, tmp_path, name="export-sb", **S001_DONE, trainers_csv=no_address)
    pay(engine, tmp_path, "sg1.csv", [invoices["s2"]])

    run(engine, tmp_path)

    assert self_billed(engine).pdf_path is None and emails(engine, "email:self-billed:") == []
    with unit_of_work(engine) as db:
        item = db.scalar(select(ReviewItem).where(
            ReviewItem.key == "self-billed:AF-TR-02-2027-000001"))
    assert item.status == "open" and "vendeur : adresse vide" in item.reasons[0]

    prepare(engine, tmp_path, name="export-fixed", **S001_DONE, trainers_csv=TR_02_SELF_BILLING)
    assert render_self_billed_invoices(engine, output_dir=tmp_path / "out", now=NOW,
                                       marketplace=MARKETPLACE) == ["AF-TR-02-2027-000001"]
    assert self_billed(engine).pdf_path is not None
    assert len(emails(engine, "email:self-billed:")) == 1
    with unit_of_work(engine) as db:
        assert db.scalar(select(ReviewItem.status).where(
            ReviewItem.key == "self-billed:AF-TR-02-2027-000001")) == "resolved"


def test_a_trainer_invoice_of_another_amount_waits_in_review_until_corrected(engine, tmp_path):
    wrong = SMALL_EXPORT["trainer_invoices.csv"].replace("1100.00,220.00,1320.00",
                                                         "1200.00,240.00,1440.00")
    invoices = setup_invoices(engine, tmp_path)
    prepare(engine, tmp_path, name="export-wrong", trainer_invoices_csv=wrong)
    pay(engine, tmp_path, "sg1.csv", [invoices["s2"]])

    first = run(engine, tmp_path)

    assert first.scheduled == [] and "attendu 1100.00 € HT" in first.review[0].reasons
    corrected = wrong + "S-002,TR-02,F-2026-018,1100.00,220.00,1320.00,2027-01-04T09:00:00+01:00\n"
    prepare(engine, tmp_path, name="export-fixed", trainer_invoices_csv=corrected)
    second = run(engine, tmp_path)
    assert [p.trainer_invoice for p in second.scheduled] == ["F-2026-018"]
    with unit_of_work(engine) as db:
        assert db.scalar(select(ReviewItem.status).where(
            ReviewItem.key == "payout:S-002")) == "resolved"


def test_settings_block_without_nda_and_pay_pro_rata(engine, tmp_path):
    invoices = setup_invoices(engine, tmp_path)
    pay(engine, tmp_path, "sg1.csv", [invoices["s2"], invoices["opco"]])

    blocked = schedule_payouts(engine, as_of=AS_OF, now=NOW, nda_policy=NdaPolicy.block)
    assert [r.session_ref for r in blocked.review] == ["S-002"]

    tranche = schedule_payouts(engine, as_of=AS_OF, now=NOW, mode=PayoutMode.pro_rata)
    by_session = {p.session_ref: p for p in payouts(engine).values()}
    opco, company = invoices["opco"].total_ttc, invoices["company"].total_ttc
    share = (Decimal("1500.00") * opco / (opco + company)).quantize(Decimal("0.01"), "ROUND_DOWN")
    assert by_session["S-001"].amount == share and len(tranche.scheduled) == 2
    assert schedule_payouts(engine, as_of=AS_OF, now=NOW, mode=PayoutMode.pro_rata).scheduled == []


def test_a_late_export_moves_the_execution_date_forward(engine, tmp_path):
    invoices = setup_invoices(engine, tmp_path)
    pay(engine, tmp_path, "sg1.csv", [invoices["s2"]])
    schedule_payouts(engine, as_of=AS_OF, now=NOW)

    late = datetime(2027, 1, 9, 8, 0, tzinfo=UTC)  # a Saturday
    report = export_batches(engine, as_of=date(2027, 1, 9), now=late, output_dir=tmp_path,
                            marketplace=MARKETPLACE)

    assert report.batches[0].execution_date == date(2027, 1, 11)
    with unit_of_work(engine) as db:
        assert db.scalar(select(func.count()).select_from(PayoutBatch)) == 1


def test_a_backfilled_day_announces_the_execution_date_its_file_carries(engine, tmp_path):
    invoices = setup_invoices(engine, tmp_path)
    pay(engine, tmp_path, "sg1.csv", [invoices["s2"]])
    later = datetime(2027, 1, 9, 8, 0, tzinfo=UTC)  # a backfill of the 5th, run on a Saturday

    report = run(engine, tmp_path, as_of=AS_OF, now=later)

    [scheduled] = report.scheduled
    [batch] = report.batches
    assert scheduled.execution_date == batch.execution_date == date(2027, 1, 11)
    assert payouts(engine)[scheduled.payout_id].execution_date == date(2027, 1, 11)


def test_the_payouts_report(engine, tmp_path):
    from services.reports import write_report
    from tests.services.test_reports import read

    invoices = setup_invoices(engine, tmp_path)
    pay(engine, tmp_path, "sg1.csv", [invoices["s2"]])
    run(engine, tmp_path)
    write_report(engine, tmp_path / "report")

    (row,) = read(tmp_path / "report" / "payouts.csv")
    assert row == {"payout_id": "PO-2027-000001", "session_ref": "S-002", "trainer_ref": "TR-02",
                   "amount": "1320.00", "status": "exported",
                   "batch": "VIR-FORMATEURS-20270106-01", "execution_date": "2027-01-06",
                   "executed_date": "", "trainer_invoice": "F-2026-017"}


def test_the_iso_2019_file_carries_the_trainers_structured_address(engine, tmp_path):
    invoices = setup_invoices(engine, tmp_path)
    pay(engine, tmp_path, "sg1.csv", [invoices["opco"], invoices["company"]])
    schedule_payouts(engine, as_of=AS_OF, now=NOW)

    report = export_batches(engine, as_of=AS_OF, now=NOW, output_dir=tmp_path / "out",
                            marketplace=MARKETPLACE, version="09")

    xml = (tmp_path / "out" / report.batches[0].path).read_bytes()
    validate_pain001(xml, "09")
    assert b"<ReqdExctnDt><Dt>2027-01-06</Dt></ReqdExctnDt>" in xml
    for part in (b"<StrtNm>3 rue des Lilas</StrtNm>", b"<PstCd>69003</PstCd>",
                 b"<TwnNm>Lyon</TwnNm>", b"<Nm>Elodie Marchand</Nm>"):
        assert part in xml


def test_a_trainer_invoice_unpaid_45_days_after_receipt_is_shown_with_the_days_left(
        engine, tmp_path):
    from backoffice.outcomes import TrainerInvoiceNearPaymentCap

    invoices = setup_invoices(engine, tmp_path)  # F-2026-017 of TR-02 received on 8 October

    def near_cap(as_of: date) -> list[TrainerInvoiceNearPaymentCap]:
        return schedule_payouts(engine, as_of=as_of, now=NOW).near_payment_cap

    assert near_cap(date(2026, 11, 21)) == []  # day 44
    assert near_cap(date(2026, 11, 22)) == [TrainerInvoiceNearPaymentCap(
        "S-002", "TR-02", "F-2026-017", date(2026, 10, 8), 15)]  # day 45: the funders unpaid
    assert [late.days_left for late in near_cap(date(2026, 12, 10))] == [-3]  # cap passed
    pay(engine, tmp_path, "sg1.csv", [invoices["s2"]])
    assert near_cap(AS_OF) == []  # paid now: its payout is scheduled


def test_credit_notes_add_up_to_the_cent_on_both_databases(engine, tmp_path):
    """Two credit notes of one invoice (0.70 and 0.10): 0.80 credited, not SQLite's float sum
    0.7999999999999999, which would leave the invoice « non soldée » once paid."""
    from adapters.models import Invoice
    from services.payouts import load_payout_facts

    invoice = setup_invoices(engine, tmp_path)["opco"]
    with unit_of_work(engine) as db:
        for n, amount in ((1, "0.70"), (2, "0.10")):
            db.add(Invoice(number=f"AV-2026-00000{n}", kind="credit_note",
                           session_ref=invoice.session_ref, invoice_key=f"credit-{n}",
                           funder_kind=invoice.funder_kind, funder_ref=invoice.funder_ref,
                           funder_name=invoice.funder_name, billing_email=invoice.billing_email,
                           issue_date=AS_OF, due_date=AS_OF, total_ht=Decimal(amount),
                           total_vat=Decimal("0.00"), total_ttc=Decimal(amount), document={},
                           credit_note_of=invoice.number, created_at=NOW))
        db.flush()
        facts = load_payout_facts(db)[invoice.session_ref]

    [funder_invoice] = [i for i in facts.funder_invoices if i.number == invoice.number]
    assert str(funder_invoice.credited) == "0.80"
    paid = replace(funder_invoice, paid=invoice.total_ttc - Decimal("0.80"))
    assert paid.settled


def test_a_night_reads_only_the_sessions_it_may_still_pay(engine, tmp_path):
    """A session paid out in full is not read again each night (the history would grow every
    night's work); a returned transfer brings it back until it is paid again."""
    from services.payouts import load_payout_facts, paid_out

    invoices = setup_invoices(engine, tmp_path)
    pay(engine, tmp_path, "sg1.csv", [invoices["s2"]])
    with unit_of_work(engine) as db:
        assert sorted(load_payout_facts(db)) == ["S-001", "S-002"] and paid_out(db) == set()

    run(engine, tmp_path)
    with unit_of_work(engine) as db:
        assert paid_out(db) == {"S-002"}
        assert sorted(load_payout_facts(db)) == ["S-001"]  # S-001: its invoices are not paid

    load(engine, tmp_path, statement(tmp_path / "in", "sg2.csv", [
        "06/01/2027;VIR SEPA EMIS;VIR SEPA EMIS PO-2027-000001;-1 320,00;EUR",
        "08/01/2027;RETOUR VIR;RETOUR VIR SEPA PO-2027-000001 COMPTE CLOTURE;1 320,00;EUR"]))
    track_executions(engine, now=NOW, marketplace=MARKETPLACE)
    with unit_of_work(engine) as db:
        assert paid_out(db) == set() and sorted(load_payout_facts(db)) == ["S-001", "S-002"]
    assert run(engine, tmp_path).review[0].session_ref == "S-002"


@contextmanager
def payouts_loaded() -> Iterator[list[str]]:
    """The ids of the payouts the block loads from the database."""
    loaded: list[str] = []

    def record(payout: Payout, _context) -> None:
        loaded.append(payout.id)

    event.listen(Payout, "load", record)
    try:
        yield loaded
    finally:
        event.remove(Payout, "load", record)


def test_the_tracking_reads_each_line_once_and_only_the_payouts_the_new_lines_quote(
        engine, tmp_path):
    """Issue 20: the history's executed payouts and lines are not read again each night; a
    return coming back months later is a new line, quoting its payout, and is still seen."""
    invoices = setup_invoices(engine, tmp_path)
    pay(engine, tmp_path, "sg1.csv", [invoices["s2"]])
    run(engine, tmp_path)
    load(engine, tmp_path, statement(tmp_path / "in", "sg2.csv", [
        "06/01/2027;VIR SEPA EMIS;VIR SEPA EMIS PO-2027-000001;-1 320,00;EUR"]))
    with payouts_loaded() as loaded:
        tracked = track_executions(engine, now=NOW, marketplace=MARKETPLACE)
    assert [e.payout_id for e in tracked.executed] == ["PO-2027-000001"]
    assert loaded == ["PO-2027-000001"]
    with unit_of_work(engine) as db:
        own = db.scalars(select(BankLine).where(BankLine.classification == OWN_TRANSFER)).all()
    assert [line.payouts_tracked_at for line in own] == [NOW]

    later = NOW + timedelta(days=1)
    with payouts_loaded() as loaded:  # nothing new on the statements: nothing read
        assert track_executions(engine, now=later, marketplace=MARKETPLACE) == PayoutReport()
    assert loaded == []

    load(engine, tmp_path, statement(tmp_path / "in", "sg3.csv", [  # three months later
        "07/04/2027;RETOUR VIR;RETOUR VIR SEPA PO-2027-000001 RAPPEL DU DONNEUR D'ORDRE;"
        "1 320,00;EUR"]))
    with payouts_loaded() as loaded:
        tracked = track_executions(engine, now=later, marketplace=MARKETPLACE)
    assert [f.payout_id for f in tracked.failed] == ["PO-2027-000001"]
    assert loaded == ["PO-2027-000001"]
    assert payouts(engine)["PO-2027-000001"].status == "failed"
    assert track_executions(engine, now=later, marketplace=MARKETPLACE).failed == []
