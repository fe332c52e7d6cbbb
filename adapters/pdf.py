"""Documents: Jinja2 templates (templates/documents, autoescaped) rendered to PDF by WeasyPrint."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from jinja2 import Environment

from adapters.templating import TEMPLATES as ALL_TEMPLATES
from adapters.templating import french_environment

if TYPE_CHECKING:  # WeasyPrint is imported on the first render, not by every run that imports
    from weasyprint import CSS  # this module (0.8 s): most nights of most flows render nothing
    from weasyprint.text.fonts import FontConfiguration

TEMPLATES = ALL_TEMPLATES / "documents"


@cache
def _environment() -> Environment:
    return french_environment("documents", html=True)


def render_html(template: str, context: dict[str, Any]) -> str:
    """templates/documents/<template>.html.j2 with the context; every value is escaped."""
    return _environment().get_template(f"{template}.html.j2").render(**context)


@cache
def _stylesheet() -> tuple[CSS, FontConfiguration]:
    """style.css parsed once per process, with its font configuration (20 % of a render)."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    return CSS(filename=str(TEMPLATES / "style.css"), font_config=fonts), fonts


def html_to_pdf(html: str, pdf_variant: str | None = None) -> bytes:
    """WeasyPrint render with the shared stylesheet; relative URLs resolve in templates/documents.

    `pdf_variant="pdf/a-3b"` for invoices: Factur-X is a PDF/A-3 (WeasyPrint adds the
    OutputIntent, which the factur-x package does not)."""
    from weasyprint import HTML

    stylesheet, fonts = _stylesheet()
    return HTML(string=html, base_url=str(TEMPLATES) + "/").write_pdf(
        stylesheets=[stylesheet], font_config=fonts, pdf_variant=pdf_variant)
