"""What an issued invoice, credit note or self-billed invoice says: the values the PDF and the
Factur-X XML share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from backoffice.money import quantize

EXEMPTION_TEXT = "Exonération de TVA — article 261-4-4° a du Code général des impôts"
EXEMPTION_CODE = "VATEX-EU-132-1I"  # Directive 2006/112/EC art. 132(1)(i): vocational training
FRANCHISE_TEXT = "TVA non applicable, art. 293 B du CGI"
FRANCHISE_CODE = "VATEX-FR-FRANCHISE"  # CEF VATEX list: France domestic VAT franchise in base
SELF_BILLING_MENTION = "Autofacturation"  # CGI ann. II art. 242 nonies A, 14°


@dataclass(frozen=True, slots=True)
class VatTreatment:
    """How an invoice's lines are taxed: one VAT category for the whole invoice."""

    category: str  # UNCL 5305: "E" exempt, "S" standard rate
    rate: Decimal  # percent
    mention: str  # the invoice's words; for an exemption, the reason (BT-120)
    exemption_code: str | None  # VATEX (BT-121), for an exemption

    def vat_on(self, amount_ht: Decimal) -> Decimal:
        """The VAT of an amount, half up to the cent (as backoffice.payouts.vat_on computes it)."""
        return quantize(amount_ht * self.rate / 100)


# By the seller's VAT regime: the marketplace's training invoices are "exempt"; a trainer's
# self-billed invoice follows the trainer's regime (backoffice/payouts.py: VAT_REGIMES).
VAT_TREATMENTS = {
    "exempt": VatTreatment("E", Decimal("0.00"), EXEMPTION_TEXT, EXEMPTION_CODE),
    "franchise": VatTreatment("E", Decimal("0.00"), FRANCHISE_TEXT, FRANCHISE_CODE),
    "vat": VatTreatment("S", Decimal("20.00"), "TVA 20 %", None),
}

# UNTDID 1001 document types, the three this back office issues
TYPE_CODES = {"invoice": "380", "credit_note": "381", "self_billed": "389"}


def french_vat_number(siren: str) -> str:
    """The intra-community VAT number the tax administration derives from a SIREN:
    FR + key + SIREN, key = (12 + 3 × (SIREN mod 97)) mod 97 (backoffice/identifiers.py checks it)."""
    return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"


@dataclass(frozen=True, slots=True)
class InvoiceParty:
    name: str
    siret: str
    address: str
    postcode: str
    city: str
    country: str = "FR"
    email: str | None = None
    vat_number: str | None = None  # intra-community VAT number, when the party has one
    siren: str = ""  # the legal entity (9 digits): the SIRET's first nine when there is one

    def __post_init__(self) -> None:
        if not self.siren and self.siret:
            object.__setattr__(self, "siren", self.siret[:9])


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    description: str
    quantity: Decimal  # hours, or 1 for a lump sum
    unit: str  # "HUR" (hour) or "C62" (unit), UN/ECE rec. 20 codes
    unit_price: Decimal  # HT; may carry more than 2 decimals (e.g. a grant per hour)
    amount: Decimal  # HT, 2 decimals: the line total that counts


@dataclass(frozen=True, slots=True)
class InvoiceDocument:
    number: str
    kind: str  # "invoice" (380), "credit_note" (381) or "self_billed" (389, the trainer's)
    issue_date: date
    due_date: date
    service_start: date
    service_end: date
    seller: InvoiceParty
    seller_nda: str  # may be empty on a self-billed invoice (a trainer without one)
    buyer: InvoiceParty
    lines: tuple[InvoiceLine, ...]
    total_ht: Decimal
    total_vat: Decimal
    total_ttc: Decimal
    payment_iban: str
    payment_bic: str  # may be empty: the IBAN is enough for a SEPA transfer
    session_ref: str
    dossier_number: str | None = None  # the OPCO's file number, quoted on its invoices
    trainees: tuple[str, ...] = ()
    preceding_number: str | None = None  # for a credit note: the invoice it cancels
    note: str | None = None
    currency: str = "EUR"
    vat_regime: str = "exempt"  # a key of VAT_TREATMENTS
    preceding_date: date | None = None  # for a credit note: the issue date of that invoice

    def __post_init__(self) -> None:
        # stored as JSON (services/invoicing.py: document_to_json), the date comes back a string
        if isinstance(self.preceding_date, str):
            object.__setattr__(self, "preceding_date", date.fromisoformat(self.preceding_date))

    @property
    def type_code(self) -> str:
        return TYPE_CODES.get(self.kind, "380")

    @property
    def vat(self) -> VatTreatment:
        return VAT_TREATMENTS[self.vat_regime]
