"""Aged receivables: what each funder still owes, by how late, and the days sales outstanding.

Plain values in, Decimal out. The service (services/reports.py) reads the invoices; this module
decides:

- **the open amount** of an invoice (`open_amount`): its total (TTC) less what was paid less its
  credit notes, to the cent; zero or less is settled. The rule of the residual: the report
  `invoices.csv`, the reminders and the ageing use it (the payments' `Ledger` still subtracts
  on its own).
- **where its age counts from** (`age_from`): its due date; for an invoice a funder takes on its
  portal, the dunning date (`backoffice/invoicing.py: dunning_due_date`: the deposit day plus
  the invoice's own payment term when that is later); none while its deposit is awaited (the
  funder cannot pay what it has not received: the invoice is not yet due).
- **its bucket** (`bucket`), from the whole days past that date, as of the business date:
  `not_yet_due` (0 or less: due today is not late), `1-30`, `31-60`, `61-90`, `over_90`.
  Each invoice is in exactly one bucket, so a funder's buckets add up to its open total exactly.
- **the days sales outstanding** (`days_sales_outstanding`), the standard ratio
  DSO = receivables ÷ credit sales of the period × days in the period
  (e.g. QuickBooks Canada, « Days sales outstanding »: "accounts receivables / total credit
  sales x number of days"; EESPA's glossary: receivables divided by the sales per day). Here:
  the funder's open total as of the business date, over its sales of the `DSO_PERIOD_DAYS`
  days ending that day (invoices issued, less credit notes issued, TTC), × `DSO_PERIOD_DAYS`;
  to a tenth of a day, half up; none without sales in the period.
- **what to chase first** (`to_chase`): the few largest overdue amounts, listed oldest first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from backoffice.invoicing import dunning_due_date
from backoffice.money import ZERO, quantize

BUCKETS = ("not_yet_due", "1-30", "31-60", "61-90", "over_90")
BUCKET_UPPER_DAYS = (0, 30, 60, 90)  # the last day of each bucket but the last
DSO_PERIOD_DAYS = 90  # a quarter: the sales period of the DSO
CHASE_FIRST = 5  # how many overdue invoices "what to chase first" names
TENTH = Decimal("0.1")


def open_amount(total: Decimal, paid: Decimal, credited: Decimal) -> Decimal:
    """What is still due on an invoice: its total less what was paid less its credit notes."""
    return quantize(total - paid - credited)


def credited_totals(notes: Iterable[tuple[str | None, Decimal]]) -> dict[str, Decimal]:
    """The credit notes' totals per invoice they cancel, from (credit_note_of, total) pairs."""
    credited: dict[str, Decimal] = {}
    for number, total in notes:
        if number:
            credited[number] = credited.get(number, ZERO) + total
    return {number: quantize(total) for number, total in credited.items()}


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


@dataclass(frozen=True, slots=True)
class Receivable:
    """An invoice with something still due, as of the business date."""

    number: str
    funder_kind: str  # opco | company
    funder_ref: str  # OPCO code or client_ref
    funder_name: str
    issue_date: date
    due_date: date
    age_from: date | None  # None: its deposit on the funder's portal is awaited
    open: Decimal
    days_late: int

    @property
    def bucket(self) -> str:
        return bucket(self.days_late)

    @property
    def overdue(self) -> bool:
        return self.days_late > 0


def receivable(*, number: str, funder_kind: str, funder_ref: str, funder_name: str,
                 issue_date: date, due_date: date, deposit_awaited: bool,
                 deposited_on: date | None, total: Decimal, paid: Decimal, credited: Decimal,
                 as_of: date) -> Receivable | None:
    """The invoice as a receivable as of `as_of`, or None when nothing is due on it."""
    amount = open_amount(total, paid, credited)
    if amount <= ZERO:
        return None
    since = age_from(due_date, issue_date, deposit_awaited=deposit_awaited,
                     deposited_on=deposited_on)
    return Receivable(number, funder_kind, funder_ref, funder_name, issue_date, due_date, since,
                       amount, days_late(since, as_of))


@dataclass(frozen=True, slots=True)
class Sale:
    """An invoice (positive) or a credit note (negative amount) issued to a funder, TTC."""

    funder_kind: str
    funder_ref: str
    issue_date: date
    amount: Decimal


def days_sales_outstanding(receivables: Decimal, sales: Decimal,
                           days: int = DSO_PERIOD_DAYS) -> Decimal | None:
    """receivables ÷ credit sales × days, to a tenth of a day; None without sales."""
    if sales <= ZERO:
        return None
    return (receivables / sales * days).quantize(TENTH, rounding=ROUND_HALF_UP)


def period_sales(sales: Iterable[Sale], as_of: date,
                 days: int = DSO_PERIOD_DAYS) -> dict[tuple[str, str], Decimal]:
    """The net sales per funder (kind, ref) of the `days` days ending on `as_of`, included."""
    first = as_of - timedelta(days=days - 1)
    totals: dict[tuple[str, str], Decimal] = {}
    for sale in sales:
        if first <= sale.issue_date <= as_of:
            key = (sale.funder_kind, sale.funder_ref)
            totals[key] = totals.get(key, ZERO) + sale.amount
    return totals


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


def aged_balances(invoices: Iterable[Receivable], sales: Iterable[Sale], as_of: date,
                  dso_kinds: Sequence[str] = ("opco",)) -> list[AgedBalance]:
    """One balance per funder owing something, by kind then reference; the DSO for the funders
    of `dso_kinds` (the OPCOs)."""
    grouped: dict[tuple[str, str], list[Receivable]] = {}
    for invoice in invoices:
        grouped.setdefault((invoice.funder_kind, invoice.funder_ref), []).append(invoice)
    sold = period_sales(sales, as_of)
    balances = []
    for key in sorted(grouped):
        owed = grouped[key]
        amounts = {name: ZERO for name in BUCKETS}
        for invoice in owed:
            amounts[invoice.bucket] += invoice.open
        total = sum(amounts.values(), ZERO)
        period = quantize(sold.get(key, ZERO))
        balances.append(AgedBalance(
            key[0], key[1], owed[0].funder_name, tuple(amounts[name] for name in BUCKETS),
            len(owed), max(invoice.days_late for invoice in owed), period,
            days_sales_outstanding(total, period) if key[0] in dso_kinds else None))
    return balances


def to_chase(invoices: Iterable[Receivable], count: int = CHASE_FIRST) -> list[Receivable]:
    """What to chase first: the `count` largest overdue amounts, listed oldest first (the most
    days late; then the larger amount, then the number)."""
    overdue = [invoice for invoice in invoices if invoice.overdue]
    largest = sorted(overdue, key=lambda i: (-i.open, -i.days_late, i.number))[:count]
    return sorted(largest, key=lambda i: (-i.days_late, -i.open, i.number))
