"""Matching the credits of our bank account to open invoices (bank-and-sepa.md §2.4), as pure functions.

For one credit (`match_credit`):

1. *classify* the line first (`classification.classify`): only "funder_payment" lines are matched;
2. *identify the payer* (`payers`): its learned IBAN, else a name an operator confirmed for it,
   else its name, else the label;
3. *read what the text cites* (`references`): our invoice numbers, a previous tool's, dossiers and
   sessions;
4. *gather the candidate sets* of invoices (`candidates`), the subsets adding up to the amount
   among them (`subsets`);
5. *score* each set allocated to the credit (`scoring`: the points, rule by rule) and *rank* them
   (`ranking`);
6. *decide*: applied without a human only if the best scores at least `certain` (90) and leads the
   next by `margin` (25); otherwise to the review queue with up to three proposals and the reason.

`match_credits` runs a whole statement in a stable order (booking date, line id) whatever the
input order, and each automatic allocation lowers the residuals that later credits see (`book`),
so no invoice ever receives more than its residual over a run. Only automatic decisions are
applied; review decisions change nothing. A credit costs what its text, its payer and its amount
point at, not the number of open invoices or payers (docs/payments.md: how, and the figures).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice
from operator import attrgetter

from backoffice.matching.book import Book, to_cents
from backoffice.matching.candidates import gather
from backoffice.matching.classification import (
    BANK_FEE,
    FUNDER_PAYMENT,
    OTHER_CREDIT,
    OTHER_DEBIT,
    OWN_TRANSFER,
    classify,
)
from backoffice.matching.model import Credit, Hypothesis, MatchDecision, OpenInvoice, PayerDirectory
from backoffice.matching.payers import LEGAL_FORMS, Payers, identify_payer
from backoffice.matching.ranking import ranked
from backoffice.matching.references import find_references
from backoffice.matching.subsets import MAX_COMBINATIONS
from backoffice.money import format_eur

__all__ = [
    "BANK_FEE", "FUNDER_PAYMENT", "LEGAL_FORMS", "MAX_COMBINATIONS", "OTHER_CREDIT", "OTHER_DEBIT",
    "OWN_TRANSFER", "Credit", "Hypothesis", "MatchDecision", "OpenInvoice", "PayerDirectory", "classify",
    "identify_payer", "match_credit", "match_credits",
]


def match_credit(credit: Credit, open_invoices: Iterable[OpenInvoice], directory: PayerDirectory, *,
                 certain: int = 90, margin: int = 25, max_subset: int = 12) -> MatchDecision:
    """The decision for one credit against the open invoices (see the module's docstring)."""
    return _match(credit, Book(open_invoices), Payers(directory),
                  certain=certain, margin=margin, max_subset=max_subset)


_credit_order = attrgetter("booking_date", "line_id", "amount", "label", "reference", "counterparty",
                           "counterparty_iban")  # a statement's order, whatever the input order


def match_credits(credits: Iterable[Credit], open_invoices: Iterable[OpenInvoice],
                  directory: PayerDirectory, **options: int) -> list[MatchDecision]:
    """The decisions for a statement, by (booking date, line id), whatever the input order.

    Each automatic decision's allocations are deducted from the residuals before the next credit
    is matched, so an invoice never receives more than its residual over the run. The invoices and
    the directory are indexed once for the run (`Book`, `Payers`).
    """
    book, payers = Book(open_invoices), Payers(directory)
    decisions = []
    for credit in sorted(credits, key=_credit_order):
        decision = _match(credit, book, payers, **options)
        if decision.auto and decision.best is not None:
            for number, amount in decision.best.allocations:
                book.apply(number, amount)
        decisions.append(decision)
    return decisions


def _match(credit: Credit, book: Book, payers: Payers, *,
           certain: int = 90, margin: int = 25, max_subset: int = 12) -> MatchDecision:
    if credit.amount <= 0:
        return _review(credit.line_id, "ligne non créditrice : hors rapprochement des factures")
    target = to_cents(credit.amount)
    if book.error is not None:
        raise book.error
    payer = payers.identify(credit)
    refs = find_references(credit, book, payer.ref)
    ctx, candidates, groups = gather(credit, target, book, payer, refs, max_subset)
    ranking = ranked(ctx, candidates, groups)
    hypotheses = list(islice(ranking, 2))
    if not hypotheses:
        return _review(credit.line_id, "aucune facture candidate")
    best = hypotheses[0]
    second = hypotheses[1].score if len(hypotheses) > 1 else 0
    gap = best.score - second
    if best.score >= certain and gap >= margin:
        reason = f"hypothèse sûre (score {best.score}, écart {gap} avec la suivante)"
        if best.unapplied > 0:
            reason += f" ; trop-perçu de {format_eur(best.unapplied)} à traiter"
        return MatchDecision(credit.line_id, True, best, tuple(hypotheses), reason)
    hypotheses += islice(ranking, 1)
    if len(hypotheses) > 1 and gap < margin:
        reason = f"deux hypothèses proches (scores {best.score} et {second})"
    else:
        reason = f"score insuffisant ({best.score} < {certain})"
    return _review(credit.line_id, reason, hypotheses)


def _review(line_id: str, reason: str, hypotheses: Sequence[Hypothesis] = ()) -> MatchDecision:
    return MatchDecision(line_id=line_id, auto=False, best=hypotheses[0] if hypotheses else None,
                         proposals=tuple(hypotheses[:3]), reason=reason)
