"""Business dates live in Europe/Paris; instants are stored in UTC. Nothing here reads the clock."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


class DateFormatError(ValueError):
    """Text that is not a date, time or datetime of the expected format (French message)."""


def business_date(instant: datetime) -> date:
    """The business date of an instant: its calendar date in Paris (00:30 Paris is that day)."""
    if instant.tzinfo is None:
        raise ValueError("an instant must be timezone-aware to give a business date")
    return instant.astimezone(PARIS).date()


def parse_date(text: str) -> date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        raise DateFormatError("date invalide : format AAAA-MM-JJ attendu")
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise DateFormatError("date inexistante") from exc


def parse_time(text: str) -> time:
    if not re.fullmatch(r"\d{2}:\d{2}", text.strip()):
        raise DateFormatError("heure invalide : format HH:MM attendu")
    try:
        return time.fromisoformat(text.strip())
    except ValueError as exc:
        raise DateFormatError("heure inexistante") from exc


def parse_instant(text: str) -> datetime:
    """ISO 8601 datetime; with no offset it is Paris time. Returned in UTC."""
    cleaned = text.strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?",
                        cleaned):
        raise DateFormatError("date-heure invalide : ISO 8601 attendu (ex. 2026-09-03T10:12:00+02:00)")
    try:
        parsed = datetime.fromisoformat(cleaned)
    except ValueError as exc:
        raise DateFormatError("date-heure inexistante") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=PARIS)
    return parsed.astimezone(UTC)


_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre")


def format_date_fr(day: date) -> str:
    """"1er décembre 2026", "28 novembre 2026"."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {_MONTHS[day.month - 1]} {day.year}"


def format_hours(hours: Decimal) -> str:
    """French display of a duration in hours: "14 h", "10,5 h", whatever the stored scale."""
    return f"{hours.normalize():f}".replace(".", ",") + " h"
