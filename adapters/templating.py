"""The one Jinja2 set-up of the project: strict variables, French filters, one folder each."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from backoffice.dates import format_date_fr, format_hours
from backoffice.money import format_eur

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def french_environment(folder: str, *, html: bool) -> Environment:
    """Templates of templates/<folder>; HTML ones autoescaped (a name like `<script>` or
    `Dupont & Fils` renders as text), plain-text ones not."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES / folder), undefined=StrictUndefined,
        autoescape=select_autoescape(["html", "j2"]) if html else False,
        keep_trailing_newline=not html, trim_blocks=True, lstrip_blocks=True)
    environment.filters.update(date_fr=format_date_fr, eur=format_eur, hours=format_hours,
                               quantity=quantity, unit_price=unit_price)
    return environment


def quantity(value: Decimal, unit: str) -> str:
    return format_hours(value) if unit == "HUR" else f"{value.normalize():f}".replace(".", ",")


def unit_price(value: Decimal) -> str:
    """A unit price keeps its meaningful decimals (a grant per hour may have four)."""
    decimals = max(2, -value.normalize().as_tuple().exponent)
    if decimals == 2:
        return format_eur(value)
    whole = format_eur(value.quantize(Decimal(1), rounding="ROUND_DOWN")).split(",")[0]
    return f"{whole},{f'{value:.{decimals}f}'.split('.')[1]}\u00a0€"
