"""The books of the demo's ledger, on SQLite and PostgreSQL: the FEC passes its format rules and
balances, and the figures tie out — sales journal = invoices net of credit notes, bank journal =
statement lines, customers' balances = the invoices' residuals, trainers paid = lettered. Then a
closed period: its entries never change, a later change is a correction in the open period."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from adapters.database import unit_of_work
from adapters.models import Allocation, AuditEntry, BankLine, Invoice, Payout
from backoffice.fec import COLUMNS, check_fec
from backoffice.money import cents
from services.accounting import (
    AccountingError,
    account_balances,
    close_period,
    fec_content,
    fec_entries,
    write_fec,
)
from services.bpf import build_bpf
from services.payments import decide_payment
from services.receivables import open_amounts, read_invoices
from tests.accounting.demo_ledger import build_demo_ledger
from tests.conftest import DATABASES, clear_tables, database_engine

SIREN = "732829320"  # the marketplace's, from the settings' SIRET


@pytest.fixture(scope="module", params=list(DATABASES), ids=list(DATABASES))
def demo(request, tmp_path_factory):
    """The demo's ledger, built once per database for the module, and its 2026 FEC."""
    engine = database_engine(request.param)
    clear_tables(engine)
    folder = tmp_path_factory.mktemp(f"books-{request.param}")
    last_night = build_demo_ledger(engine, folder)
    written = write_fec(engine, year=2026, out_dir=folder / "fec", siren=SIREN, as_of=last_night)
    entries, _ = fec_entries(engine, 2026)
    yield engine, written, entries
    clear_tables(engine)


def journal(entries, code):
    return [entry for entry in entries if entry.journal == code]


def test_the_demo_fec_passes_the_format_rules_and_balances(demo):
    _, written, _ = demo
    raw = written.path.read_bytes()
    text = raw.decode("utf-8")
    assert written.path.name == "732829320FEC20261231.txt"
    assert check_fec(text, written.path.name) == []
    rows = [line.split("\t") for line in text.split("\r\n")[:-1]]
    assert tuple(rows[0]) == COLUMNS and {len(row) for row in rows} == {18}
    assert written.debit == written.credit > 0
    assert written.lines == len(rows) - 1
    assert set(written.per_journal) == {"VT", "BQ", "HA"}
    assert any(row[13] for row in rows[1:])  # some lines are lettered
    assert {row[12] for row in rows[1:]} and all("." not in row[11] for row in rows[1:])


def test_the_sales_journal_is_the_invoices_net_of_credit_notes(demo):
    engine, _, entries = demo
    with unit_of_work(engine) as db:
        invoices = list(db.scalars(select(Invoice)))
    sign = {"invoice": 1, "credit_note": -1}
    net_ht = sum(sign[i.kind] * cents(i.total_ht) for i in invoices)
    net_ttc = sum(sign[i.kind] * cents(i.total_ttc) for i in invoices)
    sales = journal(entries, "VT")
    assert len(sales) == len(invoices)
    assert -sum(line.amount for e in sales for line in e.lines if line.account == "706") == net_ht
    assert sum(line.amount for e in sales for line in e.lines if line.account == "411") == net_ttc
    for entry in sales:  # and invoice by invoice, on the funder's auxiliary account
        invoice = next(i for i in invoices if entry.event == f"invoice:{i.number}")
        (customer,) = [line for line in entry.lines if line.account == "411"]
        assert customer.amount == sign[invoice.kind] * cents(invoice.total_ttc)
        assert customer.aux.endswith(invoice.funder_ref)


def test_the_bank_journal_is_the_statement_lines(demo):
    engine, _, entries = demo
    with unit_of_work(engine) as db:
        lines = {line.id: line.amount for line in db.scalars(
            select(BankLine).where(BankLine.duplicate_of.is_(None)))}
    bank = journal(entries, "BQ")
    booked = {int(e.event.removeprefix("bank:")): sum(line.amount for line in e.lines
                                                      if line.account == "512") for e in bank}
    assert booked == {line_id: cents(amount) for line_id, amount in lines.items()}
    assert sum(booked.values()) == cents(sum(lines.values(), Decimal(0)))
    assert {line.account for e in bank for line in e.lines} >= {"512", "411", "401", "627", "471"}


def test_the_customers_balances_are_the_invoices_residuals(demo):
    engine, _, entries = demo
    with unit_of_work(engine) as db:
        invoices = open_amounts(read_invoices(db))  # the residuals of invoices.csv, in cents
        applied = sum(1 for _ in db.scalars(select(Allocation).where(
            Allocation.state == "applied")))
    balances = account_balances(entries, "411")
    residuals = {number: int(amount) for number, amount in zip(invoices["number"],
                                                               invoices["open"], strict=True)}
    assert applied > 0 and any(value == 0 for value in residuals.values())
    assert {key: amount for (_, key), amount in balances.items()} == residuals


def test_the_trainers_paid_are_settled_and_lettered(demo):
    engine, written, entries = demo
    with unit_of_work(engine) as db:
        executed = {p.trainer_invoice for p in db.scalars(select(Payout).where(
            Payout.status == "executed"))}
    assert executed
    balances = account_balances(entries, "401")
    assert all(balances.get((aux, key), 0) == 0 for aux, key in balances if key in executed)
    text = written.path.read_bytes().decode("utf-8")
    rows = [line.split("\t") for line in text.split("\r\n")[1:-1]]
    lettered = {row[8] for row in rows if row[4] == "401" and row[13]}
    assert executed <= lettered  # each paid trainer invoice (its purchase line) is lettered


# --- closing ---------------------------------------------------------------------------------------

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def test_the_bpf_products_and_fees_are_the_journals_revenue_and_sub_contracting(demo):
    """Cadre C's total is the sales journal's revenue (706, credits net of debits) and cadre D's
    fees of external trainers the purchases journal's sub-contracting (604): the BPF and the
    books read one ledger."""
    engine, _, entries = demo
    draft = build_bpf(engine, 2026)

    def net(journal_code, account):
        return sum(line.amount for entry in journal(entries, journal_code)
                   for line in entry.lines if line.account == account)

    revenue = -net("VT", "706")
    assert revenue > 0
    assert cents(draft.products_ht) == revenue
    fees = next(row["montant_ht"] for row in draft.sections["D"] if row["ligne"] == "dont 2")
    assert cents(fees) == net("HA", "604") > 0


def test_a_closed_period_never_changes_a_later_decision_is_a_correction(engine, tmp_path):
    build_demo_ledger(engine, tmp_path)
    before = fec_content(fec_entries(engine, 2026)[0], date(2026, 12, 3))

    closed = close_period(engine, through=date(2026, 12, 1), as_of=date(2026, 12, 3),
                          operator="operator:test", now=NOW)

    assert closed.entries > 0 and closed.previous is None
    with unit_of_work(engine) as db:
        (audit,) = db.scalars(select(AuditEntry).where(
            AuditEntry.action == "accounting.period_closed"))
        unexplained = db.scalar(select(BankLine.id).where(
            BankLine.label.contains("REF CLIENT 4471")))
    assert audit.subject == "2026-12-01" and audit.actor == "operator:test"
    assert fec_content(fec_entries(engine, 2026)[0], date(2026, 12, 3)) == before

    # an operator explains a credit of 1 December, posted on 471 in the closed period
    decide_payment(engine, line_id=unexplained, accept=True, invoices=None,
                   note="virement du client identifié", operator="operator:test", now=NOW)
    entries, through = fec_entries(engine, 2026)
    after = fec_content(entries, date(2026, 12, 3))

    assert through == date(2026, 12, 1)
    kept = [row for row in before.split("\r\n")[1:-1] if row.split("\t")[3] <= "20261201"]
    unlettered = [row.split("\t")[:13] for row in after.split("\r\n")]
    assert all(row.split("\t")[:13] in unlettered for row in kept)  # unchanged, lettering aside
    (correction,) = [e for e in entries if e.label.startswith("Correction, période close")]
    assert correction.event == f"bank:{unexplained:09d}" and correction.day == date(2026, 12, 2)
    assert sorted(line.account for line in correction.lines) == ["411", "471"]
    assert check_fec(after) == []


def test_a_period_closes_once_and_only_when_it_is_over(engine, tmp_path):
    build_demo_ledger(engine, tmp_path)
    with pytest.raises(AccountingError, match="période passée"):
        close_period(engine, through=date(2026, 12, 3), as_of=date(2026, 12, 3),
                     operator="operator:test", now=NOW)
    close_period(engine, through=date(2026, 11, 30), as_of=date(2026, 12, 3),
                 operator="operator:test", now=NOW)
    with pytest.raises(AccountingError, match="déjà close"):
        close_period(engine, through=date(2026, 11, 30), as_of=date(2026, 12, 3),
                     operator="operator:test", now=NOW)
    again = close_period(engine, through=date(2026, 12, 2), as_of=date(2026, 12, 3),
                         operator="operator:test", now=NOW)
    assert again.previous == date(2026, 11, 30)
    entries, _ = fec_entries(engine, 2026)
    assert all(entry.valid_date == date(2026, 12, 3) for entry in entries)  # all final now
    assert check_fec(fec_content(entries, date(2026, 12, 3))) == []
