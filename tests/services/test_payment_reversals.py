"""A funder's payment reversed or returned by the bank (camt.053 `RvslInd`, `RtrInf`): what it paid
is un-applied and its invoice reopened, with a review item; a statement whose balances disagree
is imported and flagged (issue 18, part 3). SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from adapters.database import unit_of_work
from adapters.models import Allocation, AuditEntry, BankLine, Invoice, ReviewItem
from services.payments import match_payments
from services.reports import write_report
from services.statements import import_statement_files
from tests.bank.test_camt_breadth import ATLAS, OURS, camt, entry, party
from tests.services.test_payments import NOW, OWN, setup_invoices
from tests.services.test_reports import read


def credit(number: str, amount: str, *, day: str = "2027-01-04", reversal: bool = False,
           e2e: str = "ATL-2701-0001") -> str:
    details = (f"<TxDtls><Refs><EndToEndId>{e2e}</EndToEndId></Refs>"
               f"<RltdPties>{party('Dbtr', 'OPCO ATLAS', ATLAS, '04')}"
               f"{party('Cdtr', 'NOUS', OURS, '04')}</RltdPties>"
               f"<RmtInf><Ustrd>{number} AT-2026-012345</Ustrd></RmtInf>"
               f"{'<RtrInf><Rsn><Cd>MD06</Cd></Rsn></RtrInf>' if reversal else ''}</TxDtls>")
    return entry(amount, "DBIT" if reversal else "CRDT", booked=f"<Dt>{day}</Dt>", details=details)


def load(engine, tmp_path: Path, name: str, text: str):
    path = tmp_path / "in" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    outcomes = import_statement_files(engine, [path], archive_dir=tmp_path / "archive",
                                      rejected_dir=tmp_path / "rejected", own_ibans=OWN, now=NOW)
    return outcomes, match_payments(engine, now=NOW)


def invoice(engine, number: str) -> Invoice:
    with unit_of_work(engine) as db:
        return db.scalars(select(Invoice).where(Invoice.number == number)).one()


def test_a_returned_payment_reopens_its_invoice_with_a_review_item(engine, tmp_path):
    opco = setup_invoices(engine, tmp_path)["opco"]
    _, first = load(engine, tmp_path, "j1.xml", camt("04", credit(opco.number, "1837.50")))
    assert len(first.applied) == 1 and invoice(engine, opco.number).status == "paid"

    _, second = load(engine, tmp_path, "j2.xml", camt("04", credit(
        opco.number, "1837.50", day="2027-01-06", reversal=True)))

    [reversed_] = second.reversed
    assert reversed_.original_line_id == first.applied[0].line_id
    assert reversed_.reopened == ((opco.number, Decimal("1837.50")),)
    reopened = invoice(engine, opco.number)
    assert (reopened.status, reopened.paid_amount) == ("issued", Decimal("0.00"))
    with unit_of_work(engine) as db:
        states = [a.state for a in db.scalars(select(Allocation))]
        item = db.scalars(select(ReviewItem).where(ReviewItem.kind == "reversal")).one()
        audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "payment.reversed")).one()
        line = db.get_one(BankLine, reversed_.line_id)
    assert states == ["reversed"] and second.applied == second.review == []
    assert item.key == f"reversal:{reversed_.line_id}" and item.status == "open"
    assert f"{opco.number} rouverte (1837.50 €)" in item.reasons[0]
    assert audit.subject == str(reversed_.line_id)
    assert (line.reversal, line.counterparty, line.classification) == (True, "OPCO ATLAS", "other_debit")

    _, third = load(engine, tmp_path, "j3.xml", camt("04", credit(opco.number, "1837.50", day="2027-01-07")
                                                     .replace("R1837.50", "R1837.50-bis")))
    assert third.reversed == [] and len(third.applied) == 1  # the funder pays again: applied again
    assert invoice(engine, opco.number).status == "paid"


def test_a_credit_reversed_in_the_same_file_is_never_matched(engine, tmp_path):
    opco = setup_invoices(engine, tmp_path)["opco"]
    _, report = load(engine, tmp_path, "j.xml", camt("04", credit(opco.number, "1837.50")
                                                     + credit(opco.number, "1837.50", reversal=True)))
    assert report.applied == report.review == [] and len(report.reversed) == 1
    assert invoice(engine, opco.number).status == "issued"
    with unit_of_work(engine) as db:
        keys = {(i.key.split(":")[0], i.status) for i in db.scalars(select(ReviewItem))}
    assert keys == {("payment", "resolved"), ("reversal", "open")}


def test_a_reversal_whose_credit_cannot_be_told_un_applies_nothing(engine, tmp_path):
    opco = setup_invoices(engine, tmp_path)["opco"]
    load(engine, tmp_path, "j1.xml", camt("04", credit(opco.number, "1837.50")))
    _, report = load(engine, tmp_path, "j2.xml", camt("04", credit(  # another end-to-end id
        opco.number, "1837.50", day="2027-01-06", reversal=True, e2e="OTHER-1")))
    [reversed_] = report.reversed
    assert reversed_.original_line_id is None and reversed_.reopened == ()
    assert "introuvable ou ambigu" in reversed_.reason
    assert invoice(engine, opco.number).status == "paid"


def test_a_statement_whose_balances_disagree_is_imported_and_flagged(engine, tmp_path):
    setup_invoices(engine, tmp_path)
    outcomes, _ = load(engine, tmp_path, "j.xml", camt("04", credit("FA-X", "100.00"),
                                                       balances=("1000.00", "1200.00")))
    [outcome] = outcomes
    assert outcome.status == "imported" and outcome.new_lines == 1
    [gap] = outcome.balance_gaps
    assert gap.gap == Decimal("100.00")
    with unit_of_work(engine) as db:
        item = db.scalars(select(ReviewItem).where(ReviewItem.kind == "statement")).one()
    assert item.reasons == [str(gap)] and "écart de 100.00 €" in item.reasons[0]


def test_statement_lines_csv_gives_value_date_reference_counterparty_account_and_reversal(engine, tmp_path):
    opco = setup_invoices(engine, tmp_path)["opco"]
    load(engine, tmp_path, "j.xml", camt("04", credit(opco.number, "1837.50")
                                         + credit(opco.number, "1837.50", reversal=True)))
    write_report(engine, tmp_path / "report")
    paid, returned = read(tmp_path / "report" / "statement_lines.csv")
    assert {k: paid[k] for k in ("value_date", "reference", "counterparty", "counterparty_account",
                                 "reversal", "amount")} == {
        "value_date": "2026-03-31", "reference": "ATL-2701-0001", "counterparty": "OPCO ATLAS",
        "counterparty_account": "FR74 **** **** **** **** ***7 890", "reversal": "", "amount": "1837.50"}
    assert (returned["reversal"], returned["amount"], returned["counterparty"]) == (
        "oui", "-1837.50", "OPCO ATLAS")
    assert ATLAS not in (tmp_path / "report" / "statement_lines.csv").read_text(encoding="utf-8")
