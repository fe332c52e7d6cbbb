"""Every kind of invoice as its recipient gets it: the PDF/A-3 the templates render, read back —
each legal mention there (a mention taken out of a template fails here), the payment terms in
their one wording, and the embedded factur-x.xml passing the XSD and both schematrons."""

from __future__ import annotations

import io
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from pypdf import PdfReader

from adapters.facturx import build_cii_xml, embed_facturx, payment_terms, read_facturx_xml
from adapters.pdf import TEMPLATES, html_to_pdf, render_html
from adapters.settings import Marketplace
from backoffice.invoice_document import EXEMPTION_TEXT, InvoiceDocument
from tests.invoicing.kinds import KINDS, assert_valid_facturx

PAYOUT = SimpleNamespace(id="PO-2027-000042")

INVOICE_MENTIONS = [  # CGI ann. II 242 nonies A, C. com. L441-9/L441-10 (domain brief §5.1)
    "SIREN 732829320", "SIRET 73282932000074", "N° TVA intracommunautaire FR44732829320",
    "Déclaration d'activité n° 11 75 12345 75",
    "du 2 mars 2026 au 20 mars 2026", "Prix unitaire HT", "Total HT", "Total TTC",
    "Exonération de TVA — article 261-4-4° a du Code général des impôts",
]
PAYMENT_MENTIONS = ["Date d'émission : 31 mars 2026", "échéance : 30 avril 2026",
                    "À régler au plus tard le 30 avril 2026", "IBAN FR76 3000 6000 0112 3456 7890 189",
                    "40 €"]
MENTIONS = {
    "opco_invoice": [
        *INVOICE_MENTIONS, *PAYMENT_MENTIONS,
        "Facture n° FA-2026-000123", "SIREN 851296632",
        "ATLAS, soutenir les compétences", "dossier OPCO n° DOS-2026-004567",
        "Éloïse N’Diaye, Jean Dupont", "45,50 €", "10,4167 €", "1 346,92 €"],
    "company_invoice": [
        *INVOICE_MENTIONS, *PAYMENT_MENTIONS,
        "Facture n° FA-2026-000124", "Durand & Fils SAS", "SIREN 356000000",
        "SIRET 35600000049837", "350,00 €"],
    "credit_note": [
        *INVOICE_MENTIONS,
        "Avoir n° AV-2026-000007", "Date d'émission : 10 avril 2026",
        "annule la facture n° FA-2026-000124 du 31 mars 2026",
        "Total TTC de l'avoir, à déduire", "prix corrigé"],
    "partial_credit_note": [
        *INVOICE_MENTIONS,
        "Avoir n° AV-2026-000008", "Date d'émission : 10 avril 2026",
        "annule partiellement la facture n° FA-2026-000123 du 31 mars 2026", "72,92 €"],
    "self_billed_franchise": [
        "Facture n° AF-TR-01-2027-000001", "Autofacturation",
        "au nom et pour le compte de Élodie Marchand",
        "mandat d'autofacturation (article 289, I-2 du Code général des impôts)",
        "date d'émission : 5 janvier 2027", "échéance : 6 janvier 2027",
        "À régler au plus tard le 6 janvier 2027", "Élodie Marchand", "3 rue des Lilas, 69003 Lyon",
        "SIREN 443061841", "SIRET 44306184100047", "Déclaration d'activité n° 11755555575",
        "N° TVA intracommunautaire FR44732829320",  # the marketplace, client here
        "Prix unitaire HT", "1 500,00 €", "TVA non applicable, art. 293 B du CGI", "Total TTC",
        "IBAN FR7630006000011234567890189", "référence PO-2027-000042", "40 €"],
    "self_billed_exempt": [
        "Facture n° AF-TR-03-2027-000001", "Autofacturation",
        "Exonération de TVA — article 261-4-4° a du Code général des impôts",
        "Prix unitaire HT", "échéance : 6 janvier 2027", "40 €"],
    "self_billed_vat": [
        "Facture n° AF-TR-02-2027-000002", "Autofacturation",
        "N° TVA intracommunautaire FR64443061841",  # the trainer's, who charges VAT
        "Prix unitaire HT", "750,03 €", "TVA 20 % sur 750,03 €", "150,01 €", "900,04 €",
        "échéance : 6 janvier 2027", "BIC AGRIFRPPXXX", "40 €"],
}


def render(invoice: InvoiceDocument) -> bytes:
    """The PDF as services/invoicing.py and services/payouts.py make it."""
    if invoice.kind == "self_billed":
        html = render_html("self_billed_invoice", {
            "invoice": invoice, "marketplace": Marketplace(), "payout": PAYOUT})
    else:
        html = render_html("invoice", {
            "invoice": invoice, "marketplace": Marketplace(), "exemption": EXEMPTION_TEXT,
            "partial": invoice.number == "AV-2026-000008"})
    return embed_facturx(html_to_pdf(html, pdf_variant="pdf/a-3b"), invoice)


def pdf_text(pdf: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())


@pytest.fixture(scope="module", params=KINDS, ids=KINDS.keys())
def rendered(request) -> tuple[str, InvoiceDocument, bytes]:
    return request.param, KINDS[request.param], render(KINDS[request.param])


def test_the_pdf_carries_every_mention_of_its_kind(rendered):
    kind, _invoice, pdf = rendered
    text = pdf_text(pdf)
    missing = [mention for mention in MENTIONS[kind] if mention not in text]
    assert missing == []
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1  # nothing spills onto a second page


def test_the_payment_terms_are_stated_in_their_one_wording(rendered):
    """Invoices and self-billed invoices print the three sentences of _payment_terms.html.j2 (the
    factur-x.xml carries them as notes PMD, PMT, AAB); a credit note is not paid: none."""
    _kind, invoice, pdf = rendered
    text, terms = pdf_text(pdf), payment_terms()
    sentences = [terms.no_discount, terms.late_penalties, terms.recovery_indemnity]
    if invoice.kind == "credit_note":
        assert not any(sentence in text for sentence in sentences)
    else:
        assert [sentence for sentence in sentences if sentence not in text] == []


def test_the_embedded_xml_is_the_invoices_and_passes_the_three_validations(rendered):
    _kind, invoice, pdf = rendered
    xml = read_facturx_xml(pdf)
    assert xml == build_cii_xml(invoice)
    assert_valid_facturx(xml)
    catalog = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    assert catalog["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"  # PDF/A-3b
    assert b"<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in \
        catalog["/Metadata"].get_object().get_data()


def test_only_the_payment_terms_partial_words_the_penalties():
    """One wording everywhere (C. com. L441-10: the ECB's refinancing rate + 10 points): the
    documents that state payment terms take them from _payment_terms.html.j2, none words its own."""
    folder = Path(TEMPLATES)
    own_words = re.compile(r"majoré|intérêt légal|taux directeur|indemnité forfaitaire|escompte",
                           re.IGNORECASE)
    wording = {path.name for path in folder.glob("*.j2") if own_words.search(path.read_text())}
    assert wording == {"_payment_terms.html.j2"}
    users = {path.name for path in folder.glob("*.j2")
             if '{% import "_payment_terms.html.j2" as terms %}' in path.read_text()}
    assert users == {"invoice.html.j2", "self_billed_invoice.html.j2", "convention.html.j2",
                     "devis.html.j2"}
    for name in users:
        assert "terms.late_penalties" in (folder / name).read_text()
