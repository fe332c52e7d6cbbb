"""Matching the credits of our bank account to open invoices (bank-and-sepa.md §2.4), as pure functions.

The pipeline for one credit (`match_credit`):

1. *Classify* the line first (`classify`): only "funder_payment" lines are matched to invoices.
2. *Identify the payer* (`identify_payer`): the IBAN learned from confirmed matches, else the
   counterparty name (or, without one, the label) compared with the funders' names and aliases,
   accents, case, punctuation and legal forms (SAS, SARL…) folded, with difflib.
3. *Generate candidates*, remembering why each one came up:
   * our invoice numbers in the label or the reference: the exact form `FA-2026-000123` (any or no
     separator); the digits only, `2026000123` or `000123`, standing alone (a customer code such as
     `CLI000123` is not one) — the 6-digit form counts only when the payer is known, the 10-digit
     form is a weak hint when it is not; a number one digit off one of the payer's invoices (a
     typo) only when the payer is known. Other digit runs (a date 20261130, a SIRET, an 8-digit
     payer reference) are never invoice numbers;
   * the numbers of invoices imported from a previous tool (`F2025-000123`, `2025/0456`), as the
     open invoices have them, with any separators or none between their letter and digit runs,
     standing alone (`XF2025-000123` is not one): looked up among the open invoices' own numbers,
     never guessed by a pattern. One with letters counts as our exact form; one of digits only
     (`2025/0456`, which a date could spell) only for an invoice of the identified payer, as our
     digits-only form. They are read after the dossiers and before our numbers, and blanked, so
     that `F2025-000123` is not also read as our counter `000123`;
   * OPCO dossier numbers and session references (`AT-2026-012345`, `S-2026-0012`), separators
     ignored: they point to *all* the open invoices of the dossier or session (the OPCO's share and
     the company's), and the amount and the payer pick between them;
   * the identified payer's open invoices, and every open invoice whose residual is the amount.
4. *Build hypotheses* (sets of invoices): each referenced invoice alone; the invoices named by
   number together; every combination of the referenced invoices, and of the payer's oldest
   `max_subset` open invoices, whose residuals add up to the amount to the cent (at most
   `MAX_COMBINATIONS` combinations tried, fewer invoices first); each open invoice of that exact
   amount; and, for a known payer with nothing better, its oldest invoices in turn.
   A set is allocated oldest first, never more than a residual: the rest of the credit is
   `unapplied` (an over-payment); a credit smaller than the set's residuals is a partial payment.
5. *Score* each hypothesis additively (table below), clamp to 0..100, with French evidence.
6. *Decide*: auto only if `best.score >= certain` and `best.score - second.score >= margin`.

Score table (points add up, then are clamped to 0..100):

=================================================================================  ======
reference (the weakest over the set's invoices; all of them must be referenced)
  our invoice number, exact form, in the label or the reference                       +45
  a previous tool's number with letters, as the invoice has it                        +45
  digits-only number of one of the payer's invoices, payer known                      +40
  a previous tool's digits-only number of one of the payer's invoices                 +40
  dossier number or session reference of the invoice                                  +25
  number one digit off one of the payer's invoices, payer known                       +15
  10-digit number, payer unknown                                                      +10
  only part of the set's invoices referenced (some strongly)                          +15
payer (identified, and the funder of every invoice of the set)
  by its learned IBAN / by its exact name or alias / by an approaching name          +30/25/20
  identified, but some invoice of the set is another funder's                         -30
amount
  exact: the residual, or the residuals of a combination                              +25
  partial payment of one invoice referenced by number (exact or digits)               +20
  over-payment of invoices all referenced by number (the rest stays unapplied)        +15
uniqueness (exact amount only; one of them)
  the payer's only open invoice (or combination) of this amount                       +35
  the only referenced invoice (or combination) of this amount                         +20
  payer unknown: the only open invoice of this amount                                 +10
contradictions
  the text cites an invoice number that is none of the set's (not even one digit off) -20
  … or cites a number one digit off (a typo to confirm): no uniqueness bonus
=================================================================================  ======

Then a hypothesis with an invoice issued after the payment (impossible) is capped at 40.

So: exact number + exact amount + payer consistent = 100; exact amount + the payer's only open
invoice of that amount = 90 with the IBAN (85 with the name: a human confirms); exact number +
exact amount, payer unknown = 90; amount only, payer unknown <= 35; a typo'd number, known payer,
exact amount = 70; partial payment of a cited invoice by its known payer = 95 (IBAN) or 90 (name).

`match_credits` runs a whole statement in a stable order (booking date, line id) whatever the
input order, and each automatic allocation lowers the residuals that later credits see, so no
invoice ever receives more than its residual over a run. Only automatic decisions are applied;
review decisions change nothing.

Cost: the open invoices and the directory are indexed once per run (`_Book`, `_Payers`): our
numbers, the previous tool's numbers, dossier and session references (looked up word by word),
residuals in cents globally and per payer, each payer's invoices by age (its oldest `max_subset`
and their subset sums kept until one of them is paid), the aliases by their words and by their
letter pairs (an approaching name is compared only with the aliases that share enough pairs with
it to reach NAME_THRESHOLD, not with the whole directory), counterparty names already identified
(and the aliases found in a label).
A credit then costs what its text, its payer and its amount point at, whatever the number of open
invoices or payers: linear for a statement (benchmarks/match_payments.py). Of many unreferenced
invoices of the credit's amount, only those that can rank among the proposals are scored (the
ranking is lazy: a certain decision stops at the best two, a review takes three), and a name
exactly known is not compared with the others (an exact name outranks any approaching one).
tests/core/test_matching_index.py checks the indexes against plain scans.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from difflib import SequenceMatcher
from functools import lru_cache
from itertools import accumulate, chain, islice
from math import comb
from operator import attrgetter, itemgetter

from backoffice.identifiers import normalize_iban
from backoffice.money import CENT, ZERO, format_eur
from backoffice.payouts import batch_ids_in, payout_ids_in
from backoffice.statements import normalise_label, normalise_name

__all__ = [
    "BANK_FEE", "FUNDER_PAYMENT", "MAX_COMBINATIONS", "OTHER_CREDIT", "OTHER_DEBIT", "OWN_TRANSFER",
    "Credit", "Hypothesis", "MatchDecision", "OpenInvoice", "PayerDirectory", "classify",
    "identify_payer", "match_credit", "match_credits",
]


# --- types --------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class OpenInvoice:
    """An invoice with something still due."""

    number: str  # "FA-2026-000123"
    funder_kind: str  # "opco" | "company"
    funder_ref: str  # OPCO code ("ATLAS") or the client's ref
    funder_name: str
    session_ref: str  # "S-2026-0012"
    dossier_number: str | None  # the OPCO's dossier / PEC number, if any
    residual: Decimal  # what is still due (> 0)
    issue_date: date


@dataclass(frozen=True, slots=True)
class Credit:
    """A bank line crediting our account."""

    line_id: str
    booking_date: date
    amount: Decimal  # > 0
    label: str
    counterparty: str
    counterparty_iban: str
    reference: str


@dataclass(frozen=True, slots=True)
class PayerDirectory:
    """What we know of the payers: learned IBANs, and each funder's names and aliases."""

    ibans: Mapping[str, str] = field(default_factory=dict)  # IBAN (any spacing/case) → funder_ref
    names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # funder_ref → names, aliases


@dataclass(frozen=True, slots=True)
class Hypothesis:
    allocations: tuple[tuple[str, Decimal], ...]  # (invoice number, amount applied), oldest first
    unapplied: Decimal  # credit amount − sum(allocations)
    score: int  # 0..100
    evidence: tuple[str, ...]  # French
    payer: str | None  # funder_ref if identified


@dataclass(frozen=True, slots=True)
class MatchDecision:
    line_id: str
    auto: bool  # apply without a human
    best: Hypothesis | None
    proposals: tuple[Hypothesis, ...]  # best first: the top 3 for a review, the top 2 when auto
    reason: str  # French


# --- classification -----------------------------------------------------------------------------

FUNDER_PAYMENT = "funder_payment"
OWN_TRANSFER = "own_transfer"
BANK_FEE = "bank_fee"
OTHER_DEBIT = "other_debit"
OTHER_CREDIT = "other_credit"

_FEE_WORDS = ("COMMISSION", "COMMISSIONS", "COM", "FRAIS", "COTISATION", "COTIS", "ABONNEMENT",
              "ABON", "AGIOS", "INTERETS DEBITEURS", "TENUE DE COMPTE", "FORFAIT")
_PAYOUT_MARKERS = ("VIR SEPA EMIS", "VIREMENT SEPA EMIS", "VIR EMIS", "VIREMENT EMIS", "VIR INST EMIS",
                   "VIR SEPA INST EMIS", "VIREMENT INSTANTANE EMIS", "PRLV VIR", "PAYOUT")
_RETURN_MARKERS = ("REJET", "RETOUR VIR", "RETOUR VIREMENT", "RETOUR SEPA", "EXTOURNE", "ANNULATION VIR")


def _words(text: str) -> str:
    """Upper case, no accents, punctuation as single spaces, padded with spaces for word search."""
    return f" {normalise_name(text).upper()} "


def _has(words: str, phrases: Iterable[str]) -> bool:
    return _phrases(tuple(phrases)).search(words) is not None


@lru_cache(maxsize=8)
def _phrases(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """Any of these phrases as whole words (in the padded text of `_words`)."""
    return re.compile("|".join(re.escape(f" {phrase} ") for phrase in phrases))


# pragma: no mutate start
# (routing a bank line, not a score: out of the mutation scope, docs/mutation.md)
def classify(amount: Decimal, label: str, counterparty_iban: str, own_ibans: set[str]) -> str:
    """What a bank line is, for routing: only "funder_payment" lines go to invoice matching.

    * a credit from one of our own accounts, a returned or cancelled transfer of ours ("REJET",
      "RETOUR VIR", "EXTOURNE"…, or quoting a payout id "PO-2026-000042"), or a zero amount:
      "other_credit";
    * any other credit: "funder_payment";
    * a debit quoting one of our payout ids or payout file ids (the camt EndToEndId of a
      batch-booked transfer, "VIR-FORMATEURS-20261201-01"): "own_transfer";
    * a debit starting with a fee word (COMMISSION, FRAIS, COTISATION, ABONNEMENT, AGIOS…):
      "bank_fee" — checked before the payout markers, so "FRAIS VIR SEPA EMIS" is a fee;
    * a debit to one of our own accounts, or one of our SEPA payouts ("VIR SEPA EMIS",
      "VIR INST EMIS", "PAYOUT-…" of our pain.001): "own_transfer" — so "VIR SEPA EMIS
      FRAIS DEPLACEMENT" stays a payout;
    * a debit with a fee word elsewhere: "bank_fee"; any other debit: "other_debit".
    """
    iban = normalize_iban(counterparty_iban) if counterparty_iban else ""
    own = {normalize_iban(value) for value in own_ibans} if iban else set()
    words = _words(label)
    ours = bool(payout_ids_in(label) or batch_ids_in(label))  # our payout's or batch's id
    if amount > 0:
        if (iban and iban in own) or ours or _has(words, _RETURN_MARKERS):
            return OTHER_CREDIT
        return FUNDER_PAYMENT
    if amount == 0:
        return OTHER_CREDIT
    if ours:
        return OWN_TRANSFER
    first = words.split()[:3]
    if any(" ".join(first[:n]) in _FEE_WORDS for n in (1, 2, 3)):
        return BANK_FEE
    if (iban and iban in own) or _has(words, _PAYOUT_MARKERS):
        return OWN_TRANSFER
    if _has(words, _FEE_WORDS):
        return BANK_FEE
    return OTHER_DEBIT
# pragma: no mutate end


# --- payer identification -----------------------------------------------------------------------

LEGAL_FORMS = frozenset({
    "SA", "SAS", "SASU", "SARL", "EURL", "SCI", "SNC", "SCS", "SCA", "SCOP", "SCIC", "SCM", "SCP",
    "SEL", "SELARL", "SELAS", "SELAFA", "EI", "EIRL", "GIE", "STE", "SOCIETE", "ETS",
})
NAME_THRESHOLD = 0.85
_IBAN_POINTS, _EXACT_NAME_POINTS, _FUZZY_NAME_POINTS = 30, 25, 20


def _name_tokens(text: str) -> tuple[str, ...]:  # pragma: no mutate block
    """A company name as compared: no accents, upper case, "&" as "ET", no legal form."""
    text = text.replace("&", " ET ").replace(".", "")  # "S.A.S." is "SAS"
    # plain ASCII (most bank text): the words of `_words` are its runs of letters and digits
    words = _ASCII_WORD.findall(text.upper()) if text.isascii() else _words(text).split()
    return tuple(word for word in words if word not in LEGAL_FORMS)


_ASCII_WORD = re.compile(r"[A-Z0-9]+")


@dataclass(frozen=True, slots=True)
class _Payer:
    ref: str | None
    evidence: str
    points: int


@dataclass(frozen=True, slots=True)
class _Alias:
    ref: str
    alias: str
    tokens: tuple[str, ...]
    matcher: SequenceMatcher  # its sorted words as the second sequence (cached by difflib)
    chars: int | None  # its characters counted (`_char_counts`)
    length: int  # of its sorted words joined


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


def _close_lengths(size: int) -> range:  # pragma: no mutate block
    """The lengths of a text that difflib's ratio may find NAME_THRESHOLD alike to one of `size`
    characters (it is at most 2 x the shorter length / the total)."""
    lengths = [n for n in range(1, 2 * size + 2) if 2.0 * min(size, n) / (size + n) >= NAME_THRESHOLD]
    return range(lengths[0], lengths[-1] + 1) if lengths else range(0)


@lru_cache(maxsize=1024)
def _pairs_shared(size: int) -> int:
    """How many letter pairs (`_letter_pairs`) a text of `size` characters shares at least with any
    text that difflib's ratio finds NAME_THRESHOLD alike.

    The ratio is 2M / T (M characters matched, T the two lengths). The M matched characters form
    K blocks, each shared whole by both texts: they share at least M - K letter pairs. Two blocks
    are separated by at least one unmatched character, so K - 1 <= T - 2M; hence at least 3M - T - 1
    pairs, for the least M that reaches the threshold, over every length the ratio allows."""
    needed = []
    for length in _close_lengths(size):
        total = size + length
        matches = next(m for m in range(total + 1) if 2.0 * m / total >= NAME_THRESHOLD)
        needed.append(3 * matches - total - 1)
    return min(needed, default=0)


def _letter_pairs(text: str) -> list[tuple[str, int]]:  # pragma: no mutate block
    """Each pair of consecutive characters with its occurrence (1, 2…): two texts share as many pairs
    as these lists have items in common."""
    seen: dict[str, int] = {}
    pairs = []
    for i in range(len(text) - 1):
        pair = text[i:i + 2]
        seen[pair] = seen.get(pair, 0) + 1
        pairs.append((pair, seen[pair]))
    return pairs


class _Payers:
    """The directory indexed once for a run: IBANs normalised; each alias looked up by its sorted words
    (exact names), by its words in a row (an alias within a name or a label), and by its letter pairs
    (approaching names: only the aliases sharing enough of them with a name can reach NAME_THRESHOLD,
    `_pairs_shared`, so a name is compared with a few aliases, not the whole directory); and the
    result for each counterparty name already seen, as statements repeat them, and for each set of
    aliases found in a label (a statement without counterparty names)."""

    def __init__(self, directory: PayerDirectory) -> None:  # pragma: no mutate block
        self.ibans = {normalize_iban(iban): _Payer(ref, "payeur identifié par son IBAN", _IBAN_POINTS)
                      for iban, ref in directory.ibans.items()}
        self.aliases: list[_Alias] = []  # in the order of the rule: funder_ref, then its aliases
        self.exact: dict[tuple[str, ...], list[int]] = {}
        self.runs: dict[tuple[str, ...], list[int]] = {}  # an alias's words, in order → aliases
        self.run_sizes: dict[str, set[int]] = {}  # first word → how many words the aliases have
        self.by_length: dict[int, list[int]] = {}
        self.by_pair: dict[tuple[tuple[str, int], int], list[int]] = {}  # (pair, alias length) → aliases
        for ref in sorted(directory.names):
            aliases = directory.names[ref]
            for alias in (aliases,) if isinstance(aliases, str) else aliases:  # one name as a str
                tokens = _name_tokens(alias)
                if not tokens or len("".join(tokens)) < 3:
                    continue
                index = len(self.aliases)
                joined = " ".join(sorted(tokens))
                self.aliases.append(_Alias(ref, alias, tokens, SequenceMatcher(None, "", joined),
                                           _char_counts(joined), len(joined)))
                self.exact.setdefault(tuple(sorted(tokens)), []).append(index)
                self.runs.setdefault(tokens, []).append(index)
                self.run_sizes.setdefault(tokens[0], set()).add(len(tokens))
                self.by_length.setdefault(len(joined), []).append(index)
                for pair in _letter_pairs(joined):
                    self.by_pair.setdefault((pair, len(joined)), []).append(index)
        self.by_name: dict[str, _Payer] = {}
        self.nameless: set[str] = set()  # counterparties with no name: the label tells
        self.by_label: dict[frozenset[int], _Payer] = {}  # the aliases found in a label → the payer
        self.iban_cache: dict[str, str] = {}

    def _within(self, words: tuple[str, ...]) -> set[int]:  # pragma: no mutate block
        """The aliases whose words appear in a row in `words`."""
        found: set[int] = set()
        for i, word in enumerate(words):
            for size in self.run_sizes.get(word, ()):
                found.update(self.runs.get(words[i:i + size], ()))
        return found

    def identify(self, credit: Credit) -> _Payer:  # pragma: no mutate block
        iban = self.iban_cache.get(credit.counterparty_iban)
        if iban is None:
            iban = self.iban_cache[credit.counterparty_iban] = normalize_iban(credit.counterparty_iban)
        if iban and iban in self.ibans:
            return self.ibans[iban]
        known = self.by_name.get(credit.counterparty)
        if known is not None:
            return known
        if credit.counterparty not in self.nameless:
            name = _name_tokens(credit.counterparty)
            if name:
                payer = self._decide(self._name_hits(name, credit.counterparty))
                self.by_name[credit.counterparty] = payer
                return payer
            self.nameless.add(credit.counterparty)
        within = frozenset(self._within(_name_tokens(credit.label)))
        payer = self.by_label.get(within)
        if payer is None:
            payer = self.by_label[within] = self._decide(self._label_hits(within))
        return payer

    def _name_hits(self, name: tuple[str, ...], counterparty: str) -> list[tuple[int, tuple]]:
        exact = self.exact.get(tuple(sorted(name)), ())
        if exact:  # an exact name (25 points) outranks every approaching one (20): only they count
            return [(index, (_EXACT_NAME_POINTS, 1.0, self.aliases[index].ref,
                             f"payeur identifié par son nom ({self.aliases[index].alias})"))
                    for index in sorted(set(exact))]
        joined = " ".join(sorted(name))
        hits = []
        for index in sorted(self._within(name) | self._close(joined)):
            alias = self.aliases[index]
            alias.matcher.set_seq1(joined)
            hits.append((index, (_FUZZY_NAME_POINTS, alias.matcher.ratio(), alias.ref,
                                 f"payeur reconnu par un nom approchant ({counterparty} ≈ "
                                 f"{alias.alias})")))
        return hits

    def _close(self, joined: str) -> set[int]:  # pragma: no mutate block
        """The aliases whose sorted words difflib finds at least NAME_THRESHOLD alike to `joined`."""
        size = len(joined)
        chars = _char_counts(joined)
        close = set()
        for index in self._sharing_pairs(joined):
            alias = self.aliases[index]
            total = size + alias.length
            if 2.0 * min(size, alias.length) / total < NAME_THRESHOLD:  # difflib's upper bounds, cheap first
                continue
            if (chars is not None and alias.chars is not None
                    and 2.0 * _common_chars(chars, alias.chars) / total < NAME_THRESHOLD):
                continue
            alias.matcher.set_seq1(joined)
            if alias.matcher.ratio() >= NAME_THRESHOLD:
                close.add(index)
        return close

    def _sharing_pairs(self, joined: str) -> Iterable[int]:  # pragma: no mutate block
        """The aliases that may be NAME_THRESHOLD alike to `joined`: those sharing `_pairs_shared` of
        its letter pairs must hold one of its rarest (all of them but that number, less one); for a
        short name, every alias of a length within reach."""
        lengths = _close_lengths(len(joined))
        needed = _pairs_shared(len(joined))
        if needed <= 0:
            return [index for length in lengths for index in self.by_length.get(length, ())]
        pairs = _letter_pairs(joined)
        rarest = len(pairs) - needed + 1
        if rarest <= 0:  # fewer pairs than needed: no alias can be alike
            return ()
        postings = sorted(([self.by_pair.get((pair, length), ()) for length in lengths] for pair in pairs),
                          key=lambda lists: sum(map(len, lists)))
        return set().union(*chain.from_iterable(postings[:rarest]))

    def _label_hits(self, within: Iterable[int]) -> list[tuple[int, tuple]]:
        return [(index, (_FUZZY_NAME_POINTS, 1.0, self.aliases[index].ref,
                         f"payeur reconnu dans le libellé ({self.aliases[index].alias})"))
                for index in sorted(within)]

    @staticmethod
    def _decide(hits: list[tuple[int, tuple]]) -> _Payer:
        # the best hit of each funder (the first of equals), then the best funder
        best: dict[str, tuple] = {}
        for _, hit in hits:
            ref = hit[2]
            if ref not in best or hit[:2] > best[ref][:2]:
                best[ref] = hit
        if not best:
            return _Payer(None, "payeur non identifié", 0)
        found = sorted(best.values(), key=lambda hit: (-hit[0], -hit[1], hit[2]))
        top = found[0]
        if len(found) > 1 and found[1][:2] == top[:2]:
            tied = ", ".join(hit[2] for hit in found if hit[:2] == top[:2])
            return _Payer(None, f"payeur ambigu ({tied})", 0)
        return _Payer(top[2], top[3], top[0])


def identify_payer(credit: Credit, directory: PayerDirectory) -> tuple[str | None, str]:
    """(funder_ref or None, French evidence): the learned IBAN first, then the name.

    The name is the counterparty's when the bank gives one, compared with every name and alias of
    the directory after folding accents, case, punctuation and legal forms: equal (in any word
    order) is an exact match; a difflib ratio >= NAME_THRESHOLD on the sorted words, or all the
    alias's words in a row in the name, an approaching one. Without a counterparty, an alias's words
    in a row in the label. Two funders equally close: unknown ("payeur ambigu").
    """
    payer = _Payers(directory).identify(credit)
    return payer.ref, payer.evidence


# --- the open invoices of a run, indexed ---------------------------------------------------------

_OURS = re.compile(r"FA-(\d{4})-(\d{6})")
_RUNS = re.compile(r"[A-Z]+|\d+")
_TOKEN = re.compile(r"[A-Z0-9]+")
_GAP = re.compile(r"[\s\-_/.:]{1,2}")


def _text(value: str) -> str:  # pragma: no mutate block
    """The label as compared, upper case; for plain ASCII (most bank text), its words upper-cased."""
    return " ".join(value.split()).upper() if value.isascii() else normalise_label(value).upper()


def _cents(amount: Decimal) -> int:
    cents = amount / CENT
    if cents != cents.to_integral_value():
        raise ValueError(f"montant au-delà du centime : {amount}")
    return int(cents)


def _age(inv: OpenInvoice) -> tuple[date, str]:
    return inv.issue_date, inv.number


class _Keys:  # pragma: no mutate block
    """References cited with any separators, or none, between their letter and digit runs
    ("AT-2026-012345", "AT2026012345", "AT 2026/012345"), standing alone: found by looking the
    words of a text up, never by trying each reference's pattern on it."""

    def __init__(self) -> None:
        self.entries: dict[str, list] = {}  # runs joined → payloads
        self.cuts: dict[str, frozenset[int]] = {}  # runs joined → where its runs meet
        self.prefixes: set[str] = set()  # every key cut after one of its runs
        self.odd: dict[str, str] = {}  # keys with non-ASCII digits → a reference (regex search)

    def add(self, reference: str, payload: object) -> bool:
        # plain ASCII (most references): only letters and digits count, whatever the spacing or case
        runs = _RUNS.findall(reference.upper() if reference.isascii() else _text(reference))
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
        """Each key cited in `text` (its words `words`, `_TOKEN`'s) → the spans citing it, left to
        right."""
        found: dict[str, list[tuple[int, int]]] = {}
        if not self.entries:
            return found
        prefixes, cuts = self.prefixes, self.cuts
        spans: list[tuple[int, int]] = []  # of the words, once one starts a key
        for i, word in enumerate(words):
            if word not in prefixes:
                continue
            spans = spans or [match.span() for match in _TOKEN.finditer(text)]
            key, j, joints = word, i, []
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
    runs = _RUNS.findall(_text(reference))
    if len("".join(runs)) < 5:
        return None
    return re.compile(r"(?<![A-Z0-9])" + _SEP.join(runs) + r"(?![A-Z0-9])")


def _blank(text: str, spans: Sequence[tuple[int, int]]) -> str:  # pragma: no mutate block
    """`text` with these spans, in this order, each unless it overlaps one already blanked, turned
    into spaces (as successive `re.sub`s of the references would)."""
    if len(spans) == 1:  # most texts cite one reference
        ((start, end),) = spans
        return f"{text[:start]}{' ' * (end - start)}{text[end:]}"
    chars, done = list(text), []
    for start, end in spans:
        if any(start < other_end and other_start < end for other_start, other_end in done):
            continue
        done.append((start, end))
        chars[start:end] = " " * (end - start)
    return "".join(chars)


class _Pool:  # pragma: no mutate block
    """A payer's oldest open invoices (up to `size`), for the payments that settle several of them:
    their cents, their subset sums (built when an amount first needs them) and the subsets found
    for each amount."""

    __slots__ = ("asked", "cents", "ids", "least", "members", "size", "sums")

    def __init__(self, size: int, ids: list[int], cents: list[int]) -> None:
        self.size, self.ids, self.cents, self.members = size, ids, cents, set(ids)
        self.asked: dict[int, tuple[list[tuple[int, ...]], bool]] = {}
        self.least = sum(sorted(cents)[:2]) if len(cents) >= 2 else None  # the least two add up to
        self.sums: tuple[list[int], int, list[int], dict[int, int]] | None = None

    def subsets(self, target: int) -> tuple[list[tuple[int, ...]], bool]:
        """`_exact_subsets` of 2+ of the invoices adding up to `target`."""
        if self.least is None or target < self.least:  # no two of them add up to so little
            return [], _tries(len(self.cents), 2)[1]
        if self.sums is None:
            self.sums = _subset_sums(self.cents)
        return _exact_subsets(self.cents, target, min_size=2, sums=self.sums)


class _Book:
    """The open invoices of a run, oldest first, with their residuals (updated after each automatic
    allocation) and the indexes that let a credit see only what concerns it: numbers, references,
    amounts in cents (global and per payer), each payer's invoices by age."""

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
                self.cents.append(_cents(inv.residual))
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
        self.refs = _Keys()  # dossier and session references → (invoice, 0/1, kind, reference)
        self.legacy = _Keys()  # other numbers (a previous tool's) → invoices
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
        self.pools: dict[str, _Pool] = {}
        self.open_count = {ref: len(ids) for ref, ids in self.payer_ids.items()}

    def is_open(self, i: int) -> bool:
        return self.residual[i] > 0

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
        """(the payer's pool: its oldest `size` open invoices; the `_exact_subsets` of 2+ of them
        adding up to `target`; whether the search was complete), the answers kept by amount."""
        pool = self.pools.get(payer)
        if pool is None or pool.size != size:
            ids = list(islice(self.oldest(payer), max(0, size)))
            pool = self.pools[payer] = _Pool(size, ids, [self.cents[i] for i in ids])
        found = pool.asked.get(target)
        if found is None:
            found = pool.asked[target] = pool.subsets(target)
        return pool.ids, *found

    def apply(self, number: str, amount: Decimal) -> None:
        i = self.ids[number]
        if amount > self.residual[i]:  # pragma: no cover - guaranteed by _allocate
            raise AssertionError(f"allocation au-delà du reste dû de {number}")
        payer, old = self.invoices[i].funder_ref, self.cents[i]
        pool = self.pools.get(payer)
        if pool is not None and i in pool.members:
            del self.pools[payer]
        self.residual[i] -= amount
        self.cents[i] = new = _cents(self.residual[i]) if self.residual[i] > 0 else 0
        for bucket in (self.by_cents[old], self.payer_cents[(payer, old)]):
            del bucket[bisect_left(bucket, i)]
        if self.residual[i] > 0:
            insort(self.by_cents.setdefault(new, []), i)
            insort(self.payer_cents.setdefault((payer, new), []), i)
        else:
            self.open_count[payer] -= 1
            self.next_open[payer][self.slot[i]] = self.slot[i] + 1


# --- references in the text ---------------------------------------------------------------------

_SEP = r"[\s\-_/.:]{0,2}"
_INVOICE_FORM = re.compile(rf"(?<![A-Z0-9])FA{_SEP}(20\d\d){_SEP}(\d{{4,8}})(?![0-9])")
_DIGITS = re.compile(r"(?<![A-Z0-9])(\d{6}|\d{10})(?![A-Z0-9])")
_FIELDS = (("le libellé", "label"), ("la référence", "reference"))

# reference strength of one invoice
_EXACT, _DIGITS_KNOWN, _DOSSIER, _NEAR, _DIGITS_UNKNOWN = 45, 40, 25, 15, 10
_PARTLY_REFERENCED = 15
_STRONG = _DIGITS_KNOWN  # a number (exact or digits, payer known): partial/over-payment allowed
MAX_COMBINATIONS = 50_000
_LATE_CAP = 40  # a payment cannot settle an invoice issued after it: at most a weak proposal


@dataclass(slots=True)
class _References:
    """What the text of a credit points at."""

    strength: dict[str, int]  # invoice number → best strength
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
def _one_edit_variants(digits: str, size: int, alphabet: str) -> set[str]:
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


def _find_references(credit: Credit, book: _Book, payer: str | None) -> _References:
    refs = _References({}, {}, {}, {})
    invoices, is_open = book.invoices, book.is_open
    for where, attr in _FIELDS:
        text = getattr(credit, attr)
        text = _text(text) if text else text
        if not text:
            continue
        # dossier and session references first, blanked so that their digits are not read as
        # invoice numbers ("AT-2026-012345" holds the run "012345")
        words = _TOKEN.findall(text)
        found = (book.refs.find(text, words)
                 if not book.refs.prefixes.isdisjoint(words) or book.refs.odd else {})
        if found:
            hits = sorted((payload, key) for key, spans in found.items()
                          for payload in book.refs.entries[key] if is_open(payload[0]))
            blanked: list[tuple[int, int]] = []
            for (i, _, kind, value), key in hits:
                refs.add(invoices[i].number, _DOSSIER, f"{kind} {value} dans {where}")
                if key in found:
                    blanked += found.pop(key)
            if blanked:
                text = _blank(text, blanked)
                words = _TOKEN.findall(text)
        # numbers of a previous tool, as the open invoices have them: letters and digits exact; digits
        # only, for an invoice of the known payer (a date or a SIRET is no invoice of the payer)
        blanked = []
        found = (book.legacy.find(text, words)
                 if not book.legacy.prefixes.isdisjoint(words) or book.legacy.odd else {})
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
                    refs.add(number, _DIGITS_KNOWN, f"numéro {cited} (facture {number}) dans {where}")
                else:
                    refs.add(number, _EXACT, f"numéro de facture {number} dans {where}")
        text = _blank(text, blanked) if blanked else text
        # our numbers: the exact form, then the digits alone
        tokens: list[tuple[str, str, str]] = []  # (token as cited, digits compared, kind)
        for match in _INVOICE_FORM.finditer(text) if "FA" in text else ():
            tokens.append((f"FA-{match[1]}-{match[2]}", match[1] + match[2], "form"))
        rest = _INVOICE_FORM.sub(" ", text) if tokens else text
        for match in _DIGITS.finditer(rest):
            tokens.append((match[1], match[1], "digits"))
        for cited, digits, kind in tokens:
            exact = None
            if kind == "form" or len(digits) == 10:
                i = book.ours.get(digits)
                exact = invoices[i].number if i is not None and is_open(i) else None
            if kind == "form" and len(digits) == 10 and exact:
                refs.add(exact, _EXACT, f"numéro de facture {exact} dans {where}")
            elif kind == "digits" and len(digits) == 10 and exact:
                if payer is not None and invoices[book.ids[exact]].funder_ref == payer:
                    refs.add(exact, _DIGITS_KNOWN, f"numéro {cited} (facture {exact}) dans {where}")
                elif payer is None:
                    refs.add(exact, _DIGITS_UNKNOWN,
                             f"numéro {cited} (facture {exact} ?) dans {where}, payeur inconnu")
            elif kind == "digits" and len(digits) == 6 and payer is not None:
                i = next((i for i in book.counters.get(payer, {}).get(digits, ()) if is_open(i)), None)
                exact = invoices[i].number if i is not None else None
                if exact:
                    refs.add(exact, _DIGITS_KNOWN, f"numéro {cited} (facture {exact}) dans {where}")
            near = set()
            if exact is None and payer is not None:
                close: list[int] = []
                if len(digits) == 6 and kind == "digits":
                    counters = book.counters.get(payer, {})
                    for variant in counters.keys() & _one_edit_variants(digits, 6, book.alphabet):
                        close += (i for i in counters[variant] if is_open(i))
                else:
                    fulls = book.fulls.get(payer, {})
                    for variant in fulls.keys() & _one_edit_variants(digits, 10, book.alphabet):
                        if is_open(fulls[variant]) and book.ours[variant] == fulls[variant]:
                            close.append(fulls[variant])
                for i in sorted(close):
                    number = invoices[i].number
                    near.add(number)
                    refs.add(number, _NEAR, f"numéro {cited} à un chiffre près de {number} "
                                            f"dans {where} (à confirmer)")
            # what counts as citing an invoice number: our form, a 10-digit "20AA……" run, or a
            # digit run that names or nearly names one of the payer's invoices
            if kind == "form" or (len(digits) == 10 and digits.startswith("20")) or exact or near:
                refs.cite(cited, {exact} if exact else (), near)
    return refs
# pragma: no mutate end


# --- hypotheses ---------------------------------------------------------------------------------

# pragma: no mutate start
# (the subset search: performance machinery, docs/mutation.md)
def _subset_sums(cents: Sequence[int]) -> tuple[list[int], int, list[int], dict[int, int]]:
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


def _exact_subsets(cents: Sequence[int], target: int, *, min_size: int = 1,
                   sums: tuple[list[int], int, list[int], dict[int, int]] | None = None,
                   ) -> tuple[list[tuple[int, ...]], bool]:
    """The index sets of `cents` adding up to `target`, in the order `itertools.combinations` would
    try them (fewer first), as far as MAX_COMBINATIONS tries go; and whether they all went.
    `sums`: `_subset_sums(cents)`, when already known."""
    n = len(cents)
    offsets, complete = _tries(n, min_size)
    if n == 1:
        return ([(0,)] if cents[0] == target and min_size <= 1 else []), complete
    if n < min_size:
        return [], complete
    left, half, right, last = sums or _subset_sums(cents)
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
def _tries(n: int, min_size: int) -> tuple[dict[int, int], bool]:
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


def _allocate(invoices: Iterable[tuple[str, Decimal]], amount: Decimal) -> tuple[tuple[str, Decimal], ...]:
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


@dataclass(slots=True)
class _Context:
    """What every hypothesis of one credit is scored against."""

    credit: Credit
    payer: _Payer
    refs: _References
    book: _Book
    target: int
    payer_combos: frozenset[frozenset[str]]  # exact sets of 2+ among the payer's oldest invoices
    payer_exact_count: int  # the payer's invoices of this amount, and those sets
    payer_complete: bool
    ref_exact: tuple[frozenset[str], ...]  # exact sets among the referenced invoices
    global_exact: int  # how many open invoices have the amount as residual
    named_items: list[tuple[str, set[str]]]  # refs.named, sorted

    def in_payer_exact(self, numbers: frozenset[str]) -> bool:
        if len(numbers) > 1:
            return numbers in self.payer_combos
        i = self.book.ids[next(iter(numbers))]
        return (self.payer.ref is not None and self.book.invoices[i].funder_ref == self.payer.ref
                and self.book.cents[i] == self.target)


# A hypothesis scored: (rank, allocations). The rank orders best first: by score, then more of the
# credit applied, fewer invoices, older invoices, their numbers, the evidence; it holds the rest of
# the hypothesis, made only for the few kept (`_hypothesis`).
Ranked = tuple[tuple[int, Decimal, int, tuple[date, ...], tuple[str, ...], tuple[str, ...]],
               tuple[tuple[str, Decimal], ...]]


def _score(ctx: _Context, numbers: frozenset[str]) -> Ranked:
    """A set of invoices as a hypothesis: its allocations, its points (the table of the module's
    docstring) and their evidence; and its rank."""
    credit, payer, refs, book = ctx.credit, ctx.payer, ctx.refs, ctx.book
    # oldest first, each invoice up to its residual, until the credit is spent (as `_allocate`)
    invoices, strengths, others = [], [], []  # the set's invoices, their references, other funders'
    allocations, allocated_numbers, dates = [], [], []
    left, allocated, residuals, spent = credit.amount, ZERO, ZERO, False
    for i in sorted(map(book.ids.__getitem__, numbers)):
        inv = book.invoices[i]
        invoices.append(inv)
        strengths.append(refs.strength.get(inv.number, 0))
        if inv.funder_ref != payer.ref:
            others.append(inv.number)
        residual = book.residual[i]
        residuals += residual
        if not spent:
            applied = min(left, residual)
            if applied <= 0:
                spent = True
                continue
            allocations.append((inv.number, applied))
            allocated_numbers.append(inv.number)
            dates.append(book.dates[i])
            left -= applied
            allocated += applied
    points, evidence = 0, []

    weakest = min(strengths)
    if weakest:  # all of them referenced
        points += weakest
        evidence += sorted({refs.evidence[inv.number] for inv in invoices})
    elif max(strengths) >= _DOSSIER:
        points += _PARTLY_REFERENCED
        evidence.append("une partie seulement des factures est citée")
        evidence += sorted({refs.evidence[inv.number] for inv in invoices if inv.number in refs.evidence})

    if payer.ref is not None:
        if others:
            points -= 30
            evidence.append(f"payeur identifié ({payer.ref}) différent du débiteur de {', '.join(others)}")
        else:
            points += payer.points
            evidence.append(payer.evidence)
    else:
        evidence.append(payer.evidence)

    strong = weakest >= _STRONG
    exact = residuals == credit.amount
    if exact:
        points += 25
        evidence.append("montant exact" if len(invoices) == 1
                        else f"montant exact pour {len(invoices)} factures")
    elif credit.amount < residuals:
        if len(invoices) == 1 and strong:
            points += 20
        evidence.append(f"paiement partiel (reste dû {format_eur(residuals - allocated)})")
    else:
        if strong:
            points += 15
        evidence.append(f"trop-perçu de {format_eur(credit.amount - allocated)} "
                        "conservé en crédit non affecté")

    cited_elsewhere: list[str] = []
    contradicted: list[str] = []
    if ctx.named_items:  # the text cites invoice numbers
        cited_elsewhere = [token for token, named in ctx.named_items if not named & numbers]
        contradicted = [token for token in cited_elsewhere if not refs.near[token] & numbers]
    if contradicted:
        points -= 20
        evidence.append(f"le texte cite un autre numéro de facture ({', '.join(contradicted)})")
    single = len(numbers) == 1
    if exact and not cited_elsewhere:
        if (payer.ref is not None and ctx.payer_exact_count == 1 and ctx.in_payer_exact(numbers)
                and (single or ctx.payer_complete)):
            points += 35
            evidence.append("seule facture du payeur à ce montant" if single
                            else "seule combinaison de factures du payeur à ce montant")
        elif numbers in ctx.ref_exact and len(ctx.ref_exact) == 1:
            points += 20
            evidence.append("seule facture citée à ce montant" if single
                            else "seule combinaison des factures citées à ce montant")
        elif payer.ref is None and single and ctx.global_exact == 1:
            points += 10
            evidence.append("seule facture ouverte de ce montant")

    if exact and not single and not ctx.payer_complete and numbers in ctx.payer_combos:
        evidence.append("recherche de combinaisons limitée aux plus anciennes factures du payeur")

    score = max(0, min(100, points))
    if invoices[-1].issue_date > credit.booking_date:  # oldest first: the last one is the latest
        score = min(score, _LATE_CAP)
        late = [inv.number for inv in invoices if inv.issue_date > credit.booking_date]
        evidence.append(f"facture émise après le paiement ({', '.join(late)})")

    return ((-score, credit.amount - allocated, len(allocations), tuple(dates), tuple(allocated_numbers),
             tuple(evidence)), tuple(allocations))


def _hypothesis(ctx: _Context, ranked: Ranked) -> Hypothesis:
    (minus_score, unapplied, _, _, _, evidence), allocations = ranked
    return Hypothesis(allocations=allocations, unapplied=unapplied, score=-minus_score, evidence=evidence,
                      payer=ctx.payer.ref)


def _ranked(ctx: _Context, candidates: Iterable[frozenset[str]], groups: list[list[int]]
            ) -> Iterator[Hypothesis]:
    """The hypotheses, best first, that allocate differently (of two sets that allocate alike, a
    partial payment, the better one): among the candidates, and the interchangeable invoices of each
    group, which rank by age, so that the next one of a group is scored only once the previous one is
    asked for. Lazy: a certain decision needs only the best two."""
    pending = [(*_score(ctx, numbers), None, 0) for numbers in candidates]
    pending += [(*_score(ctx, frozenset({ctx.book.invoices[group[0]].number})), group, 1) for group in groups]
    pending.sort(key=itemgetter(0))
    seen: set[tuple[tuple[str, Decimal], ...]] = set()
    while pending:
        rank, allocations, group, following = pending.pop(0)
        if allocations not in seen:
            seen.add(allocations)
            yield _hypothesis(ctx, (rank, allocations))
        if group is not None and following < len(group):
            number = ctx.book.invoices[group[following]].number
            insort(pending, (*_score(ctx, frozenset({number})), group, following + 1), key=itemgetter(0))


def _review(line_id: str, reason: str, hypotheses: Sequence[Hypothesis] = ()) -> MatchDecision:
    return MatchDecision(line_id=line_id, auto=False, best=hypotheses[0] if hypotheses else None,
                         proposals=tuple(hypotheses[:3]), reason=reason)


_KEPT = 3  # of the interchangeable single invoices of an amount, those that can be proposed


# pragma: no mutate start
# (the lazy ranking's pruning: performance machinery, docs/mutation.md)
def _interchangeable(bucket: Sequence[int], late_from: int, pointed: set[str], invoices: list[OpenInvoice],
                     payers: Sequence[int] = ()) -> list[list[int]]:
    """Two groups: the oldest `_KEPT` invoices of `bucket` issued by the payment, and the oldest
    `_KEPT` issued after it, leaving out those the text points at, and `payers` (a part of `bucket`).
    Single invoices of the amount that the text does not point at score alike within such a group
    and rank by age: the others could never be among the proposals."""
    groups: list[list[int]] = []
    if not bucket:
        return groups
    cut = bisect_left(bucket, late_from)
    for lo, hi in ((0, cut), (cut, len(bucket))):
        kept: list[int] = []
        position = lo
        while position < hi and len(kept) < _KEPT:
            i = bucket[position]
            mine = bisect_left(payers, i) if payers else 0
            if mine < len(payers) and payers[mine] == i:
                # skip the run of `payers` starting here at once: bucket and payers stay aligned
                # until the first invoice of another funder
                step, limit = 1, min(hi - position, len(payers) - mine)
                while step < limit:
                    middle = (step + limit) // 2
                    if bucket[position + middle] == payers[mine + middle]:
                        step = middle + 1
                    else:
                        limit = middle
                position += step
                continue
            if invoices[i].number not in pointed:
                kept.append(i)
            position += 1
        if kept:
            groups.append(kept)
    return groups
# pragma: no mutate end


def match_credit(credit: Credit, open_invoices: Iterable[OpenInvoice], directory: PayerDirectory, *,
                 certain: int = 90, margin: int = 25, max_subset: int = 12) -> MatchDecision:
    """The decision for one credit against the open invoices (see the module's docstring)."""
    return _match(credit, _Book(open_invoices), _Payers(directory),
                  certain=certain, margin=margin, max_subset=max_subset)


def _match(credit: Credit, book: _Book, payers: _Payers, *,
           certain: int = 90, margin: int = 25, max_subset: int = 12) -> MatchDecision:
    if credit.amount <= 0:
        return _review(credit.line_id, "ligne non créditrice : hors rapprochement des factures")
    target = _cents(credit.amount)
    if book.error is not None:
        raise book.error
    payer = payers.identify(credit)
    refs = _find_references(credit, book, payer.ref)
    invoices, ids, cents = book.invoices, book.ids, book.cents

    ref_exact: list[frozenset[str]] = []
    if refs.strength:
        referenced = sorted(ids[n] for n, s in refs.strength.items() if s >= _DOSSIER)[:max_subset]
        ref_exact = [frozenset(invoices[referenced[k]].number for k in combo)
                     for combo in _exact_subsets([cents[i] for i in referenced], target)[0]]
    combos: list[frozenset[str]] = []
    payer_complete = True
    payer_bucket: Sequence[int] = ()
    if payer.ref is not None:
        payer_pool, found, payer_complete = book.payer_subsets(payer.ref, max_subset, target)
        payer_complete = payer_complete and book.open_count.get(payer.ref, 0) <= max_subset
        if found:
            combos = [frozenset(invoices[payer_pool[k]].number for k in combo) for combo in found]
        payer_bucket = book.payer_cents.get((payer.ref, target), ())
    global_bucket = book.by_cents.get(target, ())

    candidates: set[frozenset[str]] = set(combos)
    if refs.strength:
        candidates.update(frozenset({number}) for number in refs.strength)
        named = sorted(ids[n] for n, s in refs.strength.items() if s >= _STRONG)
        if len(named) > 1:
            candidates.add(frozenset(invoices[i].number for i in named))
        candidates.update(ref_exact)
    # the invoices of the amount: those the text points at in any way, each; of the others, only
    # the few that can rank among the proposals
    pointed = set(refs.strength).union(*refs.named.values(), *refs.near.values())
    if pointed:
        candidates.update(frozenset({n}) for n in pointed if cents[ids[n]] == target and book.is_open(ids[n]))
    late_from = bisect_right(book.dates, credit.booking_date)
    groups = _interchangeable(payer_bucket, late_from, pointed, invoices)
    if len(global_bucket) > len(payer_bucket):  # else they are the same invoices
        groups += _interchangeable(global_bucket, late_from, pointed, invoices, payer_bucket)
    if not candidates and not groups and payer.ref is not None:
        spread = _allocate(((invoices[i].number, book.residual[i]) for i in book.oldest(payer.ref)),
                           credit.amount)
        if spread:
            candidates.add(frozenset(number for number, _ in spread))

    ctx = _Context(credit, payer, refs, book, target, frozenset(combos),
                   len(payer_bucket) + len(combos), payer_complete, tuple(ref_exact), len(global_bucket),
                   sorted(refs.named.items()))
    ranking = _ranked(ctx, candidates, groups)
    hypotheses = list(islice(ranking, 2))
    if not hypotheses:
        return _review(credit.line_id, "aucune facture candidate")
    best = hypotheses[0]
    second = hypotheses[1].score if len(hypotheses) > 1 else 0
    gap = best.score - second
    if best.score >= certain and gap >= margin:
        reason = f"hypothèse sûre (score {best.score}, écart {gap} avec la suivante)"
        if best.unapplied > 0:
            reason += f" ; trop-perçu de {format_eur(best.unapplied)} à traiter"
        return MatchDecision(credit.line_id, True, best, tuple(hypotheses), reason)
    hypotheses += islice(ranking, 1)
    if len(hypotheses) > 1 and gap < margin:
        reason = f"deux hypothèses proches (scores {best.score} et {second})"
    else:
        reason = f"score insuffisant ({best.score} < {certain})"
    return _review(credit.line_id, reason, hypotheses)


_credit_order = attrgetter("booking_date", "line_id", "amount", "label", "reference", "counterparty",
                           "counterparty_iban")  # a statement's order, whatever the input order


def match_credits(credits: Iterable[Credit], open_invoices: Iterable[OpenInvoice],
                  directory: PayerDirectory, **options: int) -> list[MatchDecision]:
    """The decisions for a statement, by (booking date, line id), whatever the input order.

    Each automatic decision's allocations are deducted from the residuals before the next credit
    is matched, so an invoice never receives more than its residual over the run. The invoices and
    the directory are indexed once for the run (`_Book`, `_Payers`): a credit costs what its text,
    its payer and its amount point at, not the number of open invoices.
    """
    book, payers = _Book(open_invoices), _Payers(directory)
    decisions = []
    for credit in sorted(credits, key=_credit_order):
        decision = _match(credit, book, payers, **options)
        if decision.auto and decision.best is not None:
            for number, amount in decision.best.allocations:
                book.apply(number, amount)
        decisions.append(decision)
    return decisions
