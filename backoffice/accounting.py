"""Double-entry bookkeeping of the ledger: which accounts each event moves, balanced entries,
lettering, numbering, and what a closed period allows (docs/accounting.md).

Plain values in, plain values out; amounts are integer cents here (exact, and what a pandas
column of the service holds): a positive amount is a debit, a negative one a credit.

- **The chart of accounts is data** (`data/accounts.csv`, read by the service): a role of this
  module (`ROLES`: sales, customers, …) to an account number and label the accountant may change.
  `chart_from_rows` refuses a chart with a role missing or a number that is not a PCG number
  (its first three characters digits, A47 A-1 of the LPF: CompteNum).
- **What each document posts** (`POSTINGS`): the lines of an invoice, a credit note (the same,
  sides reversed) and a trainer's invoice (received or self-billed), as (role, sign, amount).
  A bank statement line posts the bank (512) against what explains it (`BANK_REST_ROLE` for the
  rest): the service builds those lines from the allocations and payouts.
- **Auxiliary accounts** (`customer_aux`, `trainer_aux`): one per OPCO, per client and per
  trainer, so each funder's balance and each trainer's are read directly.
- **Lettering** (`lettering`): the lines of one auxiliary account that carry the same document
  key (an invoice number for 411, a trainer's invoice number for 401) and sum to zero share a
  code (`AA`, `AB`, … per auxiliary account, in the order they were settled); their `DateLet` is
  the date of the last of them. A partly paid invoice stays unlettered.
- **Numbering** (`number_entries`): per journal and per year, in date order, without a gap,
  after the numbers a closed period already holds.
- **Closed periods** (`corrections`): an event of a closed period is never changed; what changed
  since is posted as a correction, dated the first day of the open period.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

# --- the chart of accounts --------------------------------------------------------------------

ROLES = {
    "sales": "sales of training services (invoices and credit notes, HT)",
    "customers": "customers: one auxiliary account per client and per OPCO",
    "suppliers": "trainers as suppliers: one auxiliary account per trainer",
    "bank": "the bank account of the statements",
    "subcontracting": "training sub-contracted to the trainers (HT)",
    "vat_collected": "VAT collected on sales",
    "vat_deductible": "VAT deductible on the trainers' invoices",
    "bank_fees": "bank fees",
    "suspense": "bank movements not explained yet (compte d'attente)",
}


class ChartError(ValueError):
    """A chart of accounts that cannot be used (French message)."""


@dataclass(frozen=True, slots=True)
class Account:
    role: str
    number: str
    label: str


@dataclass(frozen=True, slots=True)
class Chart:
    accounts: Mapping[str, Account]  # by role

    def __getitem__(self, role: str) -> Account:
        return self.accounts[role]


def chart_from_rows(rows: Iterable[Mapping[str, str]]) -> Chart:
    """The chart from `role, number, label` rows: every role once, PCG numbers."""
    accounts: dict[str, Account] = {}
    for row in rows:
        role, number, label = row.get("role", ""), row.get("number", ""), row.get("label", "")
        if role not in ROLES:
            raise ChartError(f"plan comptable : rôle inconnu « {role} »")
        if role in accounts:
            raise ChartError(f"plan comptable : rôle « {role} » en double")
        if len(number) < 3 or not number[:3].isdigit() or not number.isalnum():
            raise ChartError(f"plan comptable : numéro de compte « {number} » ({role}) : les "
                             "trois premiers caractères doivent être des chiffres du PCG")
        if not label:
            raise ChartError(f"plan comptable : compte {number} sans libellé")
        accounts[role] = Account(role, number, label)
    missing = sorted(set(ROLES) - set(accounts))
    if missing:
        raise ChartError(f"plan comptable : rôle(s) sans compte : {', '.join(missing)}")
    return Chart(accounts)


# --- journals and what each document posts ----------------------------------------------------

SALES, BANK, PURCHASES = "VT", "BQ", "HA"
JOURNALS = {SALES: "Journal des ventes", BANK: "Journal de banque", PURCHASES: "Journal des achats"}

DEBIT, CREDIT = 1, -1
# (role, sign, amount): the lines of one document, amounts HT, VAT and TTC; a zero amount posts
# no line (the training exemption: no VAT line)
POSTINGS: dict[str, tuple[tuple[str, int, str], ...]] = {
    "invoice": (("customers", DEBIT, "ttc"), ("sales", CREDIT, "ht"),
                ("vat_collected", CREDIT, "vat")),
    "credit_note": (("customers", CREDIT, "ttc"), ("sales", DEBIT, "ht"),
                    ("vat_collected", DEBIT, "vat")),
    "purchase": (("subcontracting", DEBIT, "ht"), ("vat_deductible", DEBIT, "vat"),
                 ("suppliers", CREDIT, "ttc")),
}
# what explains the rest of a bank line that no allocation or payout explains, by its class
BANK_REST_ROLE = {"bank_fee": "bank_fees"}
DEFAULT_BANK_REST_ROLE = "suspense"

OPCO_AUX, CLIENT_AUX, LEGACY_AUX, TRAINER_AUX = "OPCO-", "CLI-", "ANC-", "FOR-"


def customer_aux(funder_kind: str, funder_ref: str) -> str:
    """A funder's auxiliary account: `OPCO-ATLAS`, `CLI-C-001`."""
    return (OPCO_AUX if funder_kind == "opco" else CLIENT_AUX) + funder_ref


def legacy_aux(funder_name: str) -> str:
    """The auxiliary account of a funder known only by the name a previous tool gave it."""
    return LEGACY_AUX + "".join(c for c in funder_name.upper() if c.isalnum())[:20]


def trainer_aux(trainer_ref: str) -> str:
    return TRAINER_AUX + trainer_ref


def bank_rest_role(classification: str) -> str:
    return BANK_REST_ROLE.get(classification, DEFAULT_BANK_REST_ROLE)


# --- entries -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Line:
    account: str
    account_label: str
    amount: int  # cents: > 0 debit, < 0 credit
    aux: str = ""
    aux_label: str = ""
    key: str = ""  # the document it settles (lettering), on auxiliary accounts


@dataclass(frozen=True, slots=True)
class Entry:
    """One accounting entry (an écriture): balanced lines of one journal on one date."""

    journal: str
    event: str  # what it posts: `invoice:FA-2026-000001`, `bank:000000042`, `purchase:TR-01:F-12`
    day: date
    piece_ref: str
    piece_date: date
    label: str
    lines: tuple[Line, ...]
    number: str = ""  # EcritureNum, once numbered
    valid_date: date | None = None  # ValidDate: the day it became final (its period closed)

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines if line.amount > 0)

    @property
    def balanced(self) -> bool:
        return bool(self.lines) and sum(line.amount for line in self.lines) == 0


def unbalanced(entries: Iterable[Entry]) -> list[Entry]:
    """The entries whose debits and credits differ (or that have no line): none, ever."""
    return [entry for entry in entries if not entry.balanced]


def entry_sequence(number: str) -> int:
    """The sequence of an EcritureNum (`VT000012` → 12)."""
    return int(number[len(number.rstrip("0123456789")):] or 0)


def number_entries(entries: Iterable[Entry], after: Mapping[tuple[str, int], int] | None = None
                   ) -> list[Entry]:
    """The entries without a number numbered per journal and per year, in date order (then by
    event: an invoice's number, a statement line's id), after the last number `after` gives a
    (journal, year); numbered ones kept."""
    after = dict(after or {})
    numbered = [entry for entry in entries if entry.number]
    for entry in numbered:
        key = (entry.journal, entry.day.year)
        after[key] = max(after.get(key, 0), entry_sequence(entry.number))
    fresh = sorted((entry for entry in entries if not entry.number),
                   key=lambda e: (e.journal, e.day, e.event))
    result = list(numbered)
    for entry in fresh:
        key = (entry.journal, entry.day.year)
        after[key] = after.get(key, 0) + 1
        result.append(replace(entry, number=f"{entry.journal}{after[key]:06d}"))
    return sorted(result, key=lambda e: (e.day, e.journal, entry_sequence(e.number)))


# --- lettering ---------------------------------------------------------------------------------

def letter_code(index: int) -> str:
    """The index-th lettering code: AA, AB, … AZ, BA, … ZZ, then AAA…"""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    width = 2
    while index >= 26 ** width:
        index -= 26 ** width
        width += 1
    code = ""
    for _ in range(width):
        index, digit = divmod(index, 26)
        code = letters[digit] + code
    return code


@dataclass(frozen=True, slots=True)
class Lettered:
    code: str
    day: date  # DateLet: the date of the last line of the group


def lettering(lines: Iterable[tuple[object, str, str, str, int, date]]
              ) -> dict[object, Lettered]:
    """Lettering codes of (line id, account, aux, key, amount, date) lines: the lines of one
    auxiliary account and document key that sum to zero share a code; codes follow the order in
    which the groups were settled, per auxiliary account."""
    groups: dict[tuple[str, str, str], list[tuple[object, int, date]]] = {}
    for line_id, account, aux, key, amount, day in lines:
        if aux and key:
            groups.setdefault((account, aux, key), []).append((line_id, amount, day))
    settled = []
    for (account, aux, key), members in groups.items():
        if len(members) > 1 and sum(amount for _, amount, _ in members) == 0:
            settled.append((account, aux, max(day for _, _, day in members), key, members))
    result: dict[object, Lettered] = {}
    counters: dict[tuple[str, str], int] = {}
    for account, aux, day, _key, members in sorted(settled, key=lambda g: g[:4]):
        index = counters.get((account, aux), 0)
        counters[(account, aux)] = index + 1
        for line_id, _, _ in members:
            result[line_id] = Lettered(letter_code(index), day)
    return result


# --- closed periods ----------------------------------------------------------------------------

LineKey = tuple[str, str, str]  # account, aux, key


def net_lines(lines: Iterable[Line]) -> dict[LineKey, int]:
    """What lines move, netted per account, auxiliary account and document key."""
    net: dict[LineKey, int] = {}
    for line in lines:
        k = (line.account, line.aux, line.key)
        net[k] = net.get(k, 0) + line.amount
    return {k: amount for k, amount in net.items() if amount}


def first_open_day(closed_through: date | None) -> date | None:
    return closed_through + timedelta(days=1) if closed_through is not None else None


def corrections(wanted: Sequence[Entry], posted: Sequence[Entry],
                closed_through: date | None) -> list[Entry]:
    """The entries to post now, given the entries the ledger asks for (`wanted`, one per event)
    and those the closed periods hold (`posted`): an event not posted yet is posted as it is, on
    its own date, or on the first open day when its date is in the closed period (its label says
    so); an event posted already and changed since gets a correction entry of the difference, on
    the first open day (one the ledger no longer has — a line found to be a duplicate — is
    reversed); an unchanged one, nothing."""
    opening = first_open_day(closed_through)
    by_event: dict[str, list[Line]] = {}
    for entry in posted:
        by_event.setdefault(entry.event, []).extend(entry.lines)
    gone = {entry.event: replace(entry, lines=(), number="", valid_date=None)
            for entry in posted if entry.event not in {e.event for e in wanted}}
    result = []
    for entry in (*wanted, *gone.values()):
        before = by_event.get(entry.event)
        if not before:
            if opening is not None and closed_through is not None and entry.day <= closed_through:
                entry = replace(entry, day=opening, label=_late(entry.label, entry.day))
            result.append(entry)
            continue
        assert opening is not None  # something is posted: a period is closed
        change = net_lines(entry.lines)
        for k, amount in net_lines(before).items():
            change[k] = change.get(k, 0) - amount
        labels = {(line.account, line.aux): (line.account_label, line.aux_label)
                  for line in (*before, *entry.lines)}
        lines = tuple(Line(account, labels[(account, aux)][0], amount, aux,
                           labels[(account, aux)][1], key)
                      for (account, aux, key), amount in sorted(change.items()) if amount)
        if lines:
            result.append(replace(entry, day=max(opening, entry.day), lines=lines,
                                  label=_corrected(entry.label)))
    return result


def _late(label: str, day: date) -> str:
    return f"{label} (opération du {day:%d/%m/%Y}, période close)"[:200]


def _corrected(label: str) -> str:
    return f"Correction, période close : {label}"[:200]
