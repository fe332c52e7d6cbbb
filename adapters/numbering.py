"""Gap-free number series (invoices, credit notes, payouts, self-billed invoices): a counter row
per series and year, locked until the transaction ends, so two runs never take the same number
and numbers follow the order of their dates. Also the lock a bank statement import takes."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session as OrmSession

from adapters.models import NumberSeries
from backoffice.invoicing import invoice_number


class InvoicingError(ValueError):
    """An invoicing request that cannot be carried out; French message for the operator."""


def lock_series(db: OrmSession, series: str, issued_on: date) -> NumberSeries:
    """The series counter for the year, locked until the transaction ends (created if new).

    Everything decided after this lock sees what concurrent issuers committed before it."""
    insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
    db.execute(insert(NumberSeries).values(series=series, year=issued_on.year, last_value=0)
               .on_conflict_do_nothing(index_elements=["series", "year"]))
    return db.scalar(select(NumberSeries).where(
        NumberSeries.series == series, NumberSeries.year == issued_on.year)
        .with_for_update().execution_options(populate_existing=True))


def next_number(db: OrmSession, series: str, issued_on: date) -> str:
    """The next number of the series for the year, under a row lock; chronological or refused."""
    return take_number(lock_series(db, series, issued_on), issued_on)


def take_number(counter: NumberSeries, issued_on: date) -> str:
    """The next number of a counter locked by `lock_series` in this transaction (for many
    numbers at once); chronological or refused."""
    if counter.last_issued_on and issued_on < counter.last_issued_on:
        raise InvoicingError(
            f"série {counter.series} {issued_on.year} : une facture du {counter.last_issued_on} "
            f"existe déjà ; une facture du {issued_on} casserait l'ordre chronologique des numéros")
    counter.last_value += 1
    counter.last_issued_on = issued_on
    return invoice_number(counter.series, issued_on.year, counter.last_value)
