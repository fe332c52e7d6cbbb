"""What a run did, as frozen records: the use cases return them, one renderer
(tasks/summary.py) writes the French summary, the tables and the log lines from them, and code
that must decide (an exit code, the operators' alerts) reads their fields, never their text.

One record per event an operator may want to see, named for the business; amounts are Decimal,
dates are dates. Grouped by process, in the nightly's order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from backoffice.export_format import RowError
from backoffice.money import ZERO
from backoffice.receivables import AgedBalance, Receivable
from backoffice.statements import BalanceGap

# --- the platform export ----------------------------------------------------------------------

ExportFileStatus = Literal["accepted", "rejected", "absent", "ignored"]


@dataclass(frozen=True, slots=True)
class ExportFileRead:
    """One file of a platform export: accepted (rows created, updated, unchanged) or rejected
    whole with its errors."""

    name: str
    status: ExportFileStatus
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: tuple[RowError, ...] = ()


# --- funding (PECs) ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class GreenLight:
    """A valid PEC received: the session may start, its trainer was told."""

    session_ref: str
    pec_ref: str
    opco: str
    dossier: str


@dataclass(frozen=True, slots=True)
class PecToReview:
    """A PEC that does not match its session (or no session): a review item was opened."""

    pec_ref: str
    session_ref: str  # "" when the PEC matches no session
    proposals: tuple[str, ...]  # the sessions it may belong to
    reasons: str  # French


@dataclass(frozen=True, slots=True)
class PecSuperseded:
    pec_ref: str
    session_ref: str | None
    by: str


@dataclass(frozen=True, slots=True)
class PecReminderSent:
    session_ref: str
    days_before: int
    start_date: date


@dataclass(frozen=True, slots=True)
class SwitchedToCompanyBilling:
    """No valid PEC on the first day: the whole session is billed to the company."""

    session_ref: str
    start_date: date


@dataclass(frozen=True, slots=True)
class UnknownOpco:
    client_ref: str
    client_name: str
    reason: str  # French


@dataclass(frozen=True, slots=True)
class CriteriaExpiring:
    """Funding criteria of the reference data whose validity ends within 60 days: to check
    against the OPCO's publication (data/funding_criteria.csv)."""

    opco: str
    scope: str
    valid_to: date


# --- documents -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class DocumentSetProduced:
    session_ref: str
    kind: str  # a document set of backoffice/documents.py: bundle, start_kit, certificates
    version: int
    explanation: str  # French; empty for a first version


@dataclass(frozen=True, slots=True)
class DocumentsBlocked:
    """A session whose data cannot make a legal document (a review item says what is missing)."""

    session_ref: str
    missing: tuple[str, ...]  # French


@dataclass(frozen=True, slots=True)
class DocumentsTooLate:
    """A session whose convention, devis or convocations became due after its start: nothing
    produced or mailed, a review item opened (once)."""

    session_ref: str
    kinds: tuple[str, ...]  # the sets, as in backoffice/document_kinds.py
    start_date: date


# --- invoicing -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class InvoiceIssued:
    number: str
    session_ref: str
    payer: str
    part: str  # the invoice key of the session's split: opco, company, absences…
    total_ttc: Decimal


@dataclass(frozen=True, slots=True)
class InvoiceHeld:
    """An invoice due but not issued (no number consumed): its buyer's identity is incomplete.
    A review item says what is missing; the next run issues it once the data is complete."""

    session_ref: str
    part: str
    payer: str  # the OPCO's or the client's name
    missing: tuple[str, ...]  # French
    first_time: bool  # held for the first time by this run (the operators are told once)


@dataclass(frozen=True, slots=True)
class InvoiceToDeposit:
    """An invoice whose funder takes it on its portal: its package is ready for an operator."""

    number: str
    funder: str
    path: str  # the package's folder, relative to the output folder


@dataclass(frozen=True, slots=True)
class InvoiceReminderSent:
    number: str
    days_after_due: int
    payer: str


# --- payments ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PaymentDecided:
    """A funder's credit and what the matcher did with it (applied, or left to an operator)."""

    line_id: int
    allocations: tuple[tuple[str, Decimal], ...]  # (invoice number, amount) of the best proposal
    score: int
    reason: str  # French


@dataclass(frozen=True, slots=True)
class PaymentApplied(PaymentDecided):
    pass


@dataclass(frozen=True, slots=True)
class PaymentToReview(PaymentDecided):
    pass


@dataclass(frozen=True, slots=True)
class PaymentReversed:
    """A debit reversing (or returning) an earlier credit: what it had paid is un-applied and its
    invoices reopened; always a review item, for an operator to chase the funder."""

    line_id: int  # the reversal's line
    original_line_id: int | None  # the credit it reverses, None when it could not be told
    reopened: tuple[tuple[str, Decimal], ...]  # (invoice number, amount no longer paid)
    reason: str  # French


ImportStatus = Literal["imported", "already_imported", "rejected"]


@dataclass(frozen=True, slots=True)
class StatementImported:
    """One bank statement file: imported, already imported (nothing new), or rejected whole."""

    name: str
    status: ImportStatus
    lines: int = 0
    new_lines: int = 0
    duplicates_flagged: int = 0
    errors: tuple[str, ...] = ()
    balance_gaps: tuple[BalanceGap, ...] = ()  # camt: imported, flagged for review
    account: str = ""  # the account its lines were stored on ("" when neither file nor import said)
    held: bool = False  # an account that is not the marketplace's: held for review, not matched


# --- payouts -------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PayoutScheduled:
    payout_id: str
    session_ref: str
    trainer_ref: str
    amount: Decimal
    trainer_invoice: str | None
    execution_date: date


@dataclass(frozen=True, slots=True)
class PayoutWaiting:
    session_ref: str
    reasons: str  # French
    awaits_trainer_invoice: bool = False


@dataclass(frozen=True, slots=True)
class PayoutToReview:
    session_ref: str  # several, comma-separated, for a bank debit that matches none exactly
    reasons: str  # French


@dataclass(frozen=True, slots=True)
class PayoutWarning:
    session_ref: str
    warning: str  # French


@dataclass(frozen=True, slots=True)
class TrainerInvoiceNearPaymentCap:
    """A trainer's invoice unpaid 45 days or more after its receipt (the cap is 60 days)."""

    session_ref: str
    trainer_ref: str
    number: str
    received_on: date
    days_left: int  # negative once the cap is passed


@dataclass(frozen=True, slots=True)
class SepaFileExported:
    batch_id: str
    execution_date: date
    transfers: int
    total: Decimal
    path: str  # relative to the output folder


@dataclass(frozen=True, slots=True)
class TransferExecuted:
    payout_id: str
    session_ref: str
    amount: Decimal
    executed_on: date


@dataclass(frozen=True, slots=True)
class TransferReturned:
    payout_id: str
    session_ref: str
    amount: Decimal
    reason: str  # French


# --- receivables ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ReceivablesAged:
    """What the funders owe as of the business date (backoffice/receivables.py): one balance
    per funder by age, and the overdue invoices to chase first."""

    as_of: date
    balances: tuple[AgedBalance, ...]
    to_chase: tuple[Receivable, ...]

    @property
    def open(self) -> Decimal:
        return sum((balance.open for balance in self.balances), ZERO)

    @property
    def overdue(self) -> Decimal:
        return sum((balance.overdue for balance in self.balances), ZERO)
