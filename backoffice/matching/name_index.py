"""Which payers' names are alike to a name (difflib's ratio at least `PAYER_NAME_THRESHOLD`), without
comparing it with the whole directory.

`CloseNames.close` answers what comparing the name with every indexed name would answer
(tests/core/test_matching_index.py checks it): a name is compared only with the names it shares
enough letter pairs with to reach the threshold (`pairs_shared`), of a length within reach
(`close_lengths`), that pass difflib's cheap upper bounds first.
"""

from __future__ import annotations

from collections.abc import Iterable
from difflib import SequenceMatcher
from functools import lru_cache
from itertools import chain

from backoffice.names import PAYER_NAME_THRESHOLD

_LANES = {c: lane for lane, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ")}
_OTHER_LANE = len(_LANES)
_GUARDS = sum(0x80 << (8 * lane) for lane in range(_OTHER_LANE + 1))
_UNITS = sum(1 << (8 * lane) for lane in range(_OTHER_LANE + 1))
_FULL = (1 << (8 * (_OTHER_LANE + 1))) - 1


def _char_counts(text: str) -> int | None:  # pragma: no mutate block
    """How many times each character occurs in `text`, one byte each (other characters share one):
    for `_common_chars`. None if a count would not fit in 7 bits."""
    counts = [0] * (_OTHER_LANE + 1)
    for c in text:
        counts[_LANES.get(c, _OTHER_LANE)] += 1
    if len(text) > 255 or max(counts) > 127:
        return None
    return int.from_bytes(bytes(counts), "little")


def _common_chars(a: int, b: int) -> int:  # pragma: no mutate block
    """The characters two texts have in common, counted (an upper bound of difflib's matches, as
    `quick_ratio`'s), computed on all the counts at once: per byte, the guard bit of a - b tells
    which is smaller; the product by 0x0101… adds the minima into the top byte."""
    a_not_less = ((((a | _GUARDS) - b) & _GUARDS) >> 7) * 0xFF
    smaller = (b & a_not_less) | (a & ~a_not_less & _FULL)
    return (smaller * _UNITS) >> (8 * _OTHER_LANE) & 0xFF


def close_lengths(size: int) -> range:  # pragma: no mutate block
    """The lengths of a text that difflib's ratio may find PAYER_NAME_THRESHOLD alike to one of `size`
    characters (it is at most 2 x the shorter length / the total)."""
    lengths = [n for n in range(1, 2 * size + 2)
               if 2.0 * min(size, n) / (size + n) >= PAYER_NAME_THRESHOLD]
    return range(lengths[0], lengths[-1] + 1) if lengths else range(0)


@lru_cache(maxsize=1024)
def pairs_shared(size: int) -> int:
    """How many letter pairs (`letter_pairs`) a text of `size` characters shares at least with any
    text that difflib's ratio finds PAYER_NAME_THRESHOLD alike.

    The ratio is 2M / T (M characters matched, T the two lengths). The M matched characters form
    K blocks, each shared whole by both texts: they share at least M - K letter pairs. Two blocks
    are separated by at least one unmatched character, so K - 1 <= T - 2M; hence at least 3M - T - 1
    pairs, for the least M that reaches the threshold, over every length the ratio allows."""
    needed = []
    for length in close_lengths(size):
        total = size + length
        matches = next(m for m in range(total + 1) if 2.0 * m / total >= PAYER_NAME_THRESHOLD)
        needed.append(3 * matches - total - 1)
    return min(needed, default=0)


def letter_pairs(text: str) -> list[tuple[str, int]]:  # pragma: no mutate block
    """Each pair of consecutive characters with its occurrence (1, 2…): two texts share as many pairs
    as these lists have items in common."""
    seen: dict[str, int] = {}
    pairs = []
    for i in range(len(text) - 1):
        pair = text[i:i + 2]
        seen[pair] = seen.get(pair, 0) + 1
        pairs.append((pair, seen[pair]))
    return pairs


class CloseNames:  # pragma: no mutate block
    """Names indexed by their letter pairs and lengths, numbered in the order they were added."""

    def __init__(self) -> None:
        self.matchers: list[SequenceMatcher[str]] = []  # each name as difflib's second sequence (cached)
        self.chars: list[int | None] = []  # each name's characters counted (`_char_counts`)
        self.lengths: list[int] = []
        self.by_length: dict[int, list[int]] = {}
        self.by_pair: dict[tuple[tuple[str, int], int], list[int]] = {}  # (pair, name length) → names

    def add(self, name: str) -> None:
        index = len(self.matchers)
        self.matchers.append(SequenceMatcher(None, "", name))
        self.chars.append(_char_counts(name))
        self.lengths.append(len(name))
        self.by_length.setdefault(len(name), []).append(index)
        for pair in letter_pairs(name):
            self.by_pair.setdefault((pair, len(name)), []).append(index)

    def ratio(self, index: int, name: str) -> float:
        """difflib's ratio of `name` to the indexed name `index`."""
        matcher = self.matchers[index]
        matcher.set_seq1(name)
        return matcher.ratio()

    def close(self, name: str) -> set[int]:
        """The indexed names difflib finds at least PAYER_NAME_THRESHOLD alike to `name`."""
        size = len(name)
        chars = _char_counts(name)
        close = set()
        for index in self._sharing_pairs(name):
            length, their_chars = self.lengths[index], self.chars[index]
            total = size + length
            if 2.0 * min(size, length) / total < PAYER_NAME_THRESHOLD:  # difflib's upper bounds first
                continue
            if (chars is not None and their_chars is not None
                    and 2.0 * _common_chars(chars, their_chars) / total < PAYER_NAME_THRESHOLD):
                continue
            if self.ratio(index, name) >= PAYER_NAME_THRESHOLD:
                close.add(index)
        return close

    def _sharing_pairs(self, name: str) -> Iterable[int]:
        """The names that may be PAYER_NAME_THRESHOLD alike to `name`: those sharing `pairs_shared` of
        its letter pairs must hold one of its rarest (all of them but that number, less one); for a
        short name, every name of a length within reach."""
        lengths = close_lengths(len(name))
        needed = pairs_shared(len(name))
        if needed <= 0:
            return [index for length in lengths for index in self.by_length.get(length, ())]
        pairs = letter_pairs(name)
        rarest = len(pairs) - needed + 1
        if rarest <= 0:  # fewer pairs than needed: no name can be alike
            return ()
        postings = sorted(([self.by_pair.get((pair, length), ()) for length in lengths] for pair in pairs),
                          key=lambda lists: sum(map(len, lists)))
        return set().union(*chain.from_iterable(postings[:rarest]))
