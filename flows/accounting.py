"""The books on demand: the FEC of a year, and closing a period (docs/accounting.md)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field

from backoffice.dates import format_date_fr
from backoffice.money import format_eur
from flows.parameters import BusinessDate, refused, titled
from services.accounting import AccountingError
from tasks import context
from tasks.accounting import close_books_through, write_fec_of
from tasks.alerts import operator_flow
from tasks.summary import RunSummary, finish_run

Year = Annotated[int, Field(ge=2000, le=2100)]


@operator_flow("fec")
def fec(year: Year = titled("Exercice (année civile)")) -> str:
    """Write the FEC (fichier des écritures comptables) of a calendar year into the output
    folder's `fec/`: `<SIREN>FEC<AAAA1231>.txt`, checked against the format's rules first.

    Args:
        year: L'exercice, année civile (ex. 2026). Tant que l'exercice n'est pas clos, le fichier
            est provisoire : les écritures non closes peuvent encore recevoir des corrections.
    """
    day = context.business_day(None)
    try:
        written = write_fec_of(year, day)
    except AccountingError as error:
        return refused(f"FEC {year} impossible : {error}")
    summary = RunSummary(f"FEC {year}")
    summary.lines.append(f"`{written.path}` : {written.entries} écritures, {written.lines} lignes "
                         f"(" + ", ".join(f"{journal} {count}" for journal, count
                                          in sorted(written.per_journal.items())) + ")")
    summary.lines.append(f"Total débit = total crédit = {format_eur(written.debit)}")
    if written.closed_through is None or written.closed_through < date(year, 12, 31):
        summary.lines.append("Exercice non clos : fichier provisoire (voir `close-period`)")
    return finish_run("fec-summary", summary, day, result=str(written.path))


@operator_flow("close-period")
def close_books(through: BusinessDate = titled("Clore jusqu'au (inclus)")) -> str:
    """Close the books up to a day, included (the end of a month or of the year): every entry
    dated up to then becomes final, with its number; a later change is posted as a correction
    in the open period. Audit-logged with the operator's run.

    Args:
        through: Dernier jour de la période à clore (ex. 2026-11-30), déjà passé. Une période
            close ne se rouvre pas.
    """
    day = context.business_day(None)
    try:
        closed = close_books_through(through, day, context.operator())
    except AccountingError as error:
        return refused(f"Clôture impossible : {error}")
    summary = RunSummary(f"Clôture des comptes au {format_date_fr(closed.closed_through)}")
    summary.lines.append(f"{closed.entries} écriture(s) devenue(s) définitive(s)" + (
        f", après la clôture au {format_date_fr(closed.previous)}" if closed.previous else ""))
    return finish_run("close-period-summary", summary, day,
                      result=f"période close jusqu'au {closed.closed_through.isoformat()}")
