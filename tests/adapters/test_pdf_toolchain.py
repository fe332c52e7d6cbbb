"""The PDF toolchain the documents will use works on this machine: WeasyPrint renders French
text with the system's Pango and fonts, and pypdf reads it back."""

from __future__ import annotations

import io

from pypdf import PdfReader
from weasyprint import HTML


def test_french_text_renders_and_reads_back():
    html = ("<html lang='fr'><body><h1>Certificat de réalisation</h1>"
            "<p>Élève : Éloïse N’Diaye — 14 h réalisées, 1 234,56 €</p></body></html>")
    pdf = HTML(string=html).write_pdf()
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Certificat de réalisation" in text
    assert "Éloïse N’Diaye" in text and "1 234,56 €" in text
