"""What matching reads (open invoices, credits, the payers we know) and what it decides."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class OpenInvoice:
    """An invoice with something still due."""

    number: str  # "FA-2026-000123"
    funder_kind: str  # "opco" | "company"
    funder_ref: str  # OPCO code ("ATLAS") or the client's ref
    funder_name: str
    session_ref: str  # "S-2026-0012"
    dossier_number: str | None  # the OPCO's dossier / PEC number, if any
    residual: Decimal  # what is still due (> 0)
    issue_date: date


@dataclass(frozen=True, slots=True)
class Credit:
    """A bank line crediting our account."""

    line_id: str
    booking_date: date
    amount: Decimal  # > 0
    label: str
    counterparty: str
    counterparty_iban: str
    reference: str


@dataclass(frozen=True, slots=True)
class PayerDirectory:
    """What we know of the payers: learned IBANs, each funder's names and aliases, and the names
    learned from the operators' decisions (the counterparty of a line they confirmed)."""

    ibans: Mapping[str, str] = field(default_factory=dict)  # IBAN (any spacing/case) → funder_ref
    names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # funder_ref → names, aliases
    # a counterparty's name as a confirmed line gave it → the funders it was confirmed for
    learned_names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Hypothesis:
    allocations: tuple[tuple[str, Decimal], ...]  # (invoice number, amount applied), oldest first
    unapplied: Decimal  # credit amount − sum(allocations)
    score: int  # 0..100
    evidence: tuple[str, ...]  # French
    payer: str | None  # funder_ref if identified


@dataclass(frozen=True, slots=True)
class MatchDecision:
    line_id: str
    auto: bool  # apply without a human
    best: Hypothesis | None
    proposals: tuple[Hypothesis, ...]  # best first: the top 3 for a review, the top 2 when auto
    reason: str  # French
