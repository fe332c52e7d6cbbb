"""The sets of invoices a credit may pay, each remembered with why it came up:

- each invoice the text cites, alone; the invoices it names by number, together;
- every set of the cited invoices (dossier or better), and of the identified payer's oldest
  `max_subset` open invoices, whose residuals add up to the amount to the cent (`subsets`);
- each open invoice of that exact amount: all those the text points at in any way, and of the
  others, the few that can reach the proposals (`ranking.interchangeable`);
- for an identified payer with more open invoices than the search of its oldest takes, and a text
  citing nothing: the one set of its open invoices issued by the payment whose residuals add up to
  the amount, when there is exactly one (`Book.only_combination`, within `PROOF_BUDGET`);
- for an identified payer with nothing better, its oldest invoices in turn, as far as the credit goes.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from backoffice.matching.book import Book, allocate
from backoffice.matching.model import Credit
from backoffice.matching.payers import Payer
from backoffice.matching.ranking import interchangeable
from backoffice.matching.references import References
from backoffice.matching.scoring import DOSSIER, STRONG, Context
from backoffice.matching.subsets import exact_subsets

# what proving a payer's only combination may cost: its invoices x the amount in cents (bits shifted);
# a payer with more invoices, or a larger amount, is not searched (its payment stays in review)
PROOF_BUDGET = 40_000_000


def gather(credit: Credit, target: int, book: Book, payer: Payer, refs: References, max_subset: int
           ) -> tuple[Context, set[frozenset[str]], list[list[int]]]:
    """(what the credit's hypotheses are scored against, the candidate sets, the groups of
    interchangeable invoices of the amount)."""
    invoices, ids, cents = book.invoices, book.ids, book.cents

    ref_exact: list[frozenset[str]] = []
    if refs.strength:
        referenced = sorted(ids[n] for n, s in refs.strength.items() if s >= DOSSIER)[:max_subset]
        ref_exact = [frozenset(invoices[referenced[k]].number for k in combo)
                     for combo in exact_subsets([cents[i] for i in referenced], target)[0]]
    combos: list[frozenset[str]] = []
    payer_complete = True
    payer_bucket: Sequence[int] = ()
    if payer.ref is not None:
        payer_pool, found, payer_complete = book.payer_subsets(payer.ref, max_subset, target)
        payer_complete = payer_complete and book.open_count.get(payer.ref, 0) <= max_subset
        if found:
            combos = [frozenset(invoices[payer_pool[k]].number for k in combo) for combo in found]
        payer_bucket = book.payer_cents.get((payer.ref, target), ())
    global_bucket = book.by_cents.get(target, ())

    candidates: set[frozenset[str]] = set(combos)
    if refs.strength:
        candidates.update(frozenset({number}) for number in refs.strength)
        named = sorted(ids[n] for n, s in refs.strength.items() if s >= STRONG)
        if len(named) > 1:
            candidates.add(frozenset(invoices[i].number for i in named))
        candidates.update(ref_exact)
    # the invoices of the amount: those the text points at in any way, each; of the others, only
    # the few that can rank among the proposals
    pointed = set(refs.strength).union(*refs.named.values(), *refs.near.values())
    if pointed:
        candidates.update(frozenset({n}) for n in pointed if cents[ids[n]] == target and book.is_open(ids[n]))
    late_from = bisect_right(book.dates, credit.booking_date)
    groups = interchangeable(payer_bucket, late_from, pointed, invoices)
    if len(global_bucket) > len(payer_bucket):  # else they are the same invoices
        groups += interchangeable(global_bucket, late_from, pointed, invoices, payer_bucket)
    nothing = not candidates and not groups
    only: frozenset[str] = frozenset()
    if (payer.ref is not None and not payer_complete and not payer_bucket and not refs.strength
            and not pointed):
        proven = book.only_combination(payer.ref, target, credit.booking_date, PROOF_BUDGET)
        if proven is not None and len(proven) > 1:
            only = frozenset(invoices[i].number for i in proven)
            candidates.add(only)
    if nothing and payer.ref is not None:
        oldest = ((invoices[i].number, book.residual[i]) for i in book.oldest(payer.ref))
        spread = allocate(oldest, credit.amount)
        if spread:
            candidates.add(frozenset(number for number, _ in spread))

    ctx = Context(credit, payer, refs, book, target, frozenset(combos), len(payer_bucket) + len(combos),
                  payer_complete, tuple(ref_exact), len(global_bucket), sorted(refs.named.items()), only)
    return ctx, candidates, groups
