"""Comparing people's names and training titles as humans write them on forms."""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

NAME_THRESHOLD = 0.9
TITLE_THRESHOLD = 0.6


def normalize(text: str) -> str:
    """Lower case, no accents, hyphens and apostrophes as spaces, single spaces."""
    decomposed = unicodedata.normalize("NFKD", re.sub(r"['’ʼ`]", "", text))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


def _tokens(text: str) -> str:
    return " ".join(sorted(normalize(text).split()))


def similarity(a: str, b: str) -> float:
    """0..1, insensitive to accents, case, punctuation and word order."""
    left, right = _tokens(a), _tokens(b)
    if not left or not right:
        return 0.0
    return SequenceMatcher(None, left, right).ratio()


def _rotations(text: str) -> list[str]:
    words = normalize(text).split()
    return ["".join(words[i:] + words[:i]) for i in range(len(words))] or [""]


def same_person(a: str, b: str) -> bool:
    """"Éloïse N'Diaye" is "NDIAYE Eloise"; "Jean-François Le Gall" is "LEGALL Jean Francois".

    Written in either order (first name first or last name first), with accents, case,
    hyphens, apostrophes and spaces ignored, and one or two typos tolerated.
    """
    target = "".join(normalize(a).split())
    if not target:
        return False
    best = max(SequenceMatcher(None, target, candidate).ratio() for candidate in _rotations(b))
    return best >= NAME_THRESHOLD


def unmatched_names(expected: list[str], written: list[str]) -> tuple[list[str], list[str]]:
    """Pair names one to one, best first; returns (expected not found, written not matched)."""
    remaining = list(written)
    missing = []
    for name in expected:
        best = max(remaining, key=lambda other: similarity(name, other), default=None)
        if best is not None and same_person(name, best):
            remaining.remove(best)
        else:
            missing.append(name)
    return missing, remaining


def titles_close(a: str, b: str) -> bool:
    """A training title written by an OPCO case handler is close enough to the programme's."""
    left, right = normalize(a), normalize(b)
    if not left or not right:
        return False
    if left in right or right in left:
        return True
    return max(similarity(a, b), SequenceMatcher(None, left, right).ratio()) >= TITLE_THRESHOLD
