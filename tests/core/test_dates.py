from datetime import UTC, date, datetime, time

import pytest

from backoffice.dates import (
    DateFormatError,
    business_date,
    format_date_fr,
    parse_date,
    parse_instant,
    parse_time,
)

pytestmark = pytest.mark.any_date  # business dates: also with the wall clock far from today


def test_the_business_date_is_the_paris_calendar_date():
    # 00:30 in Paris on 28 November is still 27 November in UTC
    assert business_date(datetime(2026, 11, 27, 23, 30, tzinfo=UTC)) == date(2026, 11, 28)
    # summer time: 04:30 Paris is 02:30 UTC
    assert business_date(datetime(2026, 7, 1, 2, 30, tzinfo=UTC)) == date(2026, 7, 1)


def test_a_naive_instant_has_no_business_date():
    with pytest.raises(ValueError, match="timezone-aware"):
        business_date(datetime(2026, 11, 28, 4, 30))  # noqa: DTZ001


def test_instants_without_offset_are_paris_time():
    assert parse_instant("2026-07-01T10:00") == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    assert parse_instant("2026-12-01T10:00:00+01:00") == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert parse_instant("2026-12-01T10:00:00Z") == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", ["01/12/2026", "2026-02-30", "2026-1-5", ""])
def test_bad_dates_are_refused(text):
    with pytest.raises(DateFormatError):
        parse_date(text)


def test_times():
    assert parse_time("09:00") == time(9, 0)
    with pytest.raises(DateFormatError):
        parse_time("9h00")
    with pytest.raises(DateFormatError):
        parse_time("25:00")


def test_french_dates():
    assert format_date_fr(date(2026, 11, 28)) == "28 novembre 2026"
    assert format_date_fr(date(2026, 12, 1)) == "1er décembre 2026"
    assert format_date_fr(date(2027, 2, 3)) == "3 février 2027"
