"""Personal data out of what operators read in the UI: IBANs and e-mail addresses, masked.

What the Prefect UI shows (run summaries, run logs) is read by more people than the database,
and kept longer. An IBAN keeps its country, its check digits and its last four characters
(enough to tell two accounts apart); an e-mail address keeps its first letter and its domain.
The reports written to disk for operators (`backoffice report`) are not masked.
"""

from __future__ import annotations

import re

# An IBAN as written in text: two capital letters, two check digits, then 11 to 30 letters or
# digits, either in one block or in groups of four separated by single spaces (the printed
# form). Checksums are not verified: a mistyped IBAN in an error message is masked all the same.
_IBAN_PRINTED = r"[A-Z]{2}\d{2}(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,3})?"
_IBAN_COMPACT = r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}"
_IBAN_IN_TEXT = re.compile(rf"(?<![A-Za-z0-9])(?:{_IBAN_PRINTED}|{_IBAN_COMPACT})(?![A-Za-z0-9])")
_EMAIL_IN_TEXT = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
    r"(?![A-Za-z0-9-])")


def mask_iban(iban: str) -> str:
    """`FR7630006000011234567890189` → `FR76 **** **** **** **** ***0 189` (printed form).

    Country, check digits and the last four characters stay; the length stays too.
    """
    compact = re.sub(r"\s+", "", iban).upper()
    if len(compact) <= 8:
        return "*" * len(compact)
    masked = compact[:4] + "*" * (len(compact) - 8) + compact[-4:]
    return " ".join(masked[i:i + 4] for i in range(0, len(masked), 4))


def mask_email(address: str) -> str:
    """`jeanne.dupont@acme.fr` → `j***@acme.fr`."""
    local, at, domain = address.rpartition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_text(text: str) -> str:
    """Every IBAN and e-mail address in free text, masked; the rest unchanged."""
    if not text:
        return text
    if "@" in text:
        text = _EMAIL_IN_TEXT.sub(lambda m: mask_email(m.group()), text)
    return _IBAN_IN_TEXT.sub(lambda m: mask_iban(m.group()), text)


def mask_value(value: object) -> object:
    """A table cell or any nested value: strings masked, containers walked, the rest as is."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {key: mask_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_value(item) for item in value]
    if isinstance(value, tuple):
        return tuple(mask_value(item) for item in value)
    return value
