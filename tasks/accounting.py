"""The books: the FEC of a year, and closing a period (services/accounting.py)."""

from __future__ import annotations

from datetime import date

from prefect import task
from prefect.cache_policies import NO_CACHE

from services.accounting import FecWritten, PeriodClosed, close_period, write_fec
from tasks import context


def fec_folder() -> str:
    return str(context.settings().output_dir / "fec")


@task(cache_policy=NO_CACHE)
def write_fec_of(year: int, as_of: date) -> FecWritten:
    """The FEC of the calendar year in the output folder's `fec/`, checked before it is written;
    the marketplace's SIREN from the settings."""
    settings = context.settings()
    return write_fec(context.engine(), year=year, out_dir=settings.output_dir / "fec",
                     siren=context.marketplace().siren, as_of=as_of)


@task(cache_policy=NO_CACHE)
def close_books_through(through: date, as_of: date, operator: str) -> PeriodClosed:
    """An operator's closing of the books up to `through` (audit-logged)."""
    return close_period(context.engine(), through=through, as_of=as_of, operator=operator,
                        now=context.now())
