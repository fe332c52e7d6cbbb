"""The aged receivables' aggregation (services/receivables.py): per funder and age bucket, the
DSO period's sales, the DSO of the OPCOs, what to chase first; on frames, then on SQLite and
PostgreSQL. The rules of one invoice are tested in tests/core/test_receivables.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from adapters.database import unit_of_work
from adapters.models import Invoice, InvoiceDeposit
from backoffice.money import ZERO
from backoffice.receivables import BUCKETS, CHASE_FIRST
from services.receivables import INVOICE_COLUMNS, age_receivables, period_sales

D = Decimal
AS_OF = date(2026, 12, 31)
NOW = datetime(2027, 1, 5, 3, 30, tzinfo=UTC)


def invoice(number: str, amount: str, days: int, funder: str = "ATLAS", kind: str = "opco", *,
            paid: str = "0.00", issued: date | None = None) -> tuple:
    """An invoice `days` past its due date as of AS_OF (its term: 30 days)."""
    due = AS_OF - timedelta(days=days)
    return (number, "invoice", kind, funder, funder.title(), issued or due - timedelta(days=30),
            due, D(amount), D(paid), None)


def credit_note(number: str, of: str, amount: str, issued: date, funder: str = "ATLAS",
                kind: str = "opco") -> tuple:
    return (number, "credit_note", kind, funder, funder.title(), issued, issued, D(amount), ZERO,
            of)


def documents(*rows: tuple) -> pd.DataFrame:
    """Rows as `read_invoices` gives them: by number, amounts as Decimal objects."""
    return pd.DataFrame(sorted(rows), columns=INVOICE_COLUMNS, dtype=object)


def test_an_invoice_settled_or_credited_is_not_owed():
    aged = age_receivables(documents(
        invoice("FA-1", "1000.00", 61, "C-1", "company", paid="1000.00"),
        invoice("FA-2", "1000.00", 61, "C-1", "company"),
        credit_note("AV-1", "FA-2", "1000.00", AS_OF + timedelta(days=5), "C-1", "company"),
        invoice("FA-3", "1000.00", 61, "C-1", "company", paid="400.00"),
        credit_note("AV-2", "FA-3", "100.00", AS_OF, "C-1", "company")), {}, AS_OF)

    [balance] = aged.balances
    assert (balance.funder_ref, balance.invoices, balance.open) == ("C-1", 1, D("500.00"))
    assert balance.buckets == (ZERO, ZERO, ZERO, D("500.00"), ZERO)  # 61 days: 61-90
    assert [(i.number, i.open, i.days_late) for i in aged.to_chase] == [("FA-3", D("500.00"), 61)]
    assert age_receivables(documents(), {}, AS_OF) == age_receivables(documents(
        invoice("FA-1", "10.00", 5, paid="10.00")), {}, AS_OF)  # nothing owed: no balance


def test_an_invoice_issued_after_the_business_date_is_not_owed_yet():
    later = invoice("FA-1", "10.00", -40, issued=AS_OF + timedelta(days=1))
    assert age_receivables(documents(later), {}, AS_OF).balances == ()


def test_an_invoice_awaiting_its_deposit_on_a_portal_is_not_yet_due():
    aged = age_receivables(documents(invoice("FA-1", "300.00", 200)), {"FA-1": None}, AS_OF)
    [balance] = aged.balances
    assert (balance.buckets[0], balance.overdue, aged.to_chase) == (D("300.00"), ZERO, ())
    # deposited 10 days ago: its 30 days' term runs from then
    deposited = age_receivables(documents(invoice("FA-1", "300.00", 200)),
                                {"FA-1": AS_OF - timedelta(days=40)}, AS_OF)
    assert [(i.number, i.days_late, i.age_from) for i in deposited.to_chase] == [
        ("FA-1", 10, AS_OF - timedelta(days=10))]


def test_the_period_sales_are_the_days_ending_on_the_business_date_net_of_credit_notes():
    first = AS_OF - timedelta(days=89)
    sales = period_sales(documents(
        invoice("FA-1", "1000.00", 0, issued=first),
        invoice("FA-2", "5000.00", 0, issued=first - timedelta(days=1)),  # before the period
        credit_note("AV-1", "FA-2", "200.00", AS_OF),
        invoice("FA-3", "7000.00", 0, issued=AS_OF + timedelta(days=1)),  # after it
        invoice("FA-4", "300.00", 0, "C-1", "company", issued=AS_OF)), AS_OF)
    assert sales.to_dict() == {("opco", "ATLAS"): 80000, ("company", "C-1"): 30000}  # cents


def test_balances_per_funder_with_the_dso_of_the_opcos_only():
    aged = age_receivables(documents(
        invoice("FA-1", "100.00", -3), invoice("FA-2", "200.00", 45),
        invoice("FA-3", "50.00", 120), invoice("FA-4", "80.00", 10, "C-1", "company"),
        invoice("FA-5", "400.00", 10, paid="400.00", issued=AS_OF - timedelta(days=10))),
        {}, AS_OF)

    client, atlas = aged.balances  # by kind, then reference
    assert atlas.buckets == (D("100.00"), ZERO, D("200.00"), ZERO, D("50.00"))
    assert (atlas.open, atlas.overdue, atlas.invoices, atlas.oldest_days_late) == (
        D("350.00"), D("250.00"), 3, 120)
    # sold in the 90 days: FA-1, FA-2 (issued 75 days ago) and FA-5 (paid); 350 / 700 × 90
    assert (atlas.sales, atlas.dso_days) == (D("700.00"), D("45.0"))
    assert (client.funder_ref, client.buckets[1], client.sales, client.dso_days) == (
        "C-1", D("80.00"), D("80.00"), None)
    assert str(atlas.buckets[1]) == "0.00" and str(client.sales) == "80.00"  # to the cent


def test_what_to_chase_first_is_the_largest_overdue_amounts_oldest_first():
    aged = age_receivables(documents(
        invoice("FA-1", "5000.00", 0), invoice("FA-2", "900.00", 10), invoice("FA-3", "50.00", 200),
        invoice("FA-4", "800.00", 95), invoice("FA-5", "1000.00", 40),
        invoice("FA-6", "60.00", 300), invoice("FA-7", "70.00", 3), invoice("FA-8", "800.00", 96),
        invoice("FA-9", "70.00", 2)), {}, AS_OF)
    assert [i.number for i in aged.to_chase] == ["FA-8", "FA-4", "FA-5", "FA-2", "FA-7"]
    assert len(aged.to_chase) == CHASE_FIRST


amounts = st.decimals(min_value=D("0.01"), max_value=D("99999.99"), places=2)
ages = st.integers(min_value=-29, max_value=400)  # issued 30 days before due: by AS_OF


@settings(deadline=None)
@given(st.lists(st.tuples(amounts, ages, st.sampled_from(["ATLAS", "AKTO", "C-1"]), amounts),
                max_size=30))
def test_the_buckets_add_up_to_the_open_total_exactly(rows):
    owed = [invoice(f"FA-{n:03d}", str(amount), days, funder, "company" if funder == "C-1"
                    else "opco", paid=str(min(paid, amount)))
            for n, (amount, days, funder, paid) in enumerate(rows)]
    open_of = {number: total - paid for number, *_, total, paid, _ in owed if total > paid}
    late = {row[0]: row[1] for row in ((i[0], (AS_OF - i[6]).days) for i in owed)}

    aged = age_receivables(documents(*owed), {}, AS_OF)

    assert aged.open == sum(open_of.values(), ZERO)
    for balance in aged.balances:
        mine = [i[0] for i in owed if i[3] == balance.funder_ref and i[0] in open_of]
        assert balance.open == sum((open_of[n] for n in mine), ZERO)
        assert balance.overdue == sum((open_of[n] for n in mine if late[n] > 0), ZERO)
        assert balance.invoices == len(mine)
        assert len(balance.buckets) == len(BUCKETS)
        assert all(amount >= ZERO for amount in balance.buckets)
    chased = aged.to_chase
    assert all(i.days_late > 0 for i in chased)
    assert [i.days_late for i in chased] == sorted((i.days_late for i in chased), reverse=True)
    overdue = sorted((open_of[n] for n in open_of if late[n] > 0), reverse=True)
    assert sorted((i.open for i in chased), reverse=True) == overdue[:CHASE_FIRST]


def test_the_receivables_of_the_database_by_funder_bucket_and_dso(engine, tmp_path):
    from services.reports import aged_receivables, write_report
    from tests.services.test_payments import setup_invoices
    from tests.services.test_reports import read

    setup_invoices(engine, tmp_path)  # 10 Dec. 2026, due 9 Jan. 2027: FA-1 ATLAS 1837.50,
    # FA-2 CL-01 612.50, FA-3 CL-02

    def more(number: str, funder: str, issued: date, total: str, *, paid: str = "0.00",
             note_of: str | None = None) -> Invoice:
        kind = "opco" if funder == "ATLAS" else "company"
        return Invoice(number=number, kind="credit_note" if note_of else "invoice",
                       session_ref="S-001", invoice_key=f"test-{number}", funder_kind=kind,
                       funder_ref=funder, funder_name=funder.title(), billing_email="x@y.example",
                       issue_date=issued, due_date=issued + timedelta(days=30),
                       total_ht=D(total), total_vat=ZERO, total_ttc=D(total), document={},
                       credit_note_of=note_of, paid_amount=D(paid), created_at=NOW)

    with unit_of_work(engine) as db:
        paid = db.scalars(select(Invoice).where(Invoice.number == "FA-2026-000003")).one()
        paid.paid_amount = paid.total_ttc  # CL-02 paid everything: not listed
        db.add_all([
            more("FA-2027-000101", "ATLAS", date(2027, 3, 20), "1000.00"),  # not yet due
            more("FA-2027-000102", "ATLAS", date(2026, 11, 1), "500.00", paid="200.00"),  # 120 d
            more("FA-2027-000103", "ATLAS", date(2027, 1, 15), "240.00"),  # 45 days late
            more("AV-2027-000101", "ATLAS", date(2027, 3, 1), "40.00", note_of="FA-2027-000103"),
            more("FA-2027-000104", "ATLAS", date(2027, 2, 1), "99.99"),  # 28 days late
            more("FA-2027-000105", "ATLAS", date(2026, 10, 1), "650.00"),  # deposit awaited
            more("FA-2027-000106", "CL-01", date(2027, 1, 2), "10.00"),  # 58 days late
            more("FA-2027-000107", "ATLAS", date(2027, 4, 2), "777.00"),  # after the date
        ])
        db.flush()
        db.add_all([  # ATLAS takes them on its portal: FA-1 deposited on 20 Jan., 30 days on
            InvoiceDeposit(number="FA-2026-000001", funder_ref="ATLAS", path="x", files=[],
                           prepared_at=NOW, deposited_on=date(2027, 1, 20)),
            InvoiceDeposit(number="FA-2027-000105", funder_ref="ATLAS", path="x", files=[],
                           prepared_at=NOW, deposited_on=None)])
    as_of = date(2027, 3, 31)

    aged = aged_receivables(engine, as_of=as_of)

    company, atlas = aged.balances
    # FA-1 1837.50 (40 days from 19 Feb.) and 200.00 (240 − 40 credited) are 31-60 days late
    assert atlas.buckets == (D("1650.00"), D("99.99"), D("2037.50"), ZERO, D("300.00"))
    assert (atlas.open, atlas.overdue, atlas.invoices, atlas.oldest_days_late) == (
        D("4087.49"), D("2437.49"), 6, 120)
    # sold from 1 Jan. to 31 Mar.: 1000 + 240 + 99.99 − 40; 4087.49 / 1299.99 × 90 = 282.98…
    assert (atlas.sales, atlas.dso_days) == (D("1299.99"), D("283.0"))
    assert (company.funder_ref, company.buckets, company.sales, company.dso_days) == (
        "CL-01", (ZERO, ZERO, D("10.00"), D("612.50"), ZERO), D("10.00"), None)
    # the five largest overdue, oldest first: FA-2027-000106 (10.00, 58 days) is not one
    assert [(i.number, i.days_late) for i in aged.to_chase] == [
        ("FA-2027-000102", 120), ("FA-2026-000002", 81), ("FA-2027-000103", 45),
        ("FA-2026-000001", 40), ("FA-2027-000104", 28)]
    assert aged.to_chase[3].age_from == date(2027, 2, 19)

    write_report(engine, tmp_path / "report", as_of=as_of)

    rows = {r["funder_ref"]: r for r in read(tmp_path / "report" / "receivables.csv")}
    assert list(rows) == ["CL-01", "ATLAS"]
    assert {c: rows["ATLAS"][c] for c in ("invoices", "not_yet_due", "days_1_30", "days_31_60",
                                          "days_61_90", "days_over_90", "open", "overdue",
                                          "oldest_days_late", "sales_90_days", "dso_days")} == {
        "invoices": "6", "not_yet_due": "1650.00", "days_1_30": "99.99",
        "days_31_60": "2037.50", "days_61_90": "0.00", "days_over_90": "300.00",
        "open": "4087.49", "overdue": "2437.49", "oldest_days_late": "120",
        "sales_90_days": "1299.99", "dso_days": "283.0"}
    residuals = {r["number"]: r["residual"] for r in read(tmp_path / "report" / "invoices.csv")}
    assert (residuals["FA-2027-000103"], residuals["AV-2027-000101"],
            residuals["FA-2026-000003"]) == ("200.00", "", "0.00")
