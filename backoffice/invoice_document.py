"""What an issued invoice or credit note says: the values the PDF and the Factur-X XML share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

EXEMPTION_TEXT = "Exonération de TVA — article 261-4-4° a du Code général des impôts"
EXEMPTION_CODE = "VATEX-EU-132-1I"  # Directive 2006/112/EC art. 132(1)(i): vocational training


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
    kind: str  # "invoice" (type code 380) or "credit_note" (381)
    issue_date: date
    due_date: date
    service_start: date
    service_end: date
    seller: InvoiceParty
    seller_nda: str
    buyer: InvoiceParty
    lines: tuple[InvoiceLine, ...]
    total_ht: Decimal
    total_vat: Decimal
    total_ttc: Decimal
    payment_iban: str
    payment_bic: str
    session_ref: str
    dossier_number: str | None = None  # the OPCO's file number, quoted on its invoices
    trainees: tuple[str, ...] = ()
    preceding_number: str | None = None  # for a credit note: the invoice it cancels
    note: str | None = None
    currency: str = "EUR"

    @property
    def type_code(self) -> str:
        return "381" if self.kind == "credit_note" else "380"
