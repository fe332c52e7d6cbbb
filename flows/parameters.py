"""What operators type in the UI's forms: each parameter's type, its check and its French title.

Prefect titles a form field with the parameter's name (`as_of`); `titled` gives it the French
title operators read instead (through the field's JSON schema). A value the schema can refuse
(a date's format, a reference's pattern) is refused by the server before the run exists; what
it cannot express (a period's end before its start) is checked by the parameter's model when
the run starts, before its first step: the run ends Failed with the French reason and nothing
done. A check that needs the database (an unknown session) is the flow's own first step:
`refused` ends the run « Refusé », without a traceback and without alerting anyone (the operator
who asked reads the answer in the UI).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from prefect.states import Failed, State
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from backoffice.dates import DateFormatError, format_date_fr, parse_date
from backoffice.incidents import REFUSED

MAX_BACKFILL_DAYS = 366


def titled(title: str, default: Any = ...) -> Any:
    """A parameter's default that carries its French title for the UI form (`...`: required).
    Immutable defaults only: a list default would be shared between calls."""
    return Field(default, json_schema_extra={"title": title})


def refused(message: str) -> State:
    """The final state of a run that refuses its request (French message, nothing done)."""
    return Failed(name=REFUSED, message=message)


def _iso_date(value: object) -> object:
    """A date as typed: `YYYY-MM-DD` only (never guessed from 30/11/2026), French message."""
    if not isinstance(value, str):
        return value
    try:
        return parse_date(value)
    except DateFormatError as error:
        raise ValueError(f"« {value} » : {error} (ex. 2026-11-30)") from error


BusinessDate = Annotated[date, BeforeValidator(_iso_date)]


class Period(BaseModel):
    """A period of business dates, both included, in order, at most a year."""

    model_config = ConfigDict(title="Période", json_schema_extra={
        "description": "Du premier au dernier jour, inclus ; au plus 366 jours."})
    start: BusinessDate = Field(title="Première date (incluse)")
    end: BusinessDate = Field(title="Dernière date (incluse)")

    @model_validator(mode="after")
    def _in_order_and_not_too_long(self) -> Period:
        if self.end < self.start:
            raise ValueError(f"période vide : la fin ({format_date_fr(self.end)}) précède le "
                             f"début ({format_date_fr(self.start)})")
        if len(self.days()) > MAX_BACKFILL_DAYS:
            raise ValueError(f"période de {len(self.days())} jours : au plus "
                             f"{MAX_BACKFILL_DAYS} par rattrapage, la découper")
        return self

    def days(self) -> list[date]:
        """Every calendar date from `start` to `end`, in order."""
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]
