"""Which invoices add up to a payment: the subsets of their residuals (in cents) whose sum is the
amount, in the order `itertools.combinations` would try them (fewer invoices first), as far as
`MAX_COMBINATIONS` tries go.

`exact_subsets` meets in the middle instead of trying every combination, and `Pool` keeps what
was found for a payer's oldest invoices, by amount; tests/core/test_matching_index.py checks both
against trying every combination.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from math import comb

MAX_COMBINATIONS = 50_000

Sums = tuple[list[int], int, list[int], dict[int, int]]


# pragma: no mutate start
# (the subset search: performance machinery, docs/mutation.md)
def subset_sums(cents: Sequence[int]) -> Sums:
    """Meet in the middle: the sums of every subset of the first half of `cents` (the subset at
    position k holds the invoices whose bits are set in k), the same of the second half (k: the
    bits of k shifted past the first half) and where each of its sums is reached last: 2 x 64
    subsets for a dozen invoices, not 4,096."""
    half = len(cents) // 2
    left, right = [0], [0]
    for value in cents[:half]:
        left += [total + value for total in left]
    for value in cents[half:]:
        right += [total + value for total in right]
    return left, half, right, dict(zip(right, range(len(right)), strict=True))


def exact_subsets(cents: Sequence[int], target: int, *, min_size: int = 1, sums: Sums | None = None,
                  ) -> tuple[list[tuple[int, ...]], bool]:
    """The index sets of `cents` adding up to `target`, in the order `itertools.combinations` would
    try them (fewer first), as far as MAX_COMBINATIONS tries go; and whether they all went.
    `sums`: `subset_sums(cents)`, when already known."""
    n = len(cents)
    offsets, complete = tries(n, min_size)
    if n == 1:
        return ([(0,)] if cents[0] == target and min_size <= 1 else []), complete
    if n < min_size:
        return [], complete
    left, half, right, last = sums or subset_sums(cents)
    if last.keys().isdisjoint(map(target.__sub__, left)):
        return [], complete
    repeats = len(last) < len(right)  # some sums are reached by several subsets
    found = []
    for mask, total in enumerate(left):
        rest = target - total
        if rest not in last:
            continue
        for k in [k for k, value in enumerate(right) if value == rest] if repeats else (last[rest],):
            combo = _members(mask | k << half)
            if len(combo) >= min_size:
                found.append(combo)
    if len(found) > 1:
        found.sort(key=lambda combo: (len(combo), combo))
    if not complete:
        found = [combo for combo in found if offsets[len(combo)] + _lex_rank(combo, n) < MAX_COMBINATIONS]
    return found, complete


@lru_cache(maxsize=1 << 16)
def _members(mask: int) -> tuple[int, ...]:
    """The positions of the bits set in `mask`, lowest first."""
    return tuple(i for i in range(mask.bit_length()) if mask >> i & 1)


@lru_cache(maxsize=256)
def tries(n: int, min_size: int) -> tuple[dict[int, int], bool]:
    """Where each size starts in the order of the combinations tried, and whether all fit the budget."""
    offsets, tried = {}, 0
    for size in range(min_size, n + 1):
        offsets[size] = tried
        tried += comb(n, size)
    return offsets, tried <= MAX_COMBINATIONS


def _lex_rank(combo: tuple[int, ...], n: int) -> int:
    """The position of `combo` among the combinations of its size of range(n), in lexicographic order."""
    rank, previous, k = 0, -1, len(combo)
    for position, value in enumerate(combo):
        for skipped in range(previous + 1, value):
            rank += comb(n - 1 - skipped, k - 1 - position)
        previous = value
    return rank
# pragma: no mutate end


class Pool:  # pragma: no mutate block
    """A payer's oldest open invoices (up to `size`), for the payments that settle several of them:
    their cents, their subset sums (built when an amount first needs them) and the subsets found
    for each amount."""

    __slots__ = ("asked", "cents", "ids", "least", "members", "size", "sums")

    def __init__(self, size: int, ids: list[int], cents: list[int]) -> None:
        self.size, self.ids, self.cents, self.members = size, ids, cents, set(ids)
        self.asked: dict[int, tuple[list[tuple[int, ...]], bool]] = {}
        self.least = sum(sorted(cents)[:2]) if len(cents) >= 2 else None  # the least two add up to
        self.sums: Sums | None = None

    def subsets(self, target: int) -> tuple[list[tuple[int, ...]], bool]:
        """`exact_subsets` of 2+ of the invoices adding up to `target`."""
        if self.least is None or target < self.least:  # no two of them add up to so little
            return [], tries(len(self.cents), 2)[1]
        if self.sums is None:
            self.sums = subset_sums(self.cents)
        return exact_subsets(self.cents, target, min_size=2, sums=self.sums)
