from datetime import date, timedelta

import holidays
import pytest

from backoffice.business_days import (
    easter_sunday,
    is_target2_business_day,
    next_target2_business_day,
    target2_closing_days,
)

pytestmark = pytest.mark.any_date  # also with the wall clock far from today


@pytest.mark.parametrize(("year", "closing"), [
    (2026, {date(2026, 1, 1), date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 1),
            date(2026, 12, 25), date(2026, 12, 26)}),
    (2027, {date(2027, 1, 1), date(2027, 3, 26), date(2027, 3, 29), date(2027, 5, 1),
            date(2027, 12, 25), date(2027, 12, 26)}),
])
def test_the_closing_days_of_2026_and_2027(year, closing):
    assert target2_closing_days(year) == closing


@pytest.mark.parametrize(("year", "easter"), [
    (2008, date(2008, 3, 23)), (2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)),
    (2026, date(2026, 4, 5)), (2027, date(2027, 3, 28)),
    (2038, date(2038, 4, 25)),   # latest possible
    (2285, date(2285, 3, 22)),   # earliest possible
])
def test_easter_sunday(year, easter):
    assert easter_sunday(year) == easter


def test_the_closing_days_are_those_of_the_ecb_calendar_in_holidays():
    for year in range(2002, 2101):
        assert target2_closing_days(year) == set(holidays.financial_holidays("XECB", years=year)), year


@pytest.mark.parametrize(("day", "open_"), [
    (date(2026, 4, 2), True),    # Thursday before Easter
    (date(2026, 4, 3), False),   # Good Friday
    (date(2027, 3, 26), False),  # Good Friday 2027: the Friday before Easter
    (date(2027, 3, 25), True),
    (date(2026, 4, 6), False),   # Easter Monday
    (date(2026, 5, 1), False),
    (date(2026, 12, 24), True),
    (date(2026, 12, 31), True),  # 31 December is open (a closing day only in 1999-2001)
    (date(2026, 9, 19), False),  # Saturday
    (date(2026, 9, 20), False),  # Sunday
    # French public holidays are TARGET2 business days
    (date(2026, 5, 8), True), (date(2026, 5, 14), True), (date(2026, 5, 25), True),
    (date(2026, 7, 14), True), (date(2026, 11, 11), True),
])
def test_is_target2_business_day(day, open_):
    assert is_target2_business_day(day) is open_


@pytest.mark.parametrize(("on_or_after", "expected"), [
    (date(2026, 9, 16), date(2026, 9, 16)),   # a business day is itself
    (date(2026, 9, 19), date(2026, 9, 21)),   # Saturday → Monday
    (date(2026, 4, 3), date(2026, 4, 7)),     # Good Friday → the Tuesday after Easter Monday
    (date(2026, 4, 4), date(2026, 4, 7)),
    (date(2026, 5, 1), date(2026, 5, 4)),     # Friday 1 May → Monday
    (date(2026, 12, 25), date(2026, 12, 28)), # Christmas Friday → Monday
    (date(2027, 12, 25), date(2027, 12, 27)), # Christmas on Saturday
    (date(2026, 12, 31), date(2026, 12, 31)),
    (date(2026, 1, 1), date(2026, 1, 2)),     # the day after 31 Dec 2025 → Friday 2 January
    (date(2027, 1, 1), date(2027, 1, 4)),     # Friday 1 January → Monday 4
    (date(2027, 12, 31), date(2027, 12, 31)),
    (date(2028, 1, 1), date(2028, 1, 3)),     # Saturday 1 January → Monday 3
])
def test_next_target2_business_day(on_or_after, expected):
    assert next_target2_business_day(on_or_after) == expected


def test_next_business_day_skips_nothing_open():
    day = date(2025, 12, 1)
    while day < date(2028, 2, 1):
        found = next_target2_business_day(day)
        assert is_target2_business_day(found) and found >= day
        assert all(not is_target2_business_day(day + timedelta(days=n)) for n in range((found - day).days))
        day += timedelta(days=1)
