"""Who pays what for a session, who an invoice is addressed to, and the rules of invoice
numbers, due dates and reminders.

`split_session` is the one place that decides the funders' shares (domain brief §3.4, §3.7):
with subrogation, the OPCO pays what it granted pro rata of the hours actually attended (never
more than the grant, never for hours not attended) and the company the rest of the price;
otherwise the company pays the whole price; a cancelled session costs the company the
cancellation fee, if any, and never the OPCO. The parts add up to the price to the cent.
`invoice_buyer` addresses each part to its funder; `remainder_to_company` bills the company what
an OPCO did not pay of its invoice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from backoffice.dates import format_hours
from backoffice.funding_status import FundingStatus
from backoffice.identifiers import siren_problem
from backoffice.invoice_document import InvoiceParty
from backoffice.money import ZERO, allocate, format_eur, quantize

OPCO = "opco"
COMPANY = "company"


class InvoicingRefused(ValueError):
    """An invoicing request the rules refuse; French message for the operator."""


@dataclass(frozen=True, slots=True)
class Grant:
    """The validated PEC's terms, as far as invoicing is concerned."""

    opco: str
    dossier_number: str
    amount_ht: Decimal
    hours_per_trainee: Decimal
    subrogation: bool


@dataclass(frozen=True, slots=True)
class SplitLine:
    description: str
    quantity: Decimal
    unit: str  # "HUR" hours, "C62" one unit
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class InvoicePart:
    """One invoice to issue: to whom, under which key, with which lines."""

    key: str  # business key, unique per session: "opco", "company", "absences", "cancellation"
    funder: str  # OPCO or COMPANY
    lines: tuple[SplitLine, ...]

    @property
    def total(self) -> Decimal:
        return quantize(sum((line.amount for line in self.lines), ZERO))


@dataclass(frozen=True, slots=True)
class SessionBilling:
    session_ref: str
    title: str
    price_ht: Decimal
    hours_per_trainee: Decimal
    trainees: int
    funding: str  # opco_subrogation | opco_reimbursement | company
    funding_status: str  # funded | company_billing | awaiting_pec | pec_review | company
    attended: Mapping[str, Decimal]  # hours attended per trainee (reference)
    cancelled_on: date | None = None
    start_date: date | None = None
    names: Mapping[str, str] = field(default_factory=dict)  # trainee reference → full name


def split_session(session: SessionBilling, grant: Grant | None, *,
                  absences_apart: bool = False, cancellation_fee_rate: Decimal = ZERO,
                  cancellation_notice_days: int = 10) -> list[InvoicePart]:
    """The invoices a session gives rise to; their totals add up to what is owed."""
    if session.cancelled_on is not None:
        return _cancellation(session, cancellation_fee_rate, cancellation_notice_days)
    funded = session.funding_status == FundingStatus.funded and grant is not None \
        and grant.subrogation
    if not funded:
        return [InvoicePart(COMPANY, COMPANY, (_full_price_line(session),))]
    return _subrogation(session, grant, absences_apart)  # type: ignore[arg-type]


def _full_price_line(session: SessionBilling) -> SplitLine:
    return SplitLine(f"Action de formation « {session.title} » — {session.trainees} "
                     f"stagiaire(s), {format_hours(session.hours_per_trainee)} chacun",
                     Decimal(1), "C62", session.price_ht, session.price_ht)


def opco_share(session: SessionBilling, grant: Grant) -> tuple[Decimal, Decimal, Decimal]:
    """(amount, hours paid, rate): the grant per granted hour × hours attended within the grant."""
    granted_hours = grant.hours_per_trainee * session.trainees
    if granted_hours <= 0 or session.trainees == 0:
        return ZERO, ZERO, ZERO
    granted = min(grant.amount_ht, session.price_ht)
    rate = granted / granted_hours
    paid_hours = sum((min(hours, grant.hours_per_trainee) for hours in session.attended.values()),
                     ZERO)
    return min(quantize(rate * paid_hours), granted), paid_hours, rate


def _subrogation(session: SessionBilling, grant: Grant, absences_apart: bool
                 ) -> list[InvoicePart]:
    amount, _hours, rate = opco_share(session, grant)
    granted = min(grant.amount_ht, session.price_ht)
    parts = []
    if amount > 0:
        parts.append(InvoicePart(OPCO, OPCO, _opco_lines(session, grant, amount, rate)))
    rest = quantize(session.price_ht - granted)
    absences = quantize(granted - amount)
    rest_line = SplitLine(f"Reste à charge : prix de la formation ({format_eur(session.price_ht)} "
                          f"HT) moins la prise en charge accordée par l'OPCO "
                          f"({format_eur(granted)} HT)", Decimal(1), "C62", rest, rest)
    absence_line = SplitLine("Heures non réalisées, non prises en charge par l'OPCO",
                             Decimal(1), "C62", absences, absences)
    if absences_apart:
        if rest > 0:
            parts.append(InvoicePart(COMPANY, COMPANY, (rest_line,)))
        if absences > 0:
            parts.append(InvoicePart("absences", COMPANY, (absence_line,)))
    else:
        lines = tuple(line for line in (rest_line, absence_line) if line.amount > 0)
        if lines:
            parts.append(InvoicePart(COMPANY, COMPANY, lines))
    return parts


def _opco_lines(session: SessionBilling, grant: Grant, amount: Decimal, rate: Decimal
                ) -> tuple[SplitLine, ...]:
    """One line per trainee who attended, with their hours (within the grant); none for an
    absent trainee. Every unit price is to the cent and quantity × unit price is the line's
    amount exactly: hours at the hourly rate when that is exact (75,00 € × 10,5 h), otherwise
    one lump sum per trainee, the OPCO's amount shared pro rata of the hours to the cent."""
    paid = {ref: min(hours, grant.hours_per_trainee)
            for ref, hours in session.attended.items() if hours > 0}
    if not paid:
        return ()

    def description(ref: str) -> str:
        name, hours = session.names.get(ref, ref), session.attended[ref]
        done = f"{format_hours(hours)} réalisées"
        if paid[ref] < hours:
            done += f", dont {format_hours(paid[ref])} prises en charge"
        return f"Action de formation « {session.title} » — {name} : {done}"

    hourly = rate == quantize(rate) and all(rate * hours == quantize(rate * hours)
                                              for hours in paid.values())
    if hourly and sum((rate * hours for hours in paid.values()), ZERO) == amount:
        return tuple(SplitLine(description(ref), hours, "HUR", quantize(rate),
                               quantize(rate * hours)) for ref, hours in paid.items())
    shares = allocate(amount, paid)
    return tuple(SplitLine(description(ref), Decimal(1), "C62", shares[ref], shares[ref])
                 for ref in paid)


def _cancellation(session: SessionBilling, rate: Decimal, notice_days: int) -> list[InvoicePart]:
    if rate <= 0 or session.start_date is None or session.cancelled_on is None:
        return []
    if business_days_between(session.cancelled_on, session.start_date) >= notice_days:
        return []
    fee = quantize(session.price_ht * rate)
    return [InvoicePart("cancellation", COMPANY, (SplitLine(
        f"Dédit pour annulation moins de {notice_days} jours ouvrés avant le début de la "
        f"formation « {session.title} » ({rate:.0%} du prix, non imputable sur les fonds de "
        "la formation professionnelle)", Decimal(1), "C62", fee, fee),))]


def business_days_between(start: date, end: date) -> int:
    """Monday-to-Friday days from start (excluded) to end (included)."""
    days, day = 0, start
    while day < end:
        day += timedelta(days=1)
        days += day.weekday() < 5
    return days


# --- who an invoice is addressed to ---------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class BuyerFacts:
    """A funder as the reference data (an OPCO) or the client record (a company) knows it."""

    ref: str  # the OPCO's code, or the client's reference
    name: str
    siret: str
    address: str  # where its invoices go
    postcode: str
    city: str
    email: str  # where its invoices are sent: the OPCO's billing address, the client's contact
    full_name: str = ""  # the legal name, when the reference data has it
    siren: str = ""  # when known without a SIRET (an OPCO's head office may be unknown)


@dataclass(frozen=True, slots=True)
class Buyer:
    """Who an invoice is addressed to."""

    ref: str  # the invoice's funder reference
    party: InvoiceParty  # as the invoice names it
    email: str  # where it is sent


def invoice_buyer(funder: str, *, client: BuyerFacts, opco: BuyerFacts | None) -> Buyer:
    """An OPCO's part is addressed to the OPCO (under its full name, if known); any other part to
    the client company."""
    if funder == OPCO:
        if opco is None:
            raise InvoicingRefused("facture à un OPCO dont les coordonnées sont inconnues")
        chosen = opco
    else:
        chosen = client
    party = InvoiceParty(chosen.full_name or chosen.name, chosen.siret, chosen.address,
                         chosen.postcode, chosen.city, email=chosen.email, siren=chosen.siren)
    return Buyer(chosen.ref, party, chosen.email)


def missing_identity(buyer: InvoiceParty) -> list[str]:
    """What the buyer's identity lacks for an invoice to be issued to it (French), empty when
    complete: its name, its SIREN (valid), its billing address. An invoice is legally bound to
    its buyer's name and address (CGI art. 242 nonies A), and e-invoicing to its SIREN: one
    issued without is a number consumed and a credit note due."""
    missing = [] if buyer.name.strip() else ["raison sociale"]
    if not buyer.siren:
        missing.append("SIREN")
    elif problem := siren_problem(buyer.siren):
        missing.append(f"{problem} ({buyer.siren})")
    missing += [label for label, value in (("adresse", buyer.address),
                                           ("code postal", buyer.postcode),
                                           ("ville", buyer.city)) if not value.strip()]
    return missing


# --- what an OPCO did not pay ---------------------------------------------------------------------

def remainder_to_company(*, number: str, invoice_key: str, funder: str, total_ttc: Decimal,
                         paid: Decimal, note: str) -> InvoicePart:
    """The OPCO refused its invoice `number` or paid less (`paid`): the company's invoice of the
    rest, to the cent, under the key `<invoice_key>-refacturation`. Refused (`InvoicingRefused`)
    for an invoice to a company, or when the OPCO paid it all."""
    if funder != OPCO:
        raise InvoicingRefused(f"{number} n'est pas une facture à un OPCO")
    remainder = quantize(total_ttc - paid)
    if remainder <= 0:
        raise InvoicingRefused(f"l'OPCO a payé {paid} € sur {total_ttc} € : rien à refacturer")
    return InvoicePart(f"{invoice_key}-refacturation", COMPANY, (SplitLine(
        f"Part non prise en charge par l'OPCO sur la facture {number} ({note})",
        Decimal(1), "C62", remainder, remainder),))


# --- numbers, due dates, reminders ------------------------------------------------------------

def invoice_number(series: str, year: int, value: int) -> str:
    """"FA-2026-000123": the series, the year of issue, a counter with no gap per series."""
    return f"{series}-{year}-{value:06d}"


def due_date(issued_on: date, payment_days: int = 30) -> date:
    return issued_on + timedelta(days=payment_days)


def billable(completed_on: date | None, cancelled_on: date | None, as_of: date | None) -> bool:
    """Whether a session gives rise to invoices on `as_of`: once its end was declared, or once
    it was cancelled (a dédit), by that day; any day when `as_of` is None. An invoice is never
    dated before the service it bills was done."""
    ended = completed_on if completed_on is not None else cancelled_on
    return ended is not None and (as_of is None or ended <= as_of)


def by_email(funder_kind: str, channel: str | None) -> bool:
    """Whether an invoice is e-mailed to its funder: a company's always; an OPCO's only when it
    takes invoices by e-mail. Otherwise (its portal, an e-invoicing platform, or not known yet)
    an operator deposits it, and dunning counts from that day."""
    return funder_kind != OPCO or channel == "email"


def dunning_due_date(due: date, payment_days: int, *, deposit_awaited: bool,
                     deposited_on: date | None) -> date | None:
    """The day dunning counts from: the invoice's due date; for one deposited on the funder's
    portal, the deposit day plus the payment term when that is later; None while the deposit
    is awaited (the funder cannot pay what it has not received)."""
    if not deposit_awaited:
        return due
    if deposited_on is None:
        return None
    return max(due, due_date(deposited_on, payment_days))


def reminder_due(due: date, as_of: date, days_after: Sequence[int] = (7, 30)) -> int | None:
    """The latest reminder stage reached (days after the due date), None before the first."""
    reached = [d for d in days_after if due + timedelta(days=d) <= as_of]
    return max(reached) if reached else None
