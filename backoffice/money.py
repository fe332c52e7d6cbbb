"""Money: Decimal euros with one rounding rule, parsed from text, never from float."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

ZERO = Decimal("0.00")
CENT = Decimal("0.01")

_PLAIN_AMOUNT = re.compile(r"-?\d+(\.\d{1,2})?")


class AmountError(ValueError):
    """Text that is not an amount in the expected format; the message is operator-facing French."""


def quantize(amount: Decimal) -> Decimal:
    """The one rounding rule of the project: to the cent, half up (the French commercial rule)."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be Decimal, got {type(amount).__name__}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_amount(text: str) -> Decimal:
    """Parse an amount written with a dot and at most two decimals ("1234.5", "-12.00").

    A comma, a space, a currency sign or a third decimal are refused rather than guessed.
    """
    cleaned = text.strip()
    if not _PLAIN_AMOUNT.fullmatch(cleaned):
        if "," in cleaned:
            raise AmountError("montant avec une virgule : utiliser le point comme séparateur décimal")
        if re.fullmatch(r"-?\d+\.\d{3,}", cleaned):
            raise AmountError("montant avec plus de deux décimales")
        raise AmountError("montant illisible (attendu : chiffres et point décimal, ex. 1234.50)")
    try:
        return quantize(Decimal(cleaned))
    except InvalidOperation as exc:  # pragma: no cover - the regex already guarantees a number
        raise AmountError("montant illisible") from exc


def total(amounts: list[Decimal] | tuple[Decimal, ...]) -> Decimal:
    """Sum of amounts, starting from ZERO so that an empty sum is still money."""
    return quantize(sum(amounts, ZERO))


def format_eur(amount: Decimal) -> str:
    """French display of an amount: "1 234,56 €" (narrow no-break space between thousands)."""
    value = quantize(amount)
    sign = "-" if value < 0 else ""
    units, cents = f"{abs(value):.2f}".split(".")
    groups = []
    while units:
        groups.insert(0, units[-3:])
        units = units[:-3]
    thousands = "\u202f".join(groups)
    return f"{sign}{thousands},{cents}\u00a0€"
