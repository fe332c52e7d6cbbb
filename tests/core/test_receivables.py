"""Aged receivables, the rules of one invoice: its open amount, where its age counts from, its
bucket; and the DSO formula. Their aggregation per funder: tests/services/test_receivables.py."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backoffice.money import ZERO
from backoffice.receivables import (
    BUCKETS,
    age_from,
    bucket,
    days_late,
    days_sales_outstanding,
    open_amount,
)

D = Decimal
AS_OF = date(2026, 12, 31)


def test_the_open_amount_is_the_total_less_paid_less_credit_notes():
    assert open_amount(D("1200.00"), D("500.00"), D("200.00")) == D("500.00")
    assert open_amount(D("100.00"), D("100.00"), ZERO) == ZERO
    assert open_amount(D("100.00"), D("120.00"), ZERO) == D("-20.00")  # overpaid: settled


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


def test_dso_is_receivables_over_the_period_sales_times_its_days():
    # 50,000 owed on 200,000 of sales over 365 days: 91.25 days, to a tenth half up
    assert days_sales_outstanding(D("50000.00"), D("200000.00"), 365) == D("91.3")
    assert days_sales_outstanding(D("300.00"), D("900.00"), 90) == D("30.0")
    assert days_sales_outstanding(D("300.00"), ZERO, 90) is None
    assert days_sales_outstanding(D("300.00"), D("-10.00"), 90) is None


@given(st.integers(min_value=-400, max_value=400))
def test_each_number_of_days_is_in_exactly_one_bucket(days):
    assert bucket(days) in BUCKETS
    assert (bucket(days) == "not_yet_due") == (days <= 0)
