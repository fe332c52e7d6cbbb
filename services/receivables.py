"""The aged receivables as of a business date (docs/reports.md, `receivables.csv`; the nightly's
table « receivables » and what to chase first), aggregated with pandas.

The invoices and credit notes are read once into a frame; amounts are integer cents in the
frames and `Decimal` again in the records. The rules of one invoice are the core's
(`backoffice/receivables.py`), applied to its row: its open amount, the day its age counts from,
its days late, its bucket; and the DSO formula to each funder's totals. The rest is tabular: the
credit notes summed per invoice they cancel, the open amounts summed per funder and bucket, the
net sales of the DSO period per funder, the largest overdue amounts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd  # type: ignore[import-untyped]
from sqlalchemy import select

from adapters.models import Invoice, InvoiceDeposit
from backoffice.money import ZERO, cents, euros
from backoffice.outcomes import ReceivablesAged
from backoffice.receivables import (
    BUCKETS,
    CHASE_FIRST,
    DSO_FUNDER_KINDS,
    DSO_PERIOD_DAYS,
    AgedBalance,
    Receivable,
    age_from,
    bucket,
    days_late,
    days_sales_outstanding,
    open_amount,
)

INVOICE_COLUMNS = ["number", "kind", "funder_kind", "funder_ref", "funder_name", "issue_date",
                   "due_date", "total_ttc", "paid_amount", "credit_note_of"]
FUNDER = ["funder_kind", "funder_ref"]


def read_invoices(db: Any) -> Any:
    """Every invoice and credit note, by number, amounts as stored (`Decimal` objects)."""
    rows = [tuple(row) for row in db.execute(
        select(*(getattr(Invoice, column) for column in INVOICE_COLUMNS))
        .order_by(Invoice.number))]
    return pd.DataFrame(rows, columns=INVOICE_COLUMNS, dtype=object)


def aged(db: Any, as_of: date) -> ReceivablesAged:
    """The receivables of the database as of `as_of` (see `age_receivables`)."""
    deposits = dict(db.execute(select(InvoiceDeposit.number, InvoiceDeposit.deposited_on)).all())
    return age_receivables(read_invoices(db), deposits, as_of)


def open_amounts(documents: Any) -> Any:
    """The invoices of `documents` (a `read_invoices` frame), with their open amount in cents,
    column `open`: the core's `open_amount` of each one's total, payments and the credit notes
    that cancel it (all of them, whatever their date), summed per invoice."""
    notes = documents[documents["kind"] == "credit_note"]
    credited = _cents(notes["total_ttc"]).groupby(notes["credit_note_of"]).sum()
    invoices = documents[documents["kind"] == "invoice"]
    credits = credited.reindex(invoices["number"], fill_value=0)
    return invoices.assign(open=pd.Series(
        [cents(open_amount(total, paid, _euros(credit))) for total, paid, credit in zip(
            invoices["total_ttc"], invoices["paid_amount"], credits, strict=True)],
        index=invoices.index, dtype="int64"))


def age_receivables(documents: Any, deposits: Mapping[str, date | None],
                    as_of: date) -> ReceivablesAged:
    """What the funders owe as of `as_of`: the invoices of `documents` (a `read_invoices` frame)
    issued by then, with their payments and credit notes as they stand, aged from their due date
    or, for one deposited on a funder's portal (`deposits`: number → day deposited, None while
    awaited), its dunning date. One balance per funder owing something, by kind then reference,
    with its net sales of the DSO period and, for an OPCO, its DSO; the largest overdue amounts
    to chase first."""
    invoices = open_amounts(documents)
    owed = invoices[(invoices["issue_date"] <= as_of) & (invoices["open"] > 0)]
    if owed.empty:
        return ReceivablesAged(as_of, (), ())
    since = pd.Series([age_from(due, issued, deposit_awaited=number in deposits,
                                deposited_on=deposits.get(number))
                       for number, issued, due in zip(owed["number"], owed["issue_date"],
                                                      owed["due_date"], strict=True)],
                      index=owed.index, dtype=object)
    late = pd.Series([days_late(day, as_of) for day in since], index=owed.index, dtype="int64")
    owed = owed.assign(age_from=since, days_late=late, bucket=late.map(bucket))
    return ReceivablesAged(as_of, _balances(owed, period_sales(documents, as_of)),
                           _to_chase(owed))


def period_sales(documents: Any, as_of: date, days: int = DSO_PERIOD_DAYS) -> Any:
    """The net sales in cents per funder (kind, ref) of the `days` days ending on `as_of`,
    included: its invoices issued then less its credit notes issued then, TTC."""
    issued = documents["issue_date"]
    sold = documents[(issued >= as_of - timedelta(days=days - 1)) & (issued <= as_of)]
    amounts = _cents(sold["total_ttc"])
    signed = amounts.where(sold["kind"] == "invoice", -amounts)
    return signed.groupby([sold["funder_kind"], sold["funder_ref"]]).sum()


def _balances(owed: Any, sales: Any) -> tuple[AgedBalance, ...]:
    """One balance per funder: its open amounts by bucket (in `BUCKETS`' order), its invoices,
    its oldest days late, its period's sales and its DSO."""
    by_bucket = (owed.groupby([*FUNDER, "bucket"])["open"].sum()
                 .unstack("bucket", fill_value=0).reindex(columns=list(BUCKETS), fill_value=0))
    funders = owed.groupby(FUNDER).agg(funder_name=("funder_name", "first"),
                                       invoices=("number", "size"),
                                       oldest_days_late=("days_late", "max"))
    funders["sales"] = sales.reindex(funders.index, fill_value=0)
    balances = []
    for (kind, ref), name, invoices, oldest, sold, amounts in zip(
            funders.index, funders["funder_name"], funders["invoices"],
            funders["oldest_days_late"], funders["sales"],
            by_bucket.loc[funders.index].itertuples(index=False), strict=True):
        buckets = tuple(_euros(amount) for amount in amounts)
        period = _euros(sold)
        balances.append(AgedBalance(
            kind, ref, name, buckets, int(invoices), int(oldest), period,
            days_sales_outstanding(sum(buckets, ZERO), period)
            if kind in DSO_FUNDER_KINDS else None))
    return tuple(balances)


def _to_chase(owed: Any, count: int = CHASE_FIRST) -> tuple[Receivable, ...]:
    """What to chase first: the `count` largest overdue amounts (then the most days late, then
    the number), listed oldest first (the most days late, then the larger amount, the number)."""
    overdue = owed[owed["days_late"] > 0]
    largest = overdue.sort_values(["open", "days_late", "number"],
                                  ascending=[False, False, True]).head(count)
    oldest = largest.sort_values(["days_late", "open", "number"], ascending=[False, False, True])
    return tuple(Receivable(r.number, r.funder_kind, r.funder_ref, r.funder_name, r.issue_date,
                            r.due_date, r.age_from, _euros(r.open), int(r.days_late))
                 for r in oldest.itertuples(index=False))


def _cents(amounts: Any) -> Any:
    return amounts.map(cents).astype("int64")


def _euros(amount: Any) -> Decimal:
    return euros(int(amount))
