"""Money: Decimal euros with one rounding rule, parsed from text, never from float.

Every amount read from text goes through this module, one function per written form, each
ending in the one rounding rule (`quantize`: to the cent, half up) with zero unsigned:
- `parse_amount`: the platform export and the previous tool's invoices ("1234.50": a dot, at
  most two decimals, nothing else);
- `parse_amount_fr`: French banks' CSV exports ("-1 234,56", "1.234,56 €", "(12,00)", "123,45-");
- `parse_iso_amount`: ISO 20022 files, camt.053 ("1234.5", up to five decimals, zeros beyond the
  cent only).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TypeVar

K = TypeVar("K")  # the keys of an allocation: a trainee, an invoice

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
        return _to_cents(Decimal(cleaned))
    except InvalidOperation as exc:  # pragma: no cover - the regex already guarantees a number
        raise AmountError("montant illisible") from exc


def _to_cents(value: Decimal) -> Decimal:
    """An amount read from text, by the one rounding rule; zero without a sign (never "-0.00")."""
    return quantize(value) if value else ZERO


# pragma: no mutate start
# (reading bank files, as statements.py did before: out of the mutation scope, docs/mutation.md)
_SPACES = " \u00a0\u202f\u2009"  # space, no-break space, narrow no-break space, thin space


def parse_amount_fr(text: str, *, decimal: str | None = None) -> Decimal:
    """An amount as French banks write it, exactly, to the cent.

    Accepted: thousands separated by spaces (plain, U+00A0, U+202F, U+2009), or by dots when a
    decimal comma follows ("-1.234,56"); a comma decimal ("1 234,56"); a leading "+" or "-", a
    trailing "-" ("123,45-"), accounting parentheses ("(12,00)" is -12.00); a "€" before or after.
    `decimal` fixes the decimal separator ("," or "."); without it, a single dot followed by one or
    two digits is a decimal point ("1234.56") and both separators together read as the last one
    being the decimal. Refused with `AmountError` (a ValueError with a French message): anything
    ambiguous ("1.234"), a separator contradicting `decimal`, two signs, badly grouped thousands,
    more than two decimals.
    """
    if decimal not in (None, ",", "."):
        raise ValueError(f"séparateur décimal inconnu : {decimal!r}")
    raw = text.strip()
    plain = _plain_amount(raw, decimal)
    if plain is not None:
        return plain
    if not raw:
        raise AmountError("montant vide")
    body = raw.removeprefix("€").removesuffix("€").strip(_SPACES)
    parenthesised = body.startswith("(") and body.endswith(")")
    if parenthesised:
        body = body[1:-1].strip(_SPACES)
    signs = []
    if body and body[0] in "+-":
        signs.append(body[0])
        body = body[1:].lstrip(_SPACES)
    if body.endswith("-"):
        signs.append("-")
        body = body[:-1].rstrip(_SPACES)
    if len(signs) + parenthesised > 1:
        raise AmountError("montant au signe ambigu (plusieurs signes)")
    if not re.fullmatch(r"\d[\d.,\u00a0\u202f\u2009 ]*", body) or not body[-1].isdigit():
        raise AmountError("montant illisible (attendu : chiffres et virgule décimale, ex. -1 234,56)")
    point = _decimal_separator(body, decimal)
    whole, cents = body, ""
    if point:
        whole, _, cents = body.rpartition(point)
        if len(cents) > 2:
            raise AmountError("montant avec plus de deux décimales")
        if not whole or not whole[-1].isdigit():
            raise AmountError("montant illisible (chiffres attendus avant la virgule)")
    thousands = _SPACES + {",": ".", ".": ","}.get(point, "")
    value = Decimal(f"{_ungrouped(whole, thousands)}.{cents or '0'}")
    return _to_cents(-value if parenthesised or "-" in signs else value)


# Most amounts of an export: an optional minus, digits, and one or two decimals after the profile's
# separator (or none). They read as the general rules would read them, without their work.
_PLAIN = {",": re.compile(r"-?[0-9]{1,15}(?:,[0-9]{1,2})?"),
          ".": re.compile(r"-?[0-9]{1,15}(?:\.[0-9]{1,2})?")}


def _plain_amount(raw: str, decimal: str | None) -> Decimal | None:
    """`raw` as an amount if it is written in the plain way, else None (for the general rules)."""
    for point in (decimal,) if decimal else (",", "."):
        if _PLAIN[point].fullmatch(raw):
            return _to_cents(Decimal(raw.replace(",", ".")))
    return None


def _decimal_separator(body: str, decimal: str | None) -> str:
    """The decimal separator used in `body` ("" for a whole number), checked against `decimal`."""
    commas, dots = body.count(","), body.count(".")
    if commas and dots:
        point = "," if body.rfind(",") > body.rfind(".") else "."
    else:
        point = "," if commas else "." if dots else ""
    if point and body.count(point) > 1:
        raise AmountError("montant avec plusieurs " + ("virgules" if point == "," else "points"))
    if decimal and point and point != decimal:
        raise AmountError("virgule décimale dans un relevé à point décimal" if point == ","
                          else "point décimal (ou point sans virgule) dans un relevé à virgule décimale")
    if decimal is None and point == "." and not commas and len(body) - body.rfind(".") - 1 == 3:
        raise AmountError("montant ambigu : le point sépare-t-il les milliers ou les décimales ?")
    return point


def _ungrouped(whole: str, thousands: str) -> str:
    """The integer part without thousands separators, which must group digits by three."""
    separators = {c for c in whole if not c.isdigit()}
    if not separators:
        return whole
    kinds = {"space" if c in _SPACES else c for c in separators}
    if len(kinds) > 1 or not separators <= set(thousands):
        raise AmountError("montant illisible (séparateurs de milliers mélangés ou inattendus)")
    groups = re.split("[" + re.escape("".join(sorted(separators))) + "]", whole)
    if not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:]):
        raise AmountError("montant illisible (milliers mal groupés)")
    return "".join(groups)


def parse_iso_amount(text: str) -> Decimal:
    """An ISO 20022 amount ("1234.5", up to 5 decimals by the schema), exact to the cent, >= 0."""
    cleaned = text.strip()
    if not re.fullmatch(r"\d{1,18}(\.\d{1,5})?", cleaned):
        raise AmountError("montant XML illisible (attendu : chiffres et point décimal, ex. 1234.50)")
    value = Decimal(cleaned)
    if quantize(value) != value:
        raise AmountError("montant XML avec plus de deux décimales non nulles")
    return _to_cents(value)
# pragma: no mutate end


def total(amounts: list[Decimal] | tuple[Decimal, ...]) -> Decimal:
    """Sum of amounts, starting from ZERO so that an empty sum is still money."""
    return quantize(sum(amounts, ZERO))


def allocate(amount: Decimal, weights: Mapping[K, Decimal]) -> dict[K, Decimal]:
    """`amount` (to the cent) shared pro rata of positive `weights`, each share to the cent and
    the shares adding up to `amount` exactly: the cents that rounding down leaves go one each to
    the largest remainders (the first keys on a tie)."""
    weight = sum(weights.values(), ZERO)
    if weight <= 0 or amount < 0 or any(part < 0 for part in weights.values()):
        raise ValueError("allocate: a positive amount over non-negative weights, not all zero")
    cents = int(quantize(amount) * 100)
    exact = {key: Decimal(cents) * part / weight for key, part in weights.items()}
    shares = {key: int(value) for key, value in exact.items()}  # toward zero: amount ≥ 0
    order = sorted(exact, key=lambda key: exact[key] - shares[key], reverse=True)
    for key in order[:cents - sum(shares.values())]:
        shares[key] += 1
    return {key: quantize(Decimal(share) / 100) for key, share in shares.items()}


def cents(amount: Decimal) -> int:
    """Euros to integer cents, exactly (amounts are already to the cent)."""
    value = amount * 100
    if value != value.to_integral_value():
        raise ValueError(f"montant au-delà du centime : {amount}")
    return int(value)


def euros(amount: int) -> Decimal:
    """Integer cents back to euros, to the cent ("12.34", "0.00")."""
    return Decimal(amount).scaleb(-2)


def format_eur(amount: Decimal) -> str:
    """French display of an amount: "1 234,56 €" (narrow no-break space between thousands)."""
    value = quantize(amount)
    sign = "-" if value < 0 else ""
    units, cents = f"{abs(value):.2f}".split(".")
    groups: list[str] = []
    while units:
        groups.insert(0, units[-3:])
        units = units[:-3]
    thousands = "\u202f".join(groups)
    return f"{sign}{thousands},{cents}\u00a0€"
