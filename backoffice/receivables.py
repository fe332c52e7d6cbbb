"""Aged receivables: the rules of one invoice's open amount and age, and the DSO formula.

Plain values in, Decimal out. The service (services/receivables.py) reads the invoices and
aggregates them per funder with pandas; this module decides:

- **the open amount** of an invoice (`open_amount`): its total (TTC) less what was paid less its
  credit notes, to the cent; zero or less is settled. The rule of the residual: the report
  `invoices.csv`, the reminders and the ageing use it (the payments' `Ledger` still subtracts
  on its own).
- **where its age counts from** (`age_from`): its due date; for an invoice a funder takes on its
  portal, the dunning date (`backoffice/invoicing.py: dunning_due_date`: the deposit day plus
  the invoice's own payment term when that is later); none while its deposit is awaited (the
  funder cannot pay what it has not received: the invoice is not yet due).
- **its bucket** (`bucket`), from the whole days past that date (`days_late`), as of the
  business date: `not_yet_due` (0 or less: due today is not late), `1-30`, `31-60`, `61-90`,
  `over_90`. Each invoice is in exactly one bucket, so a funder's buckets add up to its open
  total exactly.
- **the days sales outstanding** (`days_sales_outstanding`), the standard ratio
  DSO = receivables ÷ credit sales of the period × days in the period
  (e.g. QuickBooks Canada, « Days sales outstanding »: "accounts receivables / total credit
  sales x number of days"; EESPA's glossary: receivables divided by the sales per day). Here:
  the funder's open total as of the business date, over its sales of the `DSO_PERIOD_DAYS`
  days ending that day (invoices issued, less credit notes issued, TTC), × `DSO_PERIOD_DAYS`;
  to a tenth of a day, half up; none without sales in the period; for the funders of
  `DSO_FUNDER_KINDS` (the OPCOs) only.
- **what to chase first**: the `CHASE_FIRST` largest overdue amounts, listed oldest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from backoffice.invoicing import dunning_due_date
from backoffice.money import ZERO, quantize

BUCKETS = ("not_yet_due", "1-30", "31-60", "61-90", "over_90")
BUCKET_UPPER_DAYS = (0, 30, 60, 90)  # the last day of each bucket but the last
DSO_PERIOD_DAYS = 90  # a quarter: the sales period of the DSO
DSO_FUNDER_KINDS = ("opco",)  # the funders whose DSO is computed
CHASE_FIRST = 5  # how many overdue invoices "what to chase first" names
TENTH = Decimal("0.1")


def open_amount(total: Decimal, paid: Decimal, credited: Decimal) -> Decimal:
    """What is still due on an invoice: its total less what was paid less its credit notes."""
    return quantize(total - paid - credited)


def age_from(due: date, issued: date, *, deposit_awaited: bool,
             deposited_on: date | None) -> date | None:
    """The day an invoice's lateness counts from: its due date, or its dunning date when it goes
    to a funder's portal (the invoice's own payment term, due − issue, counted from the deposit);
    None while its deposit is awaited."""
    return dunning_due_date(due, (due - issued).days, deposit_awaited=deposit_awaited,
                            deposited_on=deposited_on)


def days_late(since: date | None, as_of: date) -> int:
    """Whole days past `since` as of the business date; 0 when not yet due (or no date yet)."""
    return max(0, (as_of - since).days) if since is not None else 0


def bucket(days: int) -> str:
    """The age bucket of an amount `days` late."""
    for name, upper in zip(BUCKETS, BUCKET_UPPER_DAYS, strict=False):
        if days <= upper:
            return name
    return BUCKETS[-1]


def days_sales_outstanding(receivables: Decimal, sales: Decimal,
                           days: int = DSO_PERIOD_DAYS) -> Decimal | None:
    """receivables ÷ credit sales × days, to a tenth of a day; None without sales."""
    if sales <= ZERO:
        return None
    return (receivables / sales * days).quantize(TENTH, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Receivable:
    """An invoice with something still due, as of the business date (one to chase)."""

    number: str
    funder_kind: str  # opco | company
    funder_ref: str  # OPCO code or client_ref
    funder_name: str
    issue_date: date
    due_date: date
    age_from: date | None  # None: its deposit on the funder's portal is awaited
    open: Decimal
    days_late: int


@dataclass(frozen=True, slots=True)
class AgedBalance:
    """What one funder owes as of the business date, by age bucket (in `BUCKETS`' order)."""

    funder_kind: str
    funder_ref: str
    funder_name: str
    buckets: tuple[Decimal, ...]
    invoices: int
    oldest_days_late: int
    sales: Decimal  # net sales of the DSO period
    dso_days: Decimal | None  # OPCOs only; None without sales in the period

    @property
    def open(self) -> Decimal:
        return sum(self.buckets, ZERO)

    @property
    def overdue(self) -> Decimal:
        return sum(self.buckets[1:], ZERO)
