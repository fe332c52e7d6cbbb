"""Bank text as matching reads it: upper case, accents folded (`backoffice.names`)."""

from __future__ import annotations

from backoffice.names import fold, fold_label


def words(text: str) -> str:
    """Upper case, no accents, punctuation as single spaces, padded with spaces for word search."""
    return f" {fold(text).upper()} "


def label_text(value: str) -> str:  # pragma: no mutate block
    """A label or a reference as compared: `fold_label` upper-cased, its punctuation kept.

    Plain ASCII (most bank text) has nothing to fold: its words upper-cased, the same text."""
    return " ".join(value.split()).upper() if value.isascii() else fold_label(value).upper()
