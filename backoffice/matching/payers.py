"""Who paid a credit: the IBAN learned from confirmed matches, else the counterparty's name learned
from confirmed matches, else the name (or, without one, the label) compared with the funders' names
and aliases.

A learned name (`PayerDirectory.learned_names`: the counterparty of lines an operator confirmed)
identifies its funder as its IBAN would (`BY_LEARNED_NAME`), when equal to the counterparty (folded,
in any word order) and when it designates one funder only: confirmed for one funder, and no other
funder's name or alias. Else the name is compared as any other.

Names are compared folded (accents, case, punctuation) and without legal forms (SAS, SARL…):
equal in any word order is the exact name; difflib's ratio at least `PAYER_NAME_THRESHOLD` on the
sorted words, or all of an alias's words in a row in the name, an approaching one; without a
counterparty, an alias's words in a row in the label. Two funders equally close: no payer
("payeur ambigu"). How the payer was found (`BY_IBAN`, `BY_NAME`…) is worth points in the score
(`scoring.PAYER_POINTS`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from backoffice.identifiers import normalize_iban
from backoffice.matching.model import Credit, PayerDirectory
from backoffice.matching.name_index import CloseNames
from backoffice.matching.text import words

LEGAL_FORMS = frozenset({
    "SA", "SAS", "SASU", "SARL", "EURL", "SCI", "SNC", "SCS", "SCA", "SCOP", "SCIC", "SCM", "SCP",
    "SEL", "SELARL", "SELAS", "SELAFA", "EI", "EIRL", "GIE", "STE", "SOCIETE", "ETS",
})
# how a payer was identified
BY_IBAN, BY_NAME, BY_APPROACHING_NAME, IN_LABEL = "iban", "name", "approaching name", "label"
BY_LEARNED_NAME = "learned name"  # a counterparty's name an operator confirmed

_ASCII_WORD = re.compile(r"[A-Z0-9]+")


def name_tokens(text: str) -> tuple[str, ...]:  # pragma: no mutate block
    """A company name as compared: no accents, upper case, "&" as "ET", no legal form."""
    text = text.replace("&", " ET ").replace(".", "")  # "S.A.S." is "SAS"
    # plain ASCII (most bank text): the words of `text.words` are its runs of letters and digits
    tokens = _ASCII_WORD.findall(text.upper()) if text.isascii() else words(text).split()
    return tuple(word for word in tokens if word not in LEGAL_FORMS)


@dataclass(frozen=True, slots=True)
class Payer:
    ref: str | None  # the funder, or None: not identified
    evidence: str  # French
    how: str | None  # BY_IBAN, BY_NAME, BY_APPROACHING_NAME or IN_LABEL; None when not identified


@dataclass(frozen=True, slots=True)
class _Alias:
    ref: str
    alias: str
    tokens: tuple[str, ...]


Hit = tuple[float, str, str]  # (difflib's ratio, funder_ref, evidence)


class Payers:
    """The directory, indexed once for a run: IBANs normalised; each alias looked up by its sorted words
    (exact names), by its words in a row (an alias within a name or a label), and by its sorted words
    approaching a name (`CloseNames`); and the answer for each counterparty name already seen, as
    statements repeat them, and for each set of aliases found in a label (a statement without
    counterparty names)."""

    def __init__(self, directory: PayerDirectory) -> None:  # pragma: no mutate block
        self.ibans = {normalize_iban(iban): Payer(ref, "payeur identifié par son IBAN", BY_IBAN)
                      for iban, ref in directory.ibans.items()}
        self.aliases: list[_Alias] = []  # in the order of the rule: funder_ref, then its aliases
        self.exact: dict[tuple[str, ...], list[int]] = {}
        self.runs: dict[tuple[str, ...], list[int]] = {}  # an alias's words, in order → aliases
        self.run_sizes: dict[str, set[int]] = {}  # first word → how many words the aliases have
        self.names = CloseNames()  # each alias's sorted words, in the order of `aliases`
        for ref in sorted(directory.names):
            aliases = directory.names[ref]
            for alias in (aliases,) if isinstance(aliases, str) else aliases:  # one name as a str
                tokens = name_tokens(alias)
                if not tokens or len("".join(tokens)) < 3:
                    continue
                index = len(self.aliases)
                self.aliases.append(_Alias(ref, alias, tokens))
                self.exact.setdefault(tuple(sorted(tokens)), []).append(index)
                self.runs.setdefault(tokens, []).append(index)
                self.run_sizes.setdefault(tokens[0], set()).add(len(tokens))
                self.names.add(" ".join(sorted(tokens)))
        learned: dict[tuple[str, ...], tuple[str, set[str]]] = {}  # sorted words → (a name, funders)
        for name in sorted(directory.learned_names):
            tokens = name_tokens(name)
            if tokens and len("".join(tokens)) >= 3:
                refs = learned.setdefault(tuple(sorted(tokens)), (name, set()))[1]
                refs.update(directory.learned_names[name])
        self.learned: dict[tuple[str, ...], Payer] = {}  # sorted words → the one funder they designate
        for key, (name, refs) in learned.items():
            funders = refs | {self.aliases[index].ref for index in self.exact.get(key, ())}
            if len(funders) == 1:
                self.learned[key] = Payer(next(iter(funders)),
                                          f"payeur reconnu par un nom confirmé par un opérateur ({name})",
                                          BY_LEARNED_NAME)
        self.by_name: dict[str, Payer] = {}
        self.nameless: set[str] = set()  # counterparties with no name: the label tells
        self.by_label: dict[frozenset[int], Payer] = {}  # the aliases found in a label → the payer
        self.iban_cache: dict[str, str] = {}

    def _within(self, words: tuple[str, ...]) -> set[int]:  # pragma: no mutate block
        """The aliases whose words appear in a row in `words`."""
        found: set[int] = set()
        for i, word in enumerate(words):
            for size in self.run_sizes.get(word, ()):
                found.update(self.runs.get(words[i:i + size], ()))
        return found

    def identify(self, credit: Credit) -> Payer:  # pragma: no mutate block
        iban = self.iban_cache.get(credit.counterparty_iban)
        if iban is None:
            iban = self.iban_cache[credit.counterparty_iban] = normalize_iban(credit.counterparty_iban)
        if iban and iban in self.ibans:
            return self.ibans[iban]
        known = self.by_name.get(credit.counterparty)
        if known is not None:
            return known
        if credit.counterparty not in self.nameless:
            name = name_tokens(credit.counterparty)
            if name:
                payer = self._identify_name(name, credit.counterparty)
                self.by_name[credit.counterparty] = payer
                return payer
            self.nameless.add(credit.counterparty)
        within = frozenset(self._within(name_tokens(credit.label)))
        labelled = self.by_label.get(within)
        if labelled is None:
            labelled = self.by_label[within] = _decide(self._label_hits(within), IN_LABEL)
        return labelled

    def _identify_name(self, name: tuple[str, ...], counterparty: str) -> Payer:
        """The funder a counterparty's name designates: by a learned name if any, else by an exact
        name, else by the best approaching one."""
        key = tuple(sorted(name))
        learned = self.learned.get(key)
        if learned is not None:
            return learned
        exact = self.exact.get(key, ())
        if exact:  # an exact name outranks every approaching one: only they count
            return _decide([(1.0, self.aliases[index].ref,
                             f"payeur identifié par son nom ({self.aliases[index].alias})")
                            for index in sorted(set(exact))], BY_NAME)
        joined = " ".join(sorted(name))
        hits = []
        for index in sorted(self._within(name) | self._close(joined)):
            alias = self.aliases[index]
            hits.append((self.names.ratio(index, joined), alias.ref,
                         f"payeur reconnu par un nom approchant ({counterparty} ≈ {alias.alias})"))
        return _decide(hits, BY_APPROACHING_NAME)

    def _close(self, joined: str) -> set[int]:  # pragma: no mutate block
        """The aliases whose sorted words difflib finds at least PAYER_NAME_THRESHOLD alike to `joined`."""
        return self.names.close(joined)

    def _label_hits(self, within: Iterable[int]) -> list[Hit]:
        return [(1.0, self.aliases[index].ref,
                 f"payeur reconnu dans le libellé ({self.aliases[index].alias})") for index in sorted(within)]


def _decide(hits: list[Hit], how: str) -> Payer:
    """The funder of the best hit (of a funder's equal hits, the first), or none if two are best."""
    best: dict[str, Hit] = {}
    for hit in hits:
        ref = hit[1]
        if ref not in best or hit[0] > best[ref][0]:
            best[ref] = hit
    if not best:
        return Payer(None, "payeur non identifié", None)
    found = sorted(best.values(), key=lambda hit: (-hit[0], hit[1]))
    top = found[0]
    if len(found) > 1 and found[1][0] == top[0]:
        tied = ", ".join(hit[1] for hit in found if hit[0] == top[0])
        return Payer(None, f"payeur ambigu ({tied})", None)
    return Payer(top[1], top[2], how)


def identify_payer(credit: Credit, directory: PayerDirectory) -> tuple[str | None, str]:
    """(funder_ref or None, French evidence): the learned IBAN first, then the name (the module's
    docstring)."""
    payer = Payers(directory).identify(credit)
    return payer.ref, payer.evidence
