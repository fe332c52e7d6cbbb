from datetime import date, timedelta

import pytest

from backoffice.business_days import (
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


@pytest.mark.parametrize(("year", "good_friday"), [
    (2008, date(2008, 3, 21)),   # Easter on 23 March: the earliest from 1999 to 2100
    (2024, date(2024, 3, 29)), (2025, date(2025, 4, 18)),
    (2038, date(2038, 4, 23)),   # Easter on 25 April: the latest possible
])
def test_good_friday_and_easter_monday_follow_easter(year, good_friday):
    assert {good_friday, good_friday + timedelta(days=3)} <= target2_closing_days(year)


def test_six_closing_days_a_year_since_2002():
    for year in range(2002, 2101):
        fixed = {date(year, 1, 1), date(year, 5, 1), date(year, 12, 25), date(year, 12, 26)}
        easter = sorted(target2_closing_days(year) - fixed)
        assert fixed <= target2_closing_days(year) and len(easter) == 2, year
        friday, monday = easter
        assert (friday.weekday(), monday - friday) == (4, timedelta(days=3)), year
        assert date(year, 3, 20) <= friday <= date(year, 4, 23), year


def test_the_first_years_of_target_had_their_own_closing_days():
    # 1999: 1 Jan, 25 Dec and 31 Dec only; 2001: the six days and 31 December
    assert target2_closing_days(1999) == {date(1999, 1, 1), date(1999, 12, 25), date(1999, 12, 31)}
    assert date(2001, 12, 31) in target2_closing_days(2001) and len(target2_closing_days(2001)) == 7
    assert not is_target2_business_day(date(2001, 12, 31))  # a Monday


@pytest.mark.parametrize("day", [date(1998, 12, 31), date(2101, 1, 3)])
def test_a_year_outside_the_ecb_calendar_is_refused_not_guessed(day):
    with pytest.raises(ValueError, match="jours TARGET2 inconnus"):
        next_target2_business_day(day)


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
