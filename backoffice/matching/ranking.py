"""The hypotheses of a credit, best first, each scored only when it may be asked for.

Best first is by score, then more of the credit applied, fewer invoices, older invoices, their
numbers, the evidence (`scoring.Ranked`). Of two sets that allocate alike (a partial payment), the
better one only. The unreferenced invoices of the credit's amount are many and score alike within
a group (the payer's, the other funders'; issued by the payment or after it), ranking by age: only
the oldest of each group that can reach the three proposals are kept (`interchangeable`), and the
next of a group is scored only once the previous one is taken. A certain decision needs the best
two only, a review three.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable, Iterator, Sequence
from operator import itemgetter

from backoffice.matching.model import Hypothesis, OpenInvoice
from backoffice.matching.scoring import Allocations, Context, Rank, hypothesis, score

KEPT = 3  # of the interchangeable single invoices of an amount, those that can be proposed

# A hypothesis waiting to be yielded: its rank and allocations (`scoring.Ranked`), and for a group of
# interchangeable invoices, the group and the position of the next one to score (else None, 0).
Pending = tuple[Rank, Allocations, list[int] | None, int]


def ranked(ctx: Context, candidates: Iterable[frozenset[str]], groups: list[list[int]]
           ) -> Iterator[Hypothesis]:
    """The hypotheses, best first, that allocate differently: among the candidates, and the
    interchangeable invoices of each group."""
    pending: list[Pending] = [(*score(ctx, numbers), None, 0) for numbers in candidates]
    pending += [(*score(ctx, frozenset({ctx.book.invoices[group[0]].number})), group, 1) for group in groups]
    pending.sort(key=itemgetter(0))
    seen: set[Allocations] = set()
    while pending:
        rank, allocations, group, following = pending.pop(0)
        if allocations not in seen:
            seen.add(allocations)
            yield hypothesis(ctx, (rank, allocations))
        if group is not None and following < len(group):
            number = ctx.book.invoices[group[following]].number
            insort(pending, (*score(ctx, frozenset({number})), group, following + 1), key=itemgetter(0))


# pragma: no mutate start
# (the lazy ranking's pruning: performance machinery, docs/mutation.md)
def interchangeable(bucket: Sequence[int], late_from: int, pointed: set[str], invoices: list[OpenInvoice],
                    payers: Sequence[int] = ()) -> list[list[int]]:
    """Two groups: the oldest `KEPT` invoices of `bucket` issued by the payment, and the oldest
    `KEPT` issued after it, leaving out those the text points at, and `payers` (a part of `bucket`).
    Single invoices of the amount that the text does not point at score alike within such a group
    and rank by age: the others could never be among the proposals."""
    groups: list[list[int]] = []
    if not bucket:
        return groups
    cut = bisect_left(bucket, late_from)
    for lo, hi in ((0, cut), (cut, len(bucket))):
        kept: list[int] = []
        position = lo
        while position < hi and len(kept) < KEPT:
            i = bucket[position]
            mine = bisect_left(payers, i) if payers else 0
            if mine < len(payers) and payers[mine] == i:
                # skip the run of `payers` starting here at once: bucket and payers stay aligned
                # until the first invoice of another funder
                step, limit = 1, min(hi - position, len(payers) - mine)
                while step < limit:
                    middle = (step + limit) // 2
                    if bucket[position + middle] == payers[mine + middle]:
                        step = middle + 1
                    else:
                        limit = middle
                position += step
                continue
            if invoices[i].number not in pointed:
                kept.append(i)
            position += 1
        if kept:
            groups.append(kept)
    return groups
# pragma: no mutate end
