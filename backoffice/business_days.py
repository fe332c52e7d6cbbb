"""TARGET2 business days: the days on which SEPA credit transfers are settled.

The SEPA credit transfer scheme runs on TARGET2 (T2) days: every weekday except the six closing
days fixed by the ECB since 2002: 1 January, Good Friday, Easter Monday, 1 May, 25 and
26 December. French public holidays (14 July, Ascension, Whit Monday, 15 August, ...) are
business days for the scheme; a bank's own cut-off may still differ.

Easter is computed here (anonymous Gregorian algorithm, Meeus/Jones/Butcher) so that the core
needs no calendar library; `tests/sepa/test_business_days.py` checks it against
`holidays.financial_holidays("XECB")`. The rule is the one in force since 2002; the extra
closing days of 1999-2001 (31 December) are not modelled.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

MAX_SEARCH_DAYS = 10  # never more than 5 closed days in a row (Sat 25 Dec ... Mon 27 is open)


def easter_sunday(year: int) -> date:
    """Western (Gregorian) Easter Sunday of `year`."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(year, month, day + 1)


@lru_cache(maxsize=64)
def target2_closing_days(year: int) -> frozenset[date]:
    """The six TARGET2 holidays of `year` (weekends are closed too but not listed here)."""
    easter = easter_sunday(year)
    return frozenset({
        date(year, 1, 1),
        easter - timedelta(days=2),   # Good Friday
        easter + timedelta(days=1),   # Easter Monday
        date(year, 5, 1),
        date(year, 12, 25),
        date(year, 12, 26),
    })


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
