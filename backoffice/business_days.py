"""TARGET2 business days: the days on which SEPA credit transfers are settled.

The SEPA credit transfer scheme runs on TARGET2 (T2) days: every weekday except the closing days
fixed by the ECB: 1 January, Good Friday, Easter Monday, 1 May, 25 and 26 December since 2002
(and 31 December in 1999 and 2001). French public holidays (14 July, Ascension, Whit Monday,
15 August, ...) are business days for the scheme; a bank's own cut-off may still differ.

The closing days come from the `holidays` library's ECB calendar (`holidays.financial_holidays
("XECB")`, Easter included), which covers 1999 to 2100; building one of its calendars takes
~0.2 ms, so each year's closing days are kept once computed.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

MAX_SEARCH_DAYS = 10  # never more than 5 closed days in a row (Sat 25 Dec ... Mon 27 is open)


@lru_cache(maxsize=64)
def target2_closing_days(year: int) -> frozenset[date]:
    """The TARGET2 holidays of `year` (weekends are closed too but not listed here).

    Refused outside the library's calendar (1999, when TARGET opened, to 2100): it would list
    no closing day there, and every weekday would look open."""
    import holidays  # here, not at the top: ~50 ms to import, paid only when a date is asked for

    calendar = holidays.financial_holidays("XECB", years=year)
    if not calendar.start_year <= year <= calendar.end_year:
        raise ValueError(f"jours TARGET2 inconnus pour {year} "
                         f"(calendrier de la BCE de {calendar.start_year} à {calendar.end_year})")
    return frozenset(calendar)


def is_target2_business_day(d: date) -> bool:
    """True when SEPA transfers settle on `d`: a weekday that is not a TARGET2 closing day."""
    return d.weekday() < 5 and d not in target2_closing_days(d.year)


def next_target2_business_day(on_or_after: date) -> date:
    """`on_or_after` itself if it is a TARGET2 business day, otherwise the next one."""
    candidate = on_or_after
    for _ in range(MAX_SEARCH_DAYS):
        if is_target2_business_day(candidate):
            return candidate
        candidate += timedelta(days=1)
    raise AssertionError(f"no TARGET2 business day within {MAX_SEARCH_DAYS} days of {on_or_after}")
