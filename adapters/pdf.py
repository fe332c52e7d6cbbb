"""Documents: Jinja2 templates (templates/documents, autoescaped) rendered to PDF by WeasyPrint."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from backoffice.dates import format_date_fr, format_hours
from backoffice.money import format_eur

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "documents"


@cache
def _environment() -> Environment:
    environment = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                              autoescape=select_autoescape(["html", "j2"]),
                              trim_blocks=True, lstrip_blocks=True)
    environment.filters["date_fr"] = _date_fr
    environment.filters["eur"] = _eur
    environment.filters["hours"] = _hours
    environment.filters["quantity"] = _quantity
    environment.filters["unit_price"] = _unit_price
    return environment


def _date_fr(value: date) -> str:
    return format_date_fr(value)


def _eur(value: Decimal) -> str:
    return format_eur(value)


def _hours(value: Decimal) -> str:
    return format_hours(value)


def _quantity(value: Decimal, unit: str) -> str:
    return format_hours(value) if unit == "HUR" else f"{value.normalize():f}".replace(".", ",")


def _unit_price(value: Decimal) -> str:
    """A unit price keeps its meaningful decimals (a grant per hour may have four)."""
    decimals = max(2, -value.normalize().as_tuple().exponent)
    if decimals == 2:
        return format_eur(value)
    whole = format_eur(value.quantize(Decimal(1), rounding="ROUND_DOWN")).split(",")[0]
    return f"{whole},{f'{value:.{decimals}f}'.split('.')[1]}\u00a0€"


def render_html(template: str, context: dict[str, Any]) -> str:
    """templates/documents/<template>.html.j2 with the context; every value is escaped."""
    return _environment().get_template(f"{template}.html.j2").render(**context)


@cache
def _stylesheet() -> tuple[CSS, FontConfiguration]:
    """style.css parsed once per process, with its font configuration (20 % of a render)."""
    fonts = FontConfiguration()
    return CSS(filename=str(TEMPLATES / "style.css"), font_config=fonts), fonts


def html_to_pdf(html: str, pdf_variant: str | None = None) -> bytes:
    """WeasyPrint render with the shared stylesheet; relative URLs resolve in templates/documents.

    `pdf_variant="pdf/a-3b"` for invoices: Factur-X is a PDF/A-3 (WeasyPrint adds the
    OutputIntent, which the factur-x package does not)."""
    stylesheet, fonts = _stylesheet()
    return HTML(string=html, base_url=str(TEMPLATES) + "/").write_pdf(
        stylesheets=[stylesheet], font_config=fonts, pdf_variant=pdf_variant)
