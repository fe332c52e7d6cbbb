"""The one clock of the project: the only module that reads the wall clock.

Business dates come from `as_of` (a backfill gives it); what still needs "now" — audit and
outbox timestamps, the creation time of a SEPA file, the Date of an e-mail, the day from which a
transfer may be executed — asks this module. A run uses the system clock; the demo installs a
clock per simulated night (`use_clock`), and tests install fixed clocks, so that no outcome
depends on the day the code happens to run (tests/core/test_one_clock.py keeps every other
module off the wall clock).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Protocol

from backoffice.dates import PARIS


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""


@dataclass(frozen=True, slots=True)
class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class FixedClock:
    """A clock stopped at `instant` (timezone-aware): a simulated night, a test."""

    instant: datetime

    def __post_init__(self) -> None:
        if self.instant.tzinfo is None:
            raise ValueError("a fixed clock needs a timezone-aware instant")

    def now(self) -> datetime:
        return self.instant


NIGHTLY_TIME = time(4, 30)  # the nightly's schedule, Paris time (prefect.yaml)


def night_of(day: date) -> FixedClock:
    """The clock of the nightly run of `day`: 04:30 in Paris on that day."""
    return FixedClock(datetime.combine(day, NIGHTLY_TIME, PARIS).astimezone(UTC))


_current: Clock = SystemClock()


def now() -> datetime:
    """The current instant of the installed clock (the system's unless one is installed)."""
    return _current.now()


@contextmanager
def use_clock(clock: Clock) -> Iterator[Clock]:
    """Install `clock` for the whole process (the run's tasks run in threads) until the block
    ends, then put the previous one back."""
    global _current
    previous, _current = _current, clock
    try:
        yield clock
    finally:
        _current = previous
