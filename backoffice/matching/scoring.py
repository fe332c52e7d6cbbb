"""The points of a hypothesis: a set of invoices, allocated to a credit, scored by named rules.

A set is allocated oldest first, each invoice up to its residual, until the credit is spent
(`Allocated`): the rest of the credit stays `unapplied` (an over-payment); a credit smaller than
the set's residuals is a partial payment. Each rule of `RULES` is one row of the points table, a
function `rule(allocated, context) -> points` that adds its French evidence to the set's; `score`
adds the points up in that order, clamps the sum to 0..100, then caps a set holding an invoice
issued after the payment at `LATE_CAP`.

What the rules give, for instance: exact number + exact amount + payer consistent = 100; exact
amount + the payer's only open invoice of that amount = 90 with the IBAN (85 with the name: a
human confirms); exact number + exact amount, payer unknown = 90; amount only, payer unknown
<= 35; a typo'd number, known payer, exact amount = 70; partial payment of a cited invoice by its
known payer = 95 (IBAN) or 90 (name); the same cited by its dossier, the payer's only invoice
cited = 95 (IBAN) or 90 (name); a grouped payment, the only set of the payer's open invoices at
that amount = 90 (IBAN) or 85 (name); an over-payment of a cited invoice by its payer = 95 (IBAN) or
90 (exact name). tests/core/test_rules_matching_scores.py holds each row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from backoffice.matching.book import Book
from backoffice.matching.model import Credit, Hypothesis, OpenInvoice
from backoffice.matching.payers import (
    BY_APPROACHING_NAME,
    BY_IBAN,
    BY_LEARNED_NAME,
    BY_NAME,
    IN_LABEL,
    Payer,
)
from backoffice.money import ZERO, format_eur

if TYPE_CHECKING:
    from backoffice.matching.references import References

# What citing an invoice is worth (references.py reads the citations; a set counts its weakest)
EXACT_NUMBER = 45  # our number in its exact form, or a previous tool's number with letters
PAYERS_DIGITS = 40  # the digits alone of one of the identified payer's invoices (ours or a previous tool's)
SHORT_NUMBER = 30  # our number shortened ("FACT 123", "FA 2026-123"), one of the identified payer's invoices
DOSSIER = 25  # the dossier number or the session reference of the invoice
ONE_DIGIT_OFF = 15  # a number one digit off one of the identified payer's invoices
TEN_DIGITS = 10  # our number's 10 digits, payer unknown
STRONG = PAYERS_DIGITS  # cited by number: a partial or an over-payment of it is likely

# What identifying the payer is worth, by how it was identified (payers.py): a name an operator
# confirmed for that funder alone is worth its IBAN
PAYER_POINTS = {BY_IBAN: 30, BY_LEARNED_NAME: 30, BY_NAME: 25, BY_APPROACHING_NAME: 20, IN_LABEL: 20}

LATE_CAP = 40  # a payment cannot settle an invoice issued after it: at most a weak proposal


@dataclass(slots=True)
class Context:
    """What every hypothesis of one credit is scored against."""

    credit: Credit
    payer: Payer
    refs: References
    book: Book
    target: int  # the amount in cents
    payer_combos: frozenset[frozenset[str]]  # exact sets of 2+ among the payer's oldest invoices
    payer_exact_count: int  # the payer's invoices of this amount, and those sets
    payer_complete: bool  # whether the payer's sets were all searched
    ref_exact: tuple[frozenset[str], ...]  # exact sets among the referenced invoices
    global_exact: int  # how many open invoices have the amount as residual
    named_items: list[tuple[str, set[str]]]  # refs.named, sorted
    # the payer's only set of open invoices issued by the payment at this amount, all searched
    # (`Book.only_combination`), when its oldest alone were not all: else empty
    payer_only: frozenset[str] = frozenset()

    def in_payer_exact(self, numbers: frozenset[str]) -> bool:
        if len(numbers) > 1:
            return numbers in self.payer_combos
        i = self.book.ids[next(iter(numbers))]
        return (self.payer.ref is not None and self.book.invoices[i].funder_ref == self.payer.ref
                and self.book.cents[i] == self.target)


class Allocated:
    """A set of invoices allocated to the credit: oldest first, each invoice up to its residual,
    until the credit is spent (as `book.allocate`); what the rules read of it, and the evidence
    they give."""

    __slots__ = ("allocated", "allocations", "applied", "cited_elsewhere", "contradicted", "dates",
                 "evidence", "exact", "invoices", "numbers", "others", "residuals", "strengths", "weakest")

    def __init__(self, ctx: Context, numbers: frozenset[str]) -> None:
        credit, payer, refs, book = ctx.credit, ctx.payer, ctx.refs, ctx.book
        invoices, strengths, others = [], [], []
        allocations, applied_numbers, dates = [], [], []
        left, allocated, residuals, spent = credit.amount, ZERO, ZERO, False
        for i in sorted(map(book.ids.__getitem__, numbers)):
            inv = book.invoices[i]
            invoices.append(inv)
            strengths.append(refs.strength.get(inv.number, 0))
            if inv.funder_ref != payer.ref:
                others.append(inv.number)
            residual = book.residual[i]
            residuals += residual
            if not spent:
                applied = min(left, residual)
                if applied <= ZERO:
                    spent = True
                    continue
                allocations.append((inv.number, applied))
                applied_numbers.append(inv.number)
                dates.append(book.dates[i])
                left -= applied
                allocated += applied
        self.numbers = numbers
        self.invoices: list[OpenInvoice] = invoices  # oldest first
        self.strengths: list[int] = strengths  # how each one is cited (0: not cited)
        self.weakest = min(strengths)
        self.others: list[str] = others  # those of another funder than the identified payer
        self.allocations: list[tuple[str, Decimal]] = allocations  # until the credit is spent
        self.applied: list[str] = applied_numbers  # the invoices paid
        self.dates: list[date] = dates  # and their issue dates
        self.allocated = allocated  # the money applied
        self.residuals = residuals  # what the set's invoices had still due
        self.exact = residuals == credit.amount  # the credit pays them exactly
        self.cited_elsewhere: list[str] = []  # numbers the text cites that name none of the set's invoices
        self.contradicted: list[str] = []  # … not even one digit off
        if ctx.named_items:  # the text cites invoice numbers
            self.cited_elsewhere = [token for token, named in ctx.named_items if not named & numbers]
            self.contradicted = [token for token in self.cited_elsewhere if not refs.near[token] & numbers]
        self.evidence: list[str] = []  # French, in the order of the rules


Rule = Callable[[Allocated, Context], int]  # one row of the table: its points, its evidence added


def cited(s: Allocated, ctx: Context) -> int:
    """Every invoice of the set cited by the text: the weakest citation's points (EXACT_NUMBER 45 …
    TEN_DIGITS 10). Only some of them, one at least by its dossier or better: +15."""
    if s.weakest:
        s.evidence += sorted({ctx.refs.evidence[inv.number] for inv in s.invoices})
        return s.weakest
    if max(s.strengths) >= DOSSIER:
        s.evidence.append("une partie seulement des factures est citée")
        s.evidence += sorted({ctx.refs.evidence[inv.number] for inv in s.invoices
                              if inv.number in ctx.refs.evidence})
        return 15
    return 0


def paid_by_its_funder(s: Allocated, ctx: Context) -> int:
    """The payer identified and the funder of every invoice of the set: PAYER_POINTS (+30 by its
    IBAN or a name an operator confirmed for it, +25 by its exact name, +20 by an approaching name
    or in the label); identified, but an invoice of the set is another funder's: -30."""
    payer = ctx.payer
    if payer.how is None:  # not identified (its `ref` is None too)
        s.evidence.append(payer.evidence)
        return 0
    if s.others:
        s.evidence.append(f"payeur identifié ({payer.ref}) différent du débiteur de {', '.join(s.others)}")
        return -30
    s.evidence.append(payer.evidence)
    return PAYER_POINTS[payer.how]


def amount_fits(s: Allocated, ctx: Context) -> int:
    """The exact amount (the residual, or the residuals of the set): +25. Else a partial payment of
    one invoice cited by number (STRONG): +20; an over-payment of invoices all cited by number,
    the rest staying unapplied: +15."""
    if s.exact:
        s.evidence.append("montant exact" if len(s.invoices) == 1
                          else f"montant exact pour {len(s.invoices)} factures")
        return 25
    strong = s.weakest >= STRONG
    if ctx.credit.amount < s.residuals:
        s.evidence.append(f"paiement partiel (reste dû {format_eur(s.residuals - s.allocated)})")
        return 20 if len(s.invoices) == 1 and strong else 0
    s.evidence.append(f"trop-perçu de {format_eur(ctx.credit.amount - s.allocated)} "
                      "conservé en crédit non affecté")
    return 15 if strong else 0


def no_other_number_cited(s: Allocated, ctx: Context) -> int:
    """The text cites an invoice number that is none of the set's, not even one digit off: -20."""
    if s.contradicted:
        s.evidence.append(f"le texte cite un autre numéro de facture ({', '.join(s.contradicted)})")
        return -20
    return 0


def only_one_of_this_amount(s: Allocated, ctx: Context) -> int:
    """The exact amount, and the text cites no number outside the set (one digit off included: a
    typo to confirm): the payer's only open invoice (or set) of this amount +35; else the only cited
    invoice (or set) of this amount +20; else, payer unknown, the only open invoice of this amount
    +10. A set of the payer's oldest invoices, when it has more than the search takes, is not known
    to be its only one: no +35, and said; unless all its open invoices issued by the payment were
    searched and this set is their only one at this amount (`Context.payer_only`): +35."""
    if not s.exact:
        return 0
    single = len(s.numbers) == 1
    points = 0
    if not s.cited_elsewhere:
        if (ctx.payer.ref is not None and ctx.payer_exact_count == 1 and ctx.in_payer_exact(s.numbers)
                and (single or ctx.payer_complete)):
            points = 35
            s.evidence.append("seule facture du payeur à ce montant" if single
                              else "seule combinaison de factures du payeur à ce montant")
        elif s.numbers == ctx.payer_only:
            points = 35
            s.evidence.append("seule combinaison des factures ouvertes du payeur à ce montant "
                              "(toutes cherchées)")
        elif s.numbers in ctx.ref_exact and len(ctx.ref_exact) == 1:
            points = 20
            s.evidence.append("seule facture citée à ce montant" if single
                              else "seule combinaison des factures citées à ce montant")
        elif ctx.payer.ref is None and single and ctx.global_exact == 1:
            points = 10
            s.evidence.append("seule facture ouverte de ce montant")
    if (not single and not ctx.payer_complete and s.numbers in ctx.payer_combos
            and s.numbers != ctx.payer_only):
        s.evidence.append("recherche de combinaisons limitée aux plus anciennes factures du payeur")
    return points


def partial_of_its_cited_dossier(s: Allocated, ctx: Context) -> int:
    """A partial payment of one invoice cited by its dossier or session only (not by number), by its
    identified funder, the only one of the payer's open invoices the text cites, and no invoice
    number cited elsewhere: +40 (with the IBAN 95, the exact name 90: applied, the rest left due).
    The dossier names the OPCO's share and the company's; the payer tells them apart."""
    if (s.exact or len(s.invoices) != 1 or s.weakest != DOSSIER or ctx.payer.how is None
            or s.others or s.cited_elsewhere or ctx.credit.amount >= s.residuals):
        return 0
    book, payer = ctx.book, ctx.payer.ref
    if any(book.invoices[book.ids[number]].funder_ref == payer for number in ctx.refs.strength
           if number not in s.numbers):
        return 0
    s.evidence.append("paiement partiel de la seule facture du payeur citée par son dossier")
    return 40


def over_payment_of_its_cited_invoice(s: Allocated, ctx: Context) -> int:
    """An over-payment of one invoice cited by number (STRONG), by its funder identified by its IBAN,
    a name an operator confirmed or its exact name, no other invoice number cited (one digit off
    included), the excess less than the invoice's residual: +5 (exact number: 95 with the IBAN, 90
    with the exact name: applied, the excess kept unapplied on the line and told in the decision's
    reason). An approaching name, a payer found in the label only, or an excess as large as the
    invoice (another payment within it, likely) stay in review."""
    if (s.exact or len(s.invoices) != 1 or s.weakest < STRONG
            or ctx.payer.how not in (BY_IBAN, BY_LEARNED_NAME, BY_NAME) or s.others or s.cited_elsewhere
            or ctx.credit.amount <= s.residuals
            or ctx.credit.amount - s.allocated >= s.residuals):
        return 0
    s.evidence.append("trop-perçu sur la facture citée par son payeur identifié")
    return 5


RULES: tuple[Rule, ...] = (
    cited, paid_by_its_funder, amount_fits, no_other_number_cited, only_one_of_this_amount,
    partial_of_its_cited_dossier, over_payment_of_its_cited_invoice,
)


# A hypothesis scored: (rank, allocations). The rank orders best first: by score, then more of the
# credit applied, fewer invoices, older invoices, their numbers, the evidence; it holds the rest of
# the hypothesis, made only for the few kept (`hypothesis`).
Rank = tuple[int, Decimal, int, tuple[date, ...], tuple[str, ...], tuple[str, ...]]
Allocations = tuple[tuple[str, Decimal], ...]  # (invoice number, amount applied), oldest first
Ranked = tuple[Rank, Allocations]


def score(ctx: Context, numbers: frozenset[str]) -> Ranked:
    """A set of invoices as a hypothesis: its allocations, its points by `RULES` and their
    evidence, capped if late; and its rank."""
    s = Allocated(ctx, numbers)
    points = 0
    for rule in RULES:
        points += rule(s, ctx)
    total = max(0, min(100, points))
    credit, evidence = ctx.credit, s.evidence
    if s.invoices[-1].issue_date > credit.booking_date:  # oldest first: the last one is the latest
        total = min(total, LATE_CAP)
        late = [inv.number for inv in s.invoices if inv.issue_date > credit.booking_date]
        evidence.append(f"facture émise après le paiement ({', '.join(late)})")
    return ((-total, credit.amount - s.allocated, len(s.allocations), tuple(s.dates), tuple(s.applied),
             tuple(evidence)), tuple(s.allocations))


def hypothesis(ctx: Context, ranked: Ranked) -> Hypothesis:
    (minus_score, unapplied, _, _, _, evidence), allocations = ranked
    return Hypothesis(allocations=allocations, unapplied=unapplied, score=-minus_score, evidence=evidence,
                      payer=ctx.payer.ref)
