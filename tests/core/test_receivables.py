"""Aged receivables: the open amount, the age buckets, the DSO and what to chase first."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backoffice.money import ZERO
from backoffice.receivables import (
    BUCKETS,
    Receivable,
    Sale,
    age_from,
    aged_balances,
    bucket,
    credited_totals,
    days_late,
    days_sales_outstanding,
    open_amount,
    period_sales,
    receivable,
    to_chase,
)

D = Decimal
AS_OF = date(2026, 12, 31)


def owed(number: str, amount: str, days: int, funder: str = "ATLAS",
         kind: str = "opco") -> Receivable:
    due = AS_OF - timedelta(days=days)
    return Receivable(number, kind, funder, funder.title(), due - timedelta(days=30), due, due,
                       D(amount), max(0, days))


def test_the_open_amount_is_the_total_less_paid_less_credit_notes():
    assert open_amount(D("1200.00"), D("500.00"), D("200.00")) == D("500.00")
    assert open_amount(D("100.00"), D("100.00"), ZERO) == ZERO
    assert credited_totals([("FA-1", D("10.00")), ("FA-1", D("5.50")), (None, D("1.00")),
                            ("FA-2", D("3.00"))]) == {"FA-1": D("15.50"), "FA-2": D("3.00")}


@pytest.mark.parametrize(("days", "expected"), [
    (-5, "not_yet_due"), (0, "not_yet_due"), (1, "1-30"), (30, "1-30"), (31, "31-60"),
    (60, "31-60"), (61, "61-90"), (90, "61-90"), (91, "over_90"), (400, "over_90")])
def test_the_buckets_and_their_edges(days, expected):
    assert bucket(days) == expected


def test_age_counts_from_the_due_date_or_from_the_deposit_on_a_portal():
    issued, due = date(2026, 10, 1), date(2026, 10, 31)
    assert age_from(due, issued, deposit_awaited=False, deposited_on=None) == due
    # deposited late: the invoice's own 30 days count from the deposit
    assert age_from(due, issued, deposit_awaited=True, deposited_on=date(2026, 11, 10)) \
        == date(2026, 12, 10)
    # deposited on the issue day: the due date stands
    assert age_from(due, issued, deposit_awaited=True, deposited_on=issued) == due
    # not deposited yet: the funder cannot pay it, nothing is late
    assert age_from(due, issued, deposit_awaited=True, deposited_on=None) is None
    assert days_late(None, AS_OF) == 0
    assert days_late(date(2026, 12, 1), AS_OF) == 30
    assert days_late(date(2027, 1, 5), AS_OF) == 0


def test_an_invoice_settled_or_credited_is_not_a_receivable():
    common = dict(number="FA-1", funder_kind="company", funder_ref="C-1", funder_name="Durand",
                  issue_date=date(2026, 10, 1), due_date=date(2026, 10, 31),
                  deposit_awaited=False, deposited_on=None, total=D("1000.00"), as_of=AS_OF)
    assert receivable(paid=D("1000.00"), credited=ZERO, **common) is None
    assert receivable(paid=ZERO, credited=D("1000.00"), **common) is None
    invoice = receivable(paid=D("400.00"), credited=D("100.00"), **common)
    assert invoice is not None
    assert (invoice.open, invoice.days_late, invoice.bucket) == (D("500.00"), 61, "61-90")


def test_dso_is_receivables_over_the_period_sales_times_its_days():
    # 50,000 owed on 200,000 of sales over 365 days: 91.25 days, to a tenth half up
    assert days_sales_outstanding(D("50000.00"), D("200000.00"), 365) == D("91.3")
    assert days_sales_outstanding(D("300.00"), D("900.00"), 90) == D("30.0")
    assert days_sales_outstanding(D("300.00"), ZERO, 90) is None
    assert days_sales_outstanding(D("300.00"), D("-10.00"), 90) is None


def test_the_period_sales_are_the_days_ending_on_the_business_date_net_of_credit_notes():
    first = AS_OF - timedelta(days=89)
    sales = [Sale("opco", "ATLAS", first, D("1000.00")),
             Sale("opco", "ATLAS", first - timedelta(days=1), D("5000.00")),  # before the period
             Sale("opco", "ATLAS", AS_OF, D("-200.00")),  # a credit note
             Sale("opco", "ATLAS", AS_OF + timedelta(days=1), D("7000.00")),  # after it
             Sale("company", "C-1", AS_OF, D("300.00"))]
    assert period_sales(sales, AS_OF) == {("opco", "ATLAS"): D("800.00"),
                                          ("company", "C-1"): D("300.00")}


def test_balances_per_funder_with_the_dso_of_the_opcos_only():
    invoices = [owed("FA-1", "100.00", -3), owed("FA-2", "200.00", 45), owed("FA-3", "50.00", 120),
                owed("FA-4", "80.00", 10, "C-1", "company")]
    sales = [Sale("opco", "ATLAS", AS_OF - timedelta(days=10), D("700.00")),
             Sale("company", "C-1", AS_OF, D("80.00"))]

    atlas, client = sorted(aged_balances(invoices, sales, AS_OF), key=lambda b: b.funder_kind,
                           reverse=True)

    assert atlas.buckets == (D("100.00"), ZERO, D("200.00"), ZERO, D("50.00"))
    assert (atlas.open, atlas.overdue, atlas.invoices, atlas.oldest_days_late) == (
        D("350.00"), D("250.00"), 3, 120)
    assert (atlas.sales, atlas.dso_days) == (D("700.00"), D("45.0"))  # 350 / 700 × 90
    assert (client.funder_ref, client.buckets[1], client.dso_days) == ("C-1", D("80.00"), None)


def test_what_to_chase_first_is_the_largest_overdue_amounts_oldest_first():
    invoices = [owed("FA-1", "5000.00", 0), owed("FA-2", "900.00", 10), owed("FA-3", "50.00", 200),
                owed("FA-4", "800.00", 95), owed("FA-5", "1000.00", 40)]
    assert [i.number for i in to_chase(invoices, count=3)] == ["FA-4", "FA-5", "FA-2"]
    assert to_chase([owed("FA-1", "10.00", -2)]) == []


amounts = st.decimals(min_value=D("0.01"), max_value=D("99999.99"), places=2)
ages = st.integers(min_value=-60, max_value=400)


@given(st.lists(st.tuples(amounts, ages, st.sampled_from(["ATLAS", "AKTO", "C-1"])),
                max_size=30))
def test_the_buckets_add_up_to_the_open_total_exactly(rows):
    invoices = [owed(f"FA-{n}", str(amount), days, funder)
                for n, (amount, days, funder) in enumerate(rows)]

    balances = aged_balances(invoices, [], AS_OF)

    assert sum((b.open for b in balances), ZERO) == sum((i.open for i in invoices), ZERO)
    for balance in balances:
        mine = [i for i in invoices if i.funder_ref == balance.funder_ref]
        assert balance.open == sum((i.open for i in mine), ZERO)
        assert balance.overdue == sum((i.open for i in mine if i.days_late > 0), ZERO)
        assert len(balance.buckets) == len(BUCKETS)
        assert all(amount >= ZERO for amount in balance.buckets)
    chased = to_chase(invoices)
    assert all(i.overdue for i in chased)
    assert [i.days_late for i in chased] == sorted((i.days_late for i in chased), reverse=True)
