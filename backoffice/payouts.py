"""Trainer payouts: when a trainer is owed, how much, and which bank lines show a transfer.

Pure decisions, one per session, from plain facts (`SessionPayoutFacts`): the adapter loads the
facts, takes the payout lock, and records what `decide_payout` returns.

The rules (domain brief §8, design brief §2 step 6):
  * **pay when paid** (default): the trainer is owed once every funder invoice of the session is
    paid in full (credit notes deducted); `pro_rata` pays, tranche by tranche, the share of the
    fee that the funders' payments so far cover;
  * the amount is the session's `trainer_fee_ht`, plus 20 % VAT only under the `vat` regime;
  * a payout needs the trainer's invoice for the session (amount checked against the fee; a
    mismatch goes to review) or a self-billing mandate (the marketplace issues the invoice);
  * before paying: a valid IBAN, a valid SIRET, the account holder's name, and the trainer's NDA
    (missing: a warning, or a block when the setting says so);
  * the transfer is executed on the next TARGET2 business day after the decision;
  * a trainer's invoice must be paid within 60 days (Code de commerce L441-10), pay-when-paid or
    not: one still unpaid 45 days after its receipt is shown to the operators with the days left.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum

from backoffice.business_days import next_target2_business_day
from backoffice.invoicing import invoice_number
from backoffice.money import CENT, ZERO, quantize

VAT_RATE = Decimal("0.20")
VAT_REGIMES = {"franchise": "TVA non applicable, art. 293 B du CGI",
               "exempt": "Exonération de TVA, art. 261-4-4° a du CGI",
               "vat": "TVA 20 %"}


class PayoutMode(StrEnum):
    when_paid = "when_paid"  # once every funder invoice of the session is paid in full
    pro_rata = "pro_rata"    # the share of the fee the funders' payments cover so far


class NdaPolicy(StrEnum):
    warn = "warn"
    block = "block"


class Outcome(StrEnum):
    pay = "pay"          # a payout (or a tranche) is due now
    wait = "wait"        # nothing due yet: funders have not paid, or the trainer's invoice is awaited
    review = "review"    # something a human must look at before any payment
    done = "done"        # everything owed is scheduled or paid already


@dataclass(frozen=True, slots=True)
class FunderInvoice:
    number: str
    total_ttc: Decimal
    credited: Decimal  # credit notes issued against it
    paid: Decimal

    @property
    def due(self) -> Decimal:
        return self.total_ttc - self.credited

    @property
    def settled(self) -> bool:
        return self.paid >= self.due


@dataclass(frozen=True, slots=True)
class TrainerInvoiceFacts:
    number: str
    amount_ht: Decimal
    vat: Decimal
    amount_ttc: Decimal


@dataclass(frozen=True, slots=True)
class TrainerFacts:
    trainer_ref: str
    holder_name: str       # the account holder's name, as the bank knows it
    iban_problem: str | None
    siret_problem: str | None
    nda: str | None
    vat_regime: str        # franchise | exempt | vat
    self_billing: bool


@dataclass(frozen=True, slots=True)
class SessionPayoutFacts:
    session_ref: str
    fee_ht: Decimal
    trainer: TrainerFacts
    funder_invoices: tuple[FunderInvoice, ...]
    trainer_invoices: tuple[TrainerInvoiceFacts, ...] = ()
    already_ht: Decimal = ZERO      # HT of the payouts scheduled before (failed ones excluded)
    already_vat: Decimal = ZERO
    unresolved_failure: str | None = None  # a returned transfer not dealt with yet


@dataclass(frozen=True, slots=True)
class PayoutDecision:
    outcome: Outcome
    reasons: tuple[str, ...] = ()  # French, for the artifact and the review queue
    amount_ht: Decimal = ZERO
    vat: Decimal = ZERO
    trainer_invoice: str | None = None  # the deposited invoice's number; None when self-billed
    self_billed: bool = False
    warnings: tuple[str, ...] = field(default=())
    awaits_trainer_invoice: bool = False  # the funders paid: the trainer's invoice is the wait

    @property
    def amount(self) -> Decimal:
        return self.amount_ht + self.vat


def vat_on(amount_ht: Decimal, regime: str) -> Decimal:
    """The VAT the trainer charges: 20 % under the `vat` regime, none otherwise."""
    return quantize(amount_ht * VAT_RATE) if regime == "vat" else ZERO


def funders_paid_share(invoices: tuple[FunderInvoice, ...]) -> Decimal | None:
    """What part of the session's funder invoices is paid (0 to 1); None when nothing is due."""
    due = sum((i.due for i in invoices), ZERO)
    if due <= 0:
        return None
    paid = sum((min(i.paid, i.due) for i in invoices), ZERO)
    return min(paid / due, Decimal(1))


def decide_payout(facts: SessionPayoutFacts, *, mode: PayoutMode = PayoutMode.when_paid,
                  nda_policy: NdaPolicy = NdaPolicy.warn) -> PayoutDecision:
    """What the trainer of the session is owed now, or why nothing is paid."""
    if facts.unresolved_failure:
        return PayoutDecision(Outcome.review, (facts.unresolved_failure,))
    if facts.fee_ht <= 0:
        return PayoutDecision(Outcome.done, ("pas d'honoraires prévus pour la session",))
    share = funders_paid_share(facts.funder_invoices)
    if share is None:
        return PayoutDecision(Outcome.wait, ("aucune facture émise aux financeurs",))
    if mode is PayoutMode.when_paid and not all(i.settled for i in facts.funder_invoices):
        unpaid = ", ".join(i.number for i in facts.funder_invoices if not i.settled)
        return PayoutDecision(Outcome.wait, (f"factures non soldées : {unpaid}",))
    owed_ht, owed_vat = _owed_to_date(facts, share)
    tranche_ht, tranche_vat = owed_ht - facts.already_ht, owed_vat - facts.already_vat
    if tranche_ht + tranche_vat <= 0:
        outcome = Outcome.done if share == 1 else Outcome.wait
        return PayoutDecision(outcome, ("rien de plus à verser pour l'instant",))

    problems, warnings = trainer_problems(facts.trainer, nda_policy)
    invoice, invoice_problem, awaited = _trainer_invoice(facts)
    if invoice_problem:
        problems.append(invoice_problem)
    if problems:
        return PayoutDecision(Outcome.review, tuple(problems), warnings=tuple(warnings))
    if awaited:
        return PayoutDecision(Outcome.wait, (awaited,), warnings=tuple(warnings),
                              awaits_trainer_invoice=True)
    return PayoutDecision(Outcome.pay, (), tranche_ht, tranche_vat,
                          trainer_invoice=invoice, self_billed=facts.trainer.self_billing,
                          warnings=tuple(warnings))


def _owed_to_date(facts: SessionPayoutFacts, share: Decimal) -> tuple[Decimal, Decimal]:
    """HT and VAT owed so far: the whole fee when fully paid, else its share rounded down."""
    partial = (facts.fee_ht * share).quantize(CENT, rounding=ROUND_DOWN)
    owed_ht = facts.fee_ht if share >= 1 else partial
    return owed_ht, vat_on(owed_ht, facts.trainer.vat_regime)


def trainer_problems(trainer: TrainerFacts, nda_policy: NdaPolicy) -> tuple[list[str], list[str]]:
    """What blocks a transfer to the trainer, and what only deserves a warning."""
    problems = []
    if trainer.iban_problem:
        problems.append(f"formateur {trainer.trainer_ref} : {trainer.iban_problem}")
    if trainer.siret_problem:
        problems.append(f"SIRET du formateur {trainer.trainer_ref} : {trainer.siret_problem}")
    if not trainer.holder_name.strip():
        problems.append(f"titulaire du compte du formateur {trainer.trainer_ref} inconnu")
    if trainer.vat_regime not in VAT_REGIMES:
        problems.append(f"régime de TVA du formateur {trainer.trainer_ref} inconnu : "
                        f"{trainer.vat_regime!r}")
    warnings: list[str] = []
    if not (trainer.nda or "").strip():
        message = f"formateur {trainer.trainer_ref} sans numéro de déclaration d'activité (NDA)"
        (problems if nda_policy is NdaPolicy.block else warnings).append(message)
    return problems, warnings


def invoice_matches_fee(amount_ht: Decimal, vat: Decimal, fee_ht: Decimal, vat_regime: str) -> bool:
    """A trainer's invoice is accepted when it charges the session's fee and the VAT of the
    trainer's regime; any other goes to review (and, in the books, is not a charge)."""
    return amount_ht == fee_ht and vat == vat_on(fee_ht, vat_regime)


def _trainer_invoice(facts: SessionPayoutFacts) -> tuple[str | None, str | None, str | None]:
    """(invoice number, problem, what is awaited): the deposited invoice must match the fee."""
    if facts.trainer.self_billing:
        return None, None, None
    if not facts.trainer_invoices:
        return None, None, "facture du formateur attendue (pas de mandat d'autofacturation)"
    expected_vat = vat_on(facts.fee_ht, facts.trainer.vat_regime)
    for invoice in facts.trainer_invoices:
        if invoice_matches_fee(invoice.amount_ht, invoice.vat, facts.fee_ht,
                               facts.trainer.vat_regime):
            return invoice.number, None, None
    latest = facts.trainer_invoices[-1]
    return None, (f"facture du formateur {latest.number} : {latest.amount_ht} € HT + "
                  f"{latest.vat} € de TVA, attendu {facts.fee_ht} € HT + {expected_vat} € "
                  f"de TVA (honoraires de la session, régime {facts.trainer.vat_regime})"), None


# --- scheduling ---------------------------------------------------------------------------------

def execution_date(decided_on: date, today: date | None = None) -> date:
    """The next TARGET2 business day after the decision (never before `today`, when given)."""
    due = decided_on + timedelta(days=1)
    if today is not None and today > due:
        due = today
    return next_target2_business_day(due)


PAYMENT_CAP_DAYS = 60  # Code de commerce L441-10: at most 60 days after the invoice
PAYMENT_CAP_WARNING_DAYS = 45  # from then on, an unpaid trainer invoice is shown to operators


def payment_cap_days_left(received_on: date, as_of: date) -> int | None:
    """Days left before a trainer invoice received on `received_on` passes the legal 60-day
    cap (negative once past it), from the 45th day on; None before."""
    waited = (as_of - received_on).days
    return PAYMENT_CAP_DAYS - waited if waited >= PAYMENT_CAP_WARNING_DAYS else None


PAYOUT_SERIES = "PO"  # a gap-free number series, like the invoices'
BATCH_PREFIX = "VIR-FORMATEURS"


def payout_id(year: int, value: int) -> str:
    """"PO-2026-000042": the EndToEndId of the transfer, which comes back on our statement."""
    return invoice_number(PAYOUT_SERIES, year, value)


def batch_id(execution_on: date, sequence: int) -> str:
    """The pain.001 MsgId: "VIR-FORMATEURS-20261201-01" (one file per execution date)."""
    return f"{BATCH_PREFIX}-{execution_on:%Y%m%d}-{sequence:02d}"


def remittance(session_ref: str, invoice_number: str) -> str:
    """What the trainer reads on their statement (cleaned to the SEPA set by the builder)."""
    return f"Honoraires session {session_ref} facture {invoice_number}"


# --- finding our transfers on a statement ---------------------------------------------------------

_PAYOUT_ID = re.compile(r"\bPO-?(\d{4})-?(\d{6})\b")
_BATCH_ID = re.compile(r"\bVIR-?FORMATEURS-?(\d{8})-?(\d{2})\b")


def payout_ids_in(text: str) -> list[str]:
    """The payout ids a bank line quotes (banks may drop the dashes)."""
    return [payout_id(int(y), int(n)) for y, n in _PAYOUT_ID.findall(text.upper())]


def batch_ids_in(text: str) -> list[str]:
    """The batch (MsgId / PmtInfId) ids a bank line quotes, for a batch booked as one debit."""
    return [f"{BATCH_PREFIX}-{day}-{sequence}" for day, sequence in _BATCH_ID.findall(text.upper())]
