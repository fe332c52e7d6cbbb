"""Which open invoices the text of a credit (its label, then its reference) points at, and how
strongly (`scoring`'s citation points):

- our invoice numbers: the exact form `FA-2026-000123` (any or no separator); the digits alone,
  `2026000123` or `000123`, standing alone (a customer code `CLI000123` is not one): the 6-digit
  form only for an invoice of the identified payer, the 10-digit form weakly when the payer is
  unknown; a number one digit off one of the payer's invoices (a typo, to confirm) only when the
  payer is known. Other digit runs (a date 20261130, a SIRET, an 8-digit payer reference) are never
  invoice numbers;
- the numbers of a previous tool's invoices (`F2025-000123`, `2025/0456`), as the open invoices
  have them, with any separators or none, standing alone (`XF2025-000123` is not one): with
  letters, as our exact form; digits only (which a date could spell), for an invoice of the
  identified payer only, as our digits;
- OPCO dossier numbers and session references (`AT-2026-012345`, `S-2026-0012`), separators
  ignored: they point at *all* the open invoices of the dossier or session (the OPCO's share and
  the company's), which the amount and the payer tell apart.

Dossiers and sessions are read first, then a previous tool's numbers, then ours, each blanked
once read, so that `AT-2026-012345` or `F2025-000123` is not also read as our counter `012345`.
Every number cited is remembered with the invoices it names (exactly, or one digit off), so that
a hypothesis leaving it out is contradicted (`scoring.no_other_number_cited`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from backoffice.matching.book import Book
from backoffice.matching.model import Credit
from backoffice.matching.reference_index import SEP, TOKEN, blank
from backoffice.matching.scoring import (
    DOSSIER,
    EXACT_NUMBER,
    ONE_DIGIT_OFF,
    PAYERS_DIGITS,
    SHORT_NUMBER,
    TEN_DIGITS,
)
from backoffice.matching.text import label_text

_INVOICE_FORM = re.compile(rf"(?<![A-Z0-9])FA{SEP}(20\d\d){SEP}(\d{{4,8}})(?![0-9])")
_DIGITS = re.compile(r"(?<![A-Z0-9])(\d{6}|\d{10})(?![A-Z0-9])")
# a shortened number after an invoice word: "FACT 123", "FACTURE N 123", "FA 2026-123"; a year is
# followed by something else than a digit ("FACT 20000" is the counter 20000, not 2000 then 0)
_SHORT = re.compile(
    rf"(?<![A-Z0-9])(?:FA|FAC|FACT|FACTURE){SEP}(?:N[O°]?{SEP})?(?:(20\d\d)(?![0-9]){SEP})?(\d{{1,5}})(?![0-9])")
_FIELDS = (("le libellé", "label"), ("la référence", "reference"))


@dataclass(slots=True)
class References:
    """What the text of a credit points at."""

    strength: dict[str, int]  # invoice number → best strength (`scoring`'s citation points)
    evidence: dict[str, str]  # invoice number → its evidence
    named: dict[str, set[str]]  # cited token → numbers it names exactly
    near: dict[str, set[str]]  # cited token → numbers one digit off

    def add(self, number: str, strength: int, evidence: str) -> None:
        if strength > self.strength.get(number, 0):
            self.strength[number] = strength
            self.evidence[number] = evidence

    def cite(self, cited: str, exact: Iterable[str], near: Iterable[str] = ()) -> None:
        self.named.setdefault(cited, set()).update(exact)
        self.near.setdefault(cited, set()).update(near)


# pragma: no mutate start
# (reading the references of a text: out of the mutation scope, docs/mutation.md)
def one_edit_variants(digits: str, size: int, alphabet: str) -> set[str]:
    """The strings of length `size` exactly one digit substituted, inserted or dropped away."""
    found: set[str] = set()
    if len(digits) == size:
        for k in range(size):
            head, tail = digits[:k], digits[k + 1:]
            found.update([head + c + tail for c in alphabet])
        found.discard(digits)
    elif len(digits) == size + 1:
        found.update([digits[:k] + digits[k + 1:] for k in range(len(digits))])
    elif len(digits) == size - 1:
        for k in range(size):
            head, tail = digits[:k], digits[k:]
            found.update([head + c + tail for c in alphabet])
    return found


def find_references(credit: Credit, book: Book, payer: str | None) -> References:
    refs = References({}, {}, {}, {})
    invoices, is_open = book.invoices, book.is_open
    for where, attr in _FIELDS:
        text = getattr(credit, attr)
        text = label_text(text) if text else text
        if not text:
            continue
        # dossier and session references first, blanked so that their digits are not read as
        # invoice numbers ("AT-2026-012345" holds the run "012345")
        words = TOKEN.findall(text)
        found = book.refs.find(text, words)
        if found:
            hits = sorted((payload, key) for key, spans in found.items()
                          for payload in book.refs.entries[key] if is_open(payload[0]))
            blanked: list[tuple[int, int]] = []
            for (i, _, kind, value), key in hits:
                refs.add(invoices[i].number, DOSSIER, f"{kind} {value} dans {where}")
                if key in found:
                    blanked += found.pop(key)
            if blanked:
                text = blank(text, blanked)
                words = TOKEN.findall(text)
        # numbers of a previous tool, as the open invoices have them: letters and digits exact; digits
        # only, for an invoice of the known payer (a date or a SIRET is no invoice of the payer)
        blanked = []
        found = book.legacy.find(text, words)
        for key, spans in found.items():
            cited = text[spans[0][0]:spans[0][1]]
            numbers = [invoices[i].number for i in book.legacy.entries[key]
                       if not key.isdigit() or invoices[i].funder_ref == payer]
            if not numbers:
                continue
            refs.cite(cited, (number for number in numbers if is_open(book.ids[number])))
            blanked += spans
            for number in numbers:
                if not is_open(book.ids[number]):
                    continue
                if key.isdigit():
                    refs.add(number, PAYERS_DIGITS, f"numéro {cited} (facture {number}) dans {where}")
                else:
                    refs.add(number, EXACT_NUMBER, f"numéro de facture {number} dans {where}")
        text = blank(text, blanked) if blanked else text
        # our numbers: the exact form, then the digits alone
        tokens: list[tuple[str, str, str]] = []  # (token as cited, digits compared, kind)
        shortened: list[tuple[str, str | None, str]] = []  # (token as cited, year, counter)
        formed = False
        for match in _INVOICE_FORM.finditer(text) if "FA" in text else ():
            formed = True
            if payer is not None and len(match[2]) < 6:  # "FA-2026-0123": its zeros dropped
                shortened.append((match[0], match[1], match[2]))
            else:
                tokens.append((f"FA-{match[1]}-{match[2]}", match[1] + match[2], "form"))
        rest = _INVOICE_FORM.sub(" ", text) if formed else text
        if payer is not None and "FA" in rest:
            shortened += ((match[0], match[1], match[2]) for match in _SHORT.finditer(rest)
                          if match[1] or not (len(match[2]) == 4 and match[2].startswith("20")))
        if shortened and payer is not None:
            _shortened(refs, book, payer, shortened, where)
        for match in _DIGITS.finditer(rest):
            tokens.append((match[1], match[1], "digits"))
        for cited, digits, kind in tokens:
            exact = None
            if kind == "form" or len(digits) == 10:
                index = book.ours.get(digits)
                exact = invoices[index].number if index is not None and is_open(index) else None
            if kind == "form" and len(digits) == 10 and exact:
                refs.add(exact, EXACT_NUMBER, f"numéro de facture {exact} dans {where}")
            elif kind == "digits" and len(digits) == 10 and exact:
                if payer is not None and invoices[book.ids[exact]].funder_ref == payer:
                    refs.add(exact, PAYERS_DIGITS, f"numéro {cited} (facture {exact}) dans {where}")
                elif payer is None:
                    refs.add(exact, TEN_DIGITS,
                             f"numéro {cited} (facture {exact} ?) dans {where}, payeur inconnu")
            elif kind == "digits" and len(digits) == 6 and payer is not None:
                index = next((i for i in book.counters.get(payer, {}).get(digits, ()) if is_open(i)), None)
                exact = invoices[index].number if index is not None else None
                if exact:
                    refs.add(exact, PAYERS_DIGITS, f"numéro {cited} (facture {exact}) dans {where}")
            near = set()
            if exact is None and payer is not None:
                close: list[int] = []
                if len(digits) == 6 and kind == "digits":
                    counters = book.counters.get(payer, {})
                    for variant in counters.keys() & one_edit_variants(digits, 6, book.alphabet):
                        close += (i for i in counters[variant] if is_open(i))
                else:
                    fulls = book.fulls.get(payer, {})
                    for variant in fulls.keys() & one_edit_variants(digits, 10, book.alphabet):
                        if is_open(fulls[variant]) and book.ours[variant] == fulls[variant]:
                            close.append(fulls[variant])
                for i in sorted(close):
                    number = invoices[i].number
                    near.add(number)
                    refs.add(number, ONE_DIGIT_OFF, f"numéro {cited} à un chiffre près de {number} "
                                                    f"dans {where} (à confirmer)")
            # what counts as citing an invoice number: our form, a 10-digit "20AA……" run, or a
            # digit run that names or nearly names one of the payer's invoices
            if kind == "form" or (len(digits) == 10 and digits.startswith("20")) or exact or near:
                refs.cite(cited, {exact} if exact else (), near)
    return refs


def _shortened(refs: References, book: Book, payer: str, cited: list[tuple[str, str | None, str]],
               where: str) -> None:
    """Our numbers shortened ("FACT 123", "FA 2026-123": the counter without its zeros, the year
    or not), for the identified payer's open invoices only: one invoice named, SHORT_NUMBER; none,
    but one digit off some of the payer's, ONE_DIGIT_OFF (a typo to confirm); several (the same
    counter in two years), each weakly, as one digit off."""
    counters, invoices, is_open = book.counters.get(payer, {}), book.invoices, book.is_open
    for token, year, counter in cited:
        key = counter.zfill(6)
        named = [i for i in counters.get(key, ()) if is_open(i)
                 and (year is None or invoices[i].number[3:7] == year)]
        if len(named) == 1:
            number = invoices[named[0]].number
            refs.add(number, SHORT_NUMBER, f"numéro abrégé {token} (facture {number}) dans {where}")
            refs.cite(token, {number})
            continue
        close = list(named)
        if not named:
            for variant in counters.keys() & one_edit_variants(key, 6, book.alphabet):
                close += (i for i in counters[variant] if is_open(i)
                          and (year is None or invoices[i].number[3:7] == year))
        near = set()
        for i in sorted(close):
            number = invoices[i].number
            near.add(number)
            refs.add(number, ONE_DIGIT_OFF, f"numéro abrégé {token} proche de {number} dans {where} "
                                            "(à confirmer)")
        if near:
            refs.cite(token, (), near)
# pragma: no mutate end
