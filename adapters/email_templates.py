"""E-mails from Jinja2 templates in templates/emails/: French, plain text.

A template's first line is `Objet : <subject>`, then a blank line, then the body. Rendering is
strict (an unknown variable is an error, not an empty string), and the rendered subject and body
are what the outbox stores, so a re-run sends exactly what was decided.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from jinja2 import Environment
from sqlalchemy.orm import Session as OrmSession

from adapters.outbox import record_effect
from adapters.templating import french_environment

SUBJECT_PREFIX = "Objet :"


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    subject: str
    text: str


@cache
def _environment() -> Environment:
    return french_environment("emails", html=False)


def render_email(name: str, **context: Any) -> RenderedEmail:
    """Render templates/emails/<name>.txt.j2 into a subject and a plain-text body."""
    rendered = _environment().get_template(f"{name}.txt.j2").render(**context)
    first, _, body = rendered.partition("\n")
    if not first.startswith(SUBJECT_PREFIX):
        raise ValueError(f"{name}.txt.j2 must start with '{SUBJECT_PREFIX} …'")
    return RenderedEmail(first.removeprefix(SUBJECT_PREFIX).strip(), body.lstrip("\n"))


def record_email(db: OrmSession, key: str, *, to: Sequence[str], template: str, now: datetime,
                 cc: Sequence[str] = (), attachments: Sequence[str] = (), **context: Any) -> bool:
    """Render an e-mail now and record it in the outbox under `key` (sent later, once).

    False when the key was recorded before: the e-mail exists already, nothing changes."""
    rendered = render_email(template, **context)
    return record_effect(db, key, "email", {
        "to": list(to), "cc": list(cc), "subject": rendered.subject, "text": rendered.text,
        "attachments": list(attachments)}, now)
