from datetime import date, timedelta

import pytest

from backoffice.pec_followup import CompanyBillingSwitch, Reminder, pec_followups, reminder_stage
from tests.core.pec_samples import SESSION, session

pytestmark = pytest.mark.any_date  # reminders: also with the wall clock far from today

START = SESSION.start_date  # 2026-12-07


@pytest.mark.parametrize(("days_before", "stage"), [
    (20, None), (16, None), (15, 15), (10, 15), (8, 15), (7, 7), (3, 7), (2, 2), (1, 2), (0, None),
    (-3, None),
])
def test_the_stage_reached_on_a_date(days_before, stage):
    assert reminder_stage(START, START - timedelta(days=days_before)) == stage


def test_a_day_by_day_backfill_reaches_each_stage_on_one_date_only():
    stages = [reminder_stage(START, START - timedelta(days=n)) for n in range(20, 0, -1)]
    firsts = [s for i, s in enumerate(stages) if s is not None and (i == 0 or stages[i - 1] != s)]
    assert firsts == [15, 7, 2]


def test_other_reminder_days_can_be_configured():
    assert reminder_stage(START, START - timedelta(days=25), days=(30, 10)) == 30


def test_followups_remind_before_and_switch_on_the_first_day():
    sessions = [SESSION, session(session_ref="S-002", start_date=date(2026, 11, 30)),
                session(session_ref="S-003", funding="company"),
                session(session_ref="S-004", cancelled=True),
                session(session_ref="S-005", validated=False),
                session(session_ref="S-006")]
    due = pec_followups(sessions, funded={"S-006"}, switched=set(), as_of=date(2026, 11, 30))
    assert due == [Reminder("S-001", 7), CompanyBillingSwitch("S-002")]


def test_a_session_is_switched_once():
    late = session(start_date=date(2026, 11, 1))
    assert pec_followups([late], set(), {"S-001"}, date(2026, 11, 30)) == []


def test_a_session_whose_pec_is_in_review_is_not_reminded_but_still_switched():
    soon = session(start_date=date(2026, 12, 5))
    started = session(session_ref="S-002", start_date=date(2026, 11, 30))
    due = pec_followups([soon, started], set(), set(), date(2026, 11, 30),
                        in_review=frozenset({"S-001", "S-002"}))
    assert due == [CompanyBillingSwitch("S-002")]
