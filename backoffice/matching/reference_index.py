"""Where a text cites known references (dossier numbers, session references, a previous tool's
invoice numbers), written with any separators or none between their letter and digit runs
("AT-2026-012345", "AT2026012345", "AT 2026/012345"), standing alone.

`Keys.find` looks the words of the text up, instead of trying each reference's pattern on it: a
text costs its words, whatever the number of references (tests/core/test_matching.py checks the
forms, tests/core/test_matching_index.py the blanking).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from itertools import accumulate
from typing import Generic, TypeVar

from backoffice.matching.text import label_text

RUNS = re.compile(r"[A-Z]+|\d+")  # a reference's runs of letters and of digits
TOKEN = re.compile(r"[A-Z0-9]+")  # a text's words, as `Keys.find` reads them
SEP = r"[\s\-_/.:]{0,2}"  # what may separate two runs of a reference in a text
_GAP = re.compile(r"[\s\-_/.:]{1,2}")


Payload = TypeVar("Payload")


class Keys(Generic[Payload]):  # pragma: no mutate block
    """References and what each one points at (its payloads), found in a text by their words."""

    def __init__(self) -> None:
        self.entries: dict[str, list[Payload]] = {}  # runs joined → payloads
        self.cuts: dict[str, frozenset[int]] = {}  # runs joined → where its runs meet
        self.prefixes: set[str] = set()  # every key cut after one of its runs
        self.odd: dict[str, str] = {}  # keys with non-ASCII digits → a reference (regex search)

    def add(self, reference: str, payload: Payload) -> bool:
        # plain ASCII (most references): only letters and digits count, whatever the spacing or case
        runs = RUNS.findall(reference.upper() if reference.isascii() else label_text(reference))
        key = "".join(runs)
        if len(key) < 5:
            return False
        if key not in self.entries:
            self.entries[key] = []
            if key.isascii():
                ends = list(accumulate(map(len, runs)))
                self.cuts[key] = frozenset(ends[:-1])
                self.prefixes.update([key[:end] for end in ends])
            else:
                self.odd[key] = reference
        self.entries[key].append(payload)
        return True

    def find(self, text: str, words: list[str]) -> dict[str, list[tuple[int, int]]]:
        """Each key cited in `text` (its words `words`, `TOKEN`'s) → the spans citing it, left to
        right."""
        found: dict[str, list[tuple[int, int]]] = {}
        if self.prefixes.isdisjoint(words) and not self.odd:  # most texts cite none
            return found
        prefixes, cuts = self.prefixes, self.cuts
        spans: list[tuple[int, int]] = []  # of the words, once one starts a key
        for i, word in enumerate(words):
            if word not in prefixes:
                continue
            spans = spans or [match.span() for match in TOKEN.finditer(text)]
            key, j = word, i
            joints: list[int] = []  # where the runs of `key` meet
            while True:
                if key in cuts and all(joint in cuts[key] for joint in joints):
                    found.setdefault(key, []).append((spans[i][0], spans[j][1]))
                if j + 1 == len(words) or not _GAP.fullmatch(text, spans[j][1], spans[j + 1][0]):
                    break
                joints.append(len(key))
                j += 1
                key += words[j]
                if key not in prefixes:
                    break
        for key, reference in self.odd.items():
            pattern = _ref_pattern(reference)
            if pattern is not None:
                spans = [match.span() for match in pattern.finditer(text)]
                if spans:
                    found[key] = spans
        return found


@lru_cache(maxsize=4096)
def _ref_pattern(reference: str) -> re.Pattern[str] | None:
    """A reference with any separators (or none) between its letter/digit runs."""
    runs = RUNS.findall(label_text(reference))
    if len("".join(runs)) < 5:
        return None
    return re.compile(r"(?<![A-Z0-9])" + SEP.join(runs) + r"(?![A-Z0-9])")


def blank(text: str, spans: Sequence[tuple[int, int]]) -> str:  # pragma: no mutate block
    """`text` with these spans, in this order, each unless it overlaps one already blanked, turned
    into spaces (as successive `re.sub`s of the references would)."""
    if len(spans) == 1:  # most texts cite one reference
        ((start, end),) = spans
        return f"{text[:start]}{' ' * (end - start)}{text[end:]}"
    chars = list(text)
    done: list[tuple[int, int]] = []
    for start, end in spans:
        if any(start < other_end and other_start < end for other_start, other_end in done):
            continue
        done.append((start, end))
        chars[start:end] = " " * (end - start)
    return "".join(chars)
