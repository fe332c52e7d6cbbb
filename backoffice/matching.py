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
  digits-only number of one of the payer's invoices, payer known                      +40
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
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from difflib import SequenceMatcher
from functools import lru_cache
from itertools import combinations

from backoffice.identifiers import normalize_iban
from backoffice.money import CENT, ZERO, format_eur
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
    proposals: tuple[Hypothesis, ...]  # top 3, best first
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
    return any(f" {phrase} " in words for phrase in phrases)


def classify(amount: Decimal, label: str, counterparty_iban: str, own_ibans: set[str]) -> str:
    """What a bank line is, for routing: only "funder_payment" lines go to invoice matching.

    * a credit from one of our own accounts, a returned or cancelled transfer of ours ("REJET",
      "RETOUR VIR", "EXTOURNE"…), or a zero amount: "other_credit";
    * any other credit: "funder_payment";
    * a debit starting with a fee word (COMMISSION, FRAIS, COTISATION, ABONNEMENT, AGIOS…):
      "bank_fee" — checked before the payout markers, so "FRAIS VIR SEPA EMIS" is a fee;
    * a debit to one of our own accounts, or one of our SEPA payouts ("VIR SEPA EMIS",
      "VIR INST EMIS", "PAYOUT-…" of our pain.001): "own_transfer" — so "VIR SEPA EMIS
      FRAIS DEPLACEMENT" stays a payout;
    * a debit with a fee word elsewhere: "bank_fee"; any other debit: "other_debit".
    """
    iban = normalize_iban(counterparty_iban)
    own = {normalize_iban(value) for value in own_ibans}
    words = _words(label)
    if amount > 0:
        if (iban and iban in own) or _has(words, _RETURN_MARKERS):
            return OTHER_CREDIT
        return FUNDER_PAYMENT
    if amount == 0:
        return OTHER_CREDIT
    first = words.split()[:3]
    if any(" ".join(first[:n]) in _FEE_WORDS for n in (1, 2, 3)):
        return BANK_FEE
    if (iban and iban in own) or _has(words, _PAYOUT_MARKERS):
        return OWN_TRANSFER
    if _has(words, _FEE_WORDS):
        return BANK_FEE
    return OTHER_DEBIT


# --- payer identification -----------------------------------------------------------------------

LEGAL_FORMS = frozenset({
    "SA", "SAS", "SASU", "SARL", "EURL", "SCI", "SNC", "SCS", "SCA", "SCOP", "SCIC", "SCM", "SCP",
    "SEL", "SELARL", "SELAS", "SELAFA", "EI", "EIRL", "GIE", "STE", "SOCIETE", "ETS",
})
NAME_THRESHOLD = 0.85
_IBAN_POINTS, _EXACT_NAME_POINTS, _FUZZY_NAME_POINTS = 30, 25, 20


def _name_tokens(text: str) -> tuple[str, ...]:
    """A company name as compared: no accents, upper case, "&" as "ET", no legal form."""
    folded = _words(text.replace("&", " ET ").replace(".", ""))  # "S.A.S." is "SAS"
    return tuple(word for word in folded.split() if word not in LEGAL_FORMS)


def _contains(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    size = len(needle)
    return any(haystack[i:i + size] == needle for i in range(len(haystack) - size + 1))


@dataclass(frozen=True, slots=True)
class _Payer:
    ref: str | None
    evidence: str
    points: int


def _identify(credit: Credit, directory: PayerDirectory) -> _Payer:
    ibans = {normalize_iban(iban): ref for iban, ref in directory.ibans.items()}
    iban = normalize_iban(credit.counterparty_iban)
    if iban and iban in ibans:
        return _Payer(ibans[iban], "payeur identifié par son IBAN", _IBAN_POINTS)
    # (points, similarity, funder_ref, evidence) per funder, best first
    found: list[tuple[int, float, str, str]] = []
    name = _name_tokens(credit.counterparty)
    label = _name_tokens(credit.label)
    for ref in sorted(directory.names):
        best: tuple[int, float, str, str] | None = None
        aliases = directory.names[ref]
        for alias in (aliases,) if isinstance(aliases, str) else aliases:  # one name given as a str
            tokens = _name_tokens(alias)
            if not tokens or len("".join(tokens)) < 3:
                continue
            if name:
                ratio = SequenceMatcher(None, " ".join(sorted(name)), " ".join(sorted(tokens))).ratio()
                if name == tokens or sorted(name) == sorted(tokens):
                    hit = (_EXACT_NAME_POINTS, 1.0, ref, f"payeur identifié par son nom ({alias})")
                elif ratio >= NAME_THRESHOLD or _contains(name, tokens):
                    hit = (_FUZZY_NAME_POINTS, ratio, ref,
                           f"payeur reconnu par un nom approchant ({credit.counterparty} ≈ {alias})")
                else:
                    continue
            elif _contains(label, tokens):
                hit = (_FUZZY_NAME_POINTS, 1.0, ref, f"payeur reconnu dans le libellé ({alias})")
            else:
                continue
            if best is None or hit[:2] > best[:2]:
                best = hit
        if best is not None:
            found.append(best)
    if not found:
        return _Payer(None, "payeur non identifié", 0)
    found.sort(key=lambda hit: (-hit[0], -hit[1], hit[2]))
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
    payer = _identify(credit, directory)
    return payer.ref, payer.evidence


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


def _text(value: str) -> str:
    return normalise_label(value).upper()


@lru_cache(maxsize=4096)
def _ref_pattern(reference: str) -> re.Pattern[str] | None:
    """A dossier or session reference with any separators (or none) between its letter/digit runs."""
    runs = re.findall(r"[A-Z]+|\d+", _text(reference))
    if len("".join(runs)) < 5:
        return None
    return re.compile(r"(?<![A-Z0-9])" + _SEP.join(runs) + r"(?![A-Z0-9])")


def _one_edit(a: str, b: str) -> bool:
    """Exactly one digit substituted, inserted or dropped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


@dataclass(slots=True)
class _References:
    """What the text of a credit points at."""

    strength: dict[str, int] = field(default_factory=dict)  # invoice number → best strength
    evidence: dict[str, str] = field(default_factory=dict)  # invoice number → its evidence
    named: dict[str, set[str]] = field(default_factory=dict)  # cited token → numbers it names exactly
    near: dict[str, set[str]] = field(default_factory=dict)  # cited token → numbers one digit off

    def add(self, number: str, strength: int, evidence: str) -> None:
        if strength > self.strength.get(number, 0):
            self.strength[number] = strength
            self.evidence[number] = evidence


def _split_number(number: str) -> tuple[str, str] | None:
    """("2026", "000123") for "FA-2026-000123"; None for another format."""
    found = re.fullmatch(r"FA-(\d{4})-(\d{6})", number)
    return (found[1], found[2]) if found else None


def _find_references(credit: Credit, invoices: Sequence[OpenInvoice], payer: str | None) -> _References:
    refs = _References()
    ours = {n: parts for inv in invoices if (parts := _split_number(n := inv.number))}
    by_full = {year + counter: number for number, (year, counter) in ours.items()}
    payer_numbers = [inv.number for inv in invoices if inv.funder_ref == payer and inv.number in ours]
    for where, attr in _FIELDS:
        text = _text(getattr(credit, attr))
        if not text:
            continue
        # dossier and session references first, blanked so that their digits are not read as
        # invoice numbers ("AT-2026-012345" holds the run "012345")
        cited_refs: list[re.Pattern[str]] = []
        for inv in invoices:
            for kind, value in (("dossier", inv.dossier_number), ("session", inv.session_ref)):
                pattern = _ref_pattern(value) if value else None
                if pattern is not None and pattern.search(text):
                    refs.add(inv.number, _DOSSIER, f"{kind} {value} dans {where}")
                    cited_refs.append(pattern)
        for pattern in cited_refs:
            text = pattern.sub(" ", text)
        tokens: list[tuple[str, str, str]] = []  # (token as cited, digits compared, kind)
        for found in _INVOICE_FORM.finditer(text):
            tokens.append((f"FA-{found[1]}-{found[2]}", found[1] + found[2], "form"))
        rest = _INVOICE_FORM.sub(" ", text)
        for found in _DIGITS.finditer(rest):
            tokens.append((found[1], found[1], "digits"))
        for cited, digits, kind in tokens:
            exact = by_full.get(digits) if kind == "form" or len(digits) == 10 else None
            if kind == "form" and len(digits) == 10 and exact:
                refs.add(exact, _EXACT, f"numéro de facture {exact} dans {where}")
            elif kind == "digits" and len(digits) == 10 and exact:
                if payer is not None and exact in payer_numbers:
                    refs.add(exact, _DIGITS_KNOWN, f"numéro {cited} (facture {exact}) dans {where}")
                elif payer is None:
                    refs.add(exact, _DIGITS_UNKNOWN,
                             f"numéro {cited} (facture {exact} ?) dans {where}, payeur inconnu")
            elif kind == "digits" and len(digits) == 6 and payer is not None:
                exact = next((n for n in payer_numbers if ours[n][1] == digits), None)
                if exact:
                    refs.add(exact, _DIGITS_KNOWN, f"numéro {cited} (facture {exact}) dans {where}")
            near = set()
            if exact is None and payer is not None:
                for number in payer_numbers:
                    theirs = ours[number][1] if len(digits) == 6 and kind == "digits" else "".join(
                        ours[number])
                    if _one_edit(digits, theirs):
                        near.add(number)
                        refs.add(number, _NEAR, f"numéro {cited} à un chiffre près de {number} "
                                                f"dans {where} (à confirmer)")
            # what counts as citing an invoice number: our form, a 10-digit "20AA……" run, or a
            # digit run that names or nearly names one of the payer's invoices
            cites = kind == "form" or (len(digits) == 10 and digits.startswith("20")) or exact or near
            if cites:
                refs.named.setdefault(cited, set()).update({exact} if exact else set())
                refs.near.setdefault(cited, set()).update(near)
    return refs


# --- hypotheses ---------------------------------------------------------------------------------

def _cents(amount: Decimal) -> int:
    cents = amount / CENT
    if cents != cents.to_integral_value():
        raise ValueError(f"montant au-delà du centime : {amount}")
    return int(cents)


def _age(inv: OpenInvoice) -> tuple[date, str]:
    return inv.issue_date, inv.number


def _exact_subsets(pool: Sequence[OpenInvoice], target: int, *, limit: int,
                   min_size: int = 1) -> tuple[list[frozenset[str]], bool]:
    """Sets of invoices (oldest `limit` of the pool) whose residuals add up to `target` cents,
    fewer invoices first, within MAX_COMBINATIONS tries; and whether the search was complete."""
    items = sorted(pool, key=_age)
    complete = len(items) <= limit
    items = items[:limit]
    cents = [_cents(inv.residual) for inv in items]
    found: list[frozenset[str]] = []
    tried = 0
    for size in range(min_size, len(items) + 1):
        for combo in combinations(range(len(items)), size):
            tried += 1
            if tried > MAX_COMBINATIONS:
                return found, False
            if sum(cents[i] for i in combo) == target:
                found.append(frozenset(items[i].number for i in combo))
    return found, complete


def _allocate(invoices: Sequence[OpenInvoice], amount: Decimal) -> tuple[tuple[str, Decimal], ...]:
    """Oldest first, each invoice up to its residual, until the credit is spent."""
    left = amount
    allocations = []
    for inv in sorted(invoices, key=_age):
        applied = min(left, inv.residual)
        if applied <= 0:
            break
        allocations.append((inv.number, applied))
        left -= applied
    return tuple(allocations)


@dataclass(frozen=True, slots=True)
class _Context:
    credit: Credit
    payer: _Payer
    refs: _References
    by_number: Mapping[str, OpenInvoice]
    payer_exact: tuple[frozenset[str], ...]  # exact sets among the payer's open invoices
    payer_complete: bool
    ref_exact: tuple[frozenset[str], ...]  # exact sets among the referenced invoices
    global_exact: tuple[str, ...]  # open invoices whose residual is the amount


def _score(ctx: _Context, numbers: frozenset[str]) -> Hypothesis:
    credit, payer, refs = ctx.credit, ctx.payer, ctx.refs
    invoices = sorted((ctx.by_number[n] for n in numbers), key=_age)
    allocations = _allocate(invoices, credit.amount)
    allocated = sum((amount for _, amount in allocations), ZERO)
    residuals = sum((inv.residual for inv in invoices), ZERO)
    points, evidence = 0, []

    strengths = [refs.strength.get(inv.number, 0) for inv in invoices]
    if all(strengths):
        points += min(strengths)
        evidence += sorted({refs.evidence[inv.number] for inv in invoices})
    elif any(s >= _DOSSIER for s in strengths):
        points += _PARTLY_REFERENCED
        evidence.append("une partie seulement des factures est citée")
        evidence += sorted({refs.evidence[inv.number] for inv in invoices if inv.number in refs.evidence})

    if payer.ref is not None:
        others = [inv.number for inv in invoices if inv.funder_ref != payer.ref]
        if others:
            points -= 30
            evidence.append(f"payeur identifié ({payer.ref}) différent du débiteur de {', '.join(others)}")
        else:
            points += payer.points
            evidence.append(payer.evidence)
    else:
        evidence.append(payer.evidence)

    strong = all(s >= _STRONG for s in strengths)
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

    cited_elsewhere = [token for token, named in sorted(refs.named.items()) if not named & numbers]
    contradicted = [token for token in cited_elsewhere if not refs.near[token] & numbers]
    if contradicted:
        points -= 20
        evidence.append(f"le texte cite un autre numéro de facture ({', '.join(contradicted)})")
    if exact and not cited_elsewhere:
        single = len(numbers) == 1
        if (payer.ref is not None and numbers in ctx.payer_exact and len(ctx.payer_exact) == 1
                and (single or ctx.payer_complete)):
            points += 35
            evidence.append("seule facture du payeur à ce montant" if single
                            else "seule combinaison de factures du payeur à ce montant")
        elif numbers in ctx.ref_exact and len(ctx.ref_exact) == 1:
            points += 20
            evidence.append("seule facture citée à ce montant" if single
                            else "seule combinaison des factures citées à ce montant")
        elif payer.ref is None and single and ctx.global_exact == tuple(numbers):
            points += 10
            evidence.append("seule facture ouverte de ce montant")

    if exact and len(numbers) > 1 and not ctx.payer_complete and numbers in ctx.payer_exact:
        evidence.append("recherche de combinaisons limitée aux plus anciennes factures du payeur")

    score = max(0, min(100, points))
    late = [inv.number for inv in invoices if inv.issue_date > credit.booking_date]
    if late:
        score = min(score, _LATE_CAP)
        evidence.append(f"facture émise après le paiement ({', '.join(late)})")

    return Hypothesis(allocations=allocations, unapplied=credit.amount - allocated,
                      score=score, evidence=tuple(evidence), payer=payer.ref)


def _rank(hypothesis: Hypothesis, by_number: Mapping[str, OpenInvoice]) -> tuple:
    """Best first: score, then more of the credit applied, fewer invoices, older invoices."""
    dates = tuple(sorted(by_number[n].issue_date for n, _ in hypothesis.allocations))
    return (-hypothesis.score, hypothesis.unapplied, len(hypothesis.allocations), dates,
            tuple(n for n, _ in hypothesis.allocations), hypothesis.evidence)


def _review(line_id: str, reason: str, hypotheses: Sequence[Hypothesis] = ()) -> MatchDecision:
    return MatchDecision(line_id=line_id, auto=False, best=hypotheses[0] if hypotheses else None,
                         proposals=tuple(hypotheses[:3]), reason=reason)


def match_credit(credit: Credit, open_invoices: Iterable[OpenInvoice], directory: PayerDirectory, *,
                 certain: int = 90, margin: int = 25, max_subset: int = 12) -> MatchDecision:
    """The decision for one credit against the open invoices (see the module's docstring)."""
    if credit.amount <= 0:
        return _review(credit.line_id, "ligne non créditrice : hors rapprochement des factures")
    _cents(credit.amount)
    invoices = sorted((inv for inv in open_invoices if inv.residual > 0), key=_age)
    by_number: dict[str, OpenInvoice] = {}
    for inv in invoices:
        if inv.number in by_number:
            raise ValueError(f"facture en double dans les factures ouvertes : {inv.number}")
        by_number[inv.number] = inv
    payer = _identify(credit, directory)
    refs = _find_references(credit, invoices, payer.ref)
    target = _cents(credit.amount)

    referenced = [inv for inv in invoices if refs.strength.get(inv.number, 0) >= _DOSSIER]
    ref_exact, _ = _exact_subsets(referenced, target, limit=max_subset)
    payer_pool = [inv for inv in invoices if payer.ref is not None and inv.funder_ref == payer.ref]
    payer_singles = [frozenset({inv.number}) for inv in payer_pool if _cents(inv.residual) == target]
    payer_combos, payer_complete = _exact_subsets(payer_pool, target, limit=max_subset, min_size=2)
    payer_exact = payer_singles + payer_combos
    global_exact = tuple(inv.number for inv in invoices if _cents(inv.residual) == target)

    candidates: set[frozenset[str]] = {frozenset({number}) for number in refs.strength}
    named = [inv.number for inv in invoices if refs.strength.get(inv.number, 0) >= _STRONG]
    if len(named) > 1:
        candidates.add(frozenset(named))
    candidates.update(ref_exact, payer_exact, (frozenset({n}) for n in global_exact))
    if not candidates and payer_pool:
        spread = _allocate(payer_pool, credit.amount)
        candidates.add(frozenset(number for number, _ in spread))

    ctx = _Context(credit, payer, refs, by_number, tuple(payer_exact), payer_complete,
                   tuple(ref_exact), global_exact)
    hypotheses: list[Hypothesis] = []
    seen: set[tuple[tuple[str, Decimal], ...]] = set()
    for hypothesis in sorted((_score(ctx, numbers) for numbers in candidates),
                             key=lambda h: _rank(h, by_number)):
        if hypothesis.allocations not in seen:  # two sets may allocate alike (a partial payment)
            seen.add(hypothesis.allocations)
            hypotheses.append(hypothesis)
    if not hypotheses:
        return _review(credit.line_id, "aucune facture candidate")
    best = hypotheses[0]
    second = hypotheses[1].score if len(hypotheses) > 1 else 0
    gap = best.score - second
    if best.score >= certain and gap >= margin:
        reason = f"hypothèse sûre (score {best.score}, écart {gap} avec la suivante)"
        if best.unapplied > 0:
            reason += f" ; trop-perçu de {format_eur(best.unapplied)} à traiter"
        return MatchDecision(credit.line_id, True, best, tuple(hypotheses[:3]), reason)
    if len(hypotheses) > 1 and gap < margin:
        reason = f"deux hypothèses proches (scores {best.score} et {second})"
    else:
        reason = f"score insuffisant ({best.score} < {certain})"
    return _review(credit.line_id, reason, hypotheses)


def _credit_order(credit: Credit) -> tuple:
    return (credit.booking_date, credit.line_id, credit.amount, credit.label, credit.reference,
            credit.counterparty, credit.counterparty_iban)


def match_credits(credits: Iterable[Credit], open_invoices: Iterable[OpenInvoice],
                  directory: PayerDirectory, **options: int) -> list[MatchDecision]:
    """The decisions for a statement, by (booking date, line id), whatever the input order.

    Each automatic decision's allocations are deducted from the residuals before the next credit
    is matched, so an invoice never receives more than its residual over the run.
    """
    invoices = sorted(open_invoices, key=_age)
    residual = {inv.number: inv.residual for inv in invoices}
    decisions = []
    for credit in sorted(credits, key=_credit_order):
        still_open = [replace(inv, residual=residual[inv.number]) for inv in invoices
                      if residual[inv.number] > 0]
        decision = match_credit(credit, still_open, directory, **options)
        if decision.auto and decision.best is not None:
            for number, amount in decision.best.allocations:
                if amount > residual[number]:  # pragma: no cover - guaranteed by _allocate
                    raise AssertionError(f"allocation au-delà du reste dû de {number}")
                residual[number] -= amount
        decisions.append(decision)
    return decisions
