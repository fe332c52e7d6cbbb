"""E-mails from Jinja2 templates in templates/emails/: French, plain text.

A template's first line is `Objet : <subject>`, then a blank line, then the body. Rendering is
strict (an unknown variable is an error, not an empty string), and the rendered subject and body
are what the outbox stores, so a re-run sends exactly what was decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from backoffice.dates import format_date_fr
from backoffice.money import format_eur

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "emails"
SUBJECT_PREFIX = "Objet :"


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    subject: str
    text: str


@cache
def _environment() -> Environment:
    environment = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                              autoescape=False, keep_trailing_newline=True,
                              trim_blocks=True, lstrip_blocks=True)
    environment.filters["date_fr"] = _date_fr
    environment.filters["eur"] = _eur
    return environment


def _date_fr(value: date) -> str:
    return format_date_fr(value)


def _eur(value: Decimal) -> str:
    return format_eur(value)


def render_email(name: str, **context: Any) -> RenderedEmail:
    """Render templates/emails/<name>.txt.j2 into a subject and a plain-text body."""
    rendered = _environment().get_template(f"{name}.txt.j2").render(**context)
    first, _, body = rendered.partition("\n")
    if not first.startswith(SUBJECT_PREFIX):
        raise ValueError(f"{name}.txt.j2 must start with '{SUBJECT_PREFIX} …'")
    return RenderedEmail(first.removeprefix(SUBJECT_PREFIX).strip(), body.lstrip("\n"))
