"""The open invoices of a run and what remains due on each: an automatic decision's allocations
are deducted (`Book.apply`) before the next credit is matched, so that no invoice ever receives
more than its residual over a run.

The book is indexed once for the run, so that a credit sees only what concerns it (its cost is
what its text, its payer and its amount point at, not the number of open invoices): our numbers
and a previous tool's, dossier and session references (`reference_index.Keys`), residuals in cents
globally and per payer, each payer's invoices oldest first and the subsets of its oldest
(`subsets.Pool`, kept until one of them is paid).
"""

from __future__ import annotations

import re
from bisect import bisect_left, insort
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from itertools import islice

from backoffice.matching.model import OpenInvoice
from backoffice.matching.reference_index import Keys
from backoffice.matching.subsets import Pool
from backoffice.money import CENT, ZERO

_OURS = re.compile(r"FA-(\d{4})-(\d{6})")


def to_cents(amount: Decimal) -> int:
    cents = amount / CENT
    if cents != cents.to_integral_value():
        raise ValueError(f"montant au-delà du centime : {amount}")
    return int(cents)


def allocate(invoices: Iterable[tuple[str, Decimal]], amount: Decimal) -> tuple[tuple[str, Decimal], ...]:
    """Oldest first (as given), each invoice up to its residual, until the credit is spent."""
    left = amount
    allocations = []
    for number, residual in invoices:
        applied = min(left, residual)
        if applied <= 0:
            break
        allocations.append((number, applied))
        left -= applied
    return tuple(allocations)


def _age(inv: OpenInvoice) -> tuple[date, str]:
    return inv.issue_date, inv.number


class Book:
    """The open invoices of a run, oldest first, with their residuals and their indexes."""

    def __init__(self, open_invoices: Iterable[OpenInvoice]) -> None:  # pragma: no mutate block
        self.invoices = sorted((inv for inv in open_invoices if inv.residual > 0), key=_age)
        self.error: ValueError | None = None
        self.ids: dict[str, int] = {}
        for i, inv in enumerate(self.invoices):
            if inv.number in self.ids and self.error is None:
                self.error = ValueError(f"facture en double dans les factures ouvertes : {inv.number}")
            self.ids.setdefault(inv.number, i)
        self.residual = [inv.residual for inv in self.invoices]
        self.cents = []
        for inv in self.invoices:
            try:
                self.cents.append(to_cents(inv.residual))
            except ValueError as error:
                self.cents.append(0)
                self.error = self.error or error
        self.dates = [inv.issue_date for inv in self.invoices]
        self.by_cents: dict[int, list[int]] = {}
        self.payer_cents: dict[tuple[str, int], list[int]] = {}
        self.payer_ids: dict[str, list[int]] = {}
        self.slot: list[int] = []  # position of each invoice in its payer's list
        self.ours: dict[str, int] = {}  # "2026000123" → our invoice FA-2026-000123
        self.counters: dict[str, dict[str, list[int]]] = {}  # payer → "000123" → its invoices
        self.fulls: dict[str, dict[str, int]] = {}  # payer → "2026000123" → its invoice
        # dossier and session references → (invoice, 0/1, kind, reference)
        self.refs: Keys[tuple[int, int, str, str]] = Keys()
        self.legacy: Keys[int] = Keys()  # other numbers (a previous tool's) → invoices
        alphabet = set("0123456789")
        for i, inv in enumerate(self.invoices):
            self.by_cents.setdefault(self.cents[i], []).append(i)
            self.payer_cents.setdefault((inv.funder_ref, self.cents[i]), []).append(i)
            ids = self.payer_ids.setdefault(inv.funder_ref, [])
            self.slot.append(len(ids))
            ids.append(i)
            if ours := _OURS.fullmatch(inv.number):
                self.ours.setdefault(ours[1] + ours[2], i)
                self.counters.setdefault(inv.funder_ref, {}).setdefault(ours[2], []).append(i)
                self.fulls.setdefault(inv.funder_ref, {}).setdefault(ours[1] + ours[2], i)
                alphabet.update(ours[1] + ours[2])
            elif any(map(str.isdigit, inv.number)):
                self.legacy.add(inv.number, i)
            for order, (kind, value) in enumerate((("dossier", inv.dossier_number),
                                                   ("session", inv.session_ref))):
                if value:
                    self.refs.add(value, (i, order, kind, value))
        self.alphabet = "".join(sorted(alphabet))
        # each payer's next open invoice from a position (closed ones are skipped, path halving)
        self.next_open = {ref: list(range(len(ids) + 1)) for ref, ids in self.payer_ids.items()}
        # payer → its oldest open invoices and what is known of their subsets: they change only when
        # one of them is paid (`payer_subsets`)
        self.pools: dict[str, Pool] = {}
        self.open_count = {ref: len(ids) for ref, ids in self.payer_ids.items()}

    def is_open(self, i: int) -> bool:
        return self.residual[i] > ZERO

    def oldest(self, payer: str) -> Iterator[int]:  # pragma: no mutate block
        """The payer's open invoices, oldest first."""
        ids, nxt = self.payer_ids.get(payer, ()), self.next_open.get(payer, [0])
        pos = 0
        while True:
            while nxt[pos] != pos:
                nxt[pos] = nxt[nxt[pos]]
                pos = nxt[pos]
            if pos >= len(ids):
                return
            yield ids[pos]
            pos += 1

    def payer_subsets(self, payer: str, size: int, target: int
                      ) -> tuple[list[int], list[tuple[int, ...]], bool]:  # pragma: no mutate block
        """(the payer's pool: its oldest `size` open invoices; the `exact_subsets` of 2+ of them
        adding up to `target`; whether the search was complete), the answers kept by amount."""
        pool = self.pools.get(payer)
        if pool is None or pool.size != size:
            ids = list(islice(self.oldest(payer), max(0, size)))
            pool = self.pools[payer] = Pool(size, ids, [self.cents[i] for i in ids])
        found = pool.asked.get(target)
        if found is None:
            found = pool.asked[target] = pool.subsets(target)
        return pool.ids, *found

    def only_combination(self, payer: str, target: int, issued_by: date, budget: int
                         ) -> tuple[int, ...] | None:
        """The one set of the payer's open invoices issued by `issued_by` whose residuals add up to
        `target` (oldest first), when there is exactly one, of any size; None when there is none,
        several, or the search would cost more than `budget` (invoices x cents).

        Which sums the invoices reach, as the bits of an integer, invoice after invoice (subset
        sums by bit shifts); then back from the last invoice, each one is in the set or not: when
        both are possible at some step, two sets reach the amount."""
        most, ids = budget // (target + 1), []
        for i in self.oldest(payer):  # oldest first: those issued by the payment come first
            if self.dates[i] > issued_by:
                break
            if self.cents[i] <= target:
                ids.append(i)
                if len(ids) > most:
                    return None
        if not ids:
            return None
        mask = (1 << (target + 1)) - 1
        reach, before = 1, []  # before[k]: the sums reached by the invoices before ids[k]
        for i in ids:
            before.append(reach)
            reach |= (reach << self.cents[i]) & mask
        if not reach >> target & 1:
            return None
        chosen, left = [], target
        for k in range(len(ids) - 1, -1, -1):
            cents = self.cents[ids[k]]
            without = before[k] >> left & 1
            with_it = cents <= left and before[k] >> (left - cents) & 1
            if without and with_it:
                return None  # two sets at least
            if with_it:
                chosen.append(ids[k])
                left -= cents
        return tuple(reversed(chosen))

    def apply(self, number: str, amount: Decimal) -> None:
        i = self.ids[number]
        if amount > self.residual[i]:  # pragma: no cover - guaranteed by the allocation (scoring)
            raise AssertionError(f"allocation au-delà du reste dû de {number}")
        payer, old = self.invoices[i].funder_ref, self.cents[i]
        pool = self.pools.get(payer)
        if pool is not None and i in pool.members:
            del self.pools[payer]
        self.residual[i] -= amount
        self.cents[i] = new = to_cents(self.residual[i]) if self.residual[i] > 0 else 0
        for bucket in (self.by_cents[old], self.payer_cents[(payer, old)]):
            del bucket[bisect_left(bucket, i)]
        if self.residual[i] > 0:
            insort(self.by_cents.setdefault(new, []), i)
            insort(self.payer_cents.setdefault((payer, new), []), i)
        else:
            self.open_count[payer] -= 1
            self.next_open[payer][self.slot[i]] = self.slot[i] + 1
