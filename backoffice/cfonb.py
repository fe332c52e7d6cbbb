"""CFONB 120 « relevé de compte » files (docs/bank-statements.md), read as pure functions.

The French banks' fixed-width statement format: one record of 120 characters per line (a file
without line breaks is cut every 120 characters). Records, positions 1-based as in the CFONB
brochure « Relevé de compte sur support informatique » (2004) and its 2010 update for SEPA
transfers and debits (the `05` qualifiers):

- `01`, old balance, opens a statement: bank 3-7, desk 12-16, currency 17-19, decimals 20,
  account 22-32, date 35-40, amount 91-104;
- `04`, a movement: the same account fields, interbank operation code 33-34, booking date 35-40,
  value date 43-48, label 49-79, entry number 82-88, amount 91-104, reference 105-120;
- `05`, a movement's complement (any number, after its `04`): qualifier 46-48, text 49-118;
- `07`, new balance, closes the statement: as `01`.

Dates are `DDMMYY` (20YY). An amount is 13 digits and a last character that carries the last
digit and the sign: `{` and `A`…`I` are +0 and +1…+9, `}` and `J`…`R` are −0 and −1…−9; position
20 gives the number of decimals. The `05` qualifiers read: `LIB` (the remittance text, continued
over several records), `LCC`/`LC2`/`LCS` (label continued), `NPY` (payer), `NBE` (beneficiary),
`RCN` (the end-to-end / client reference), `REF` (the bank's reference), `IPY`/`IBE` (an identifier
of the payer / beneficiary: its IBAN when it is one); the others are kept in `raw` only.

The account is the IBAN made from the bank, desk and account number (its RIB key and IBAN check
digits are computed: they are checksums). Opening balance + movements = closing balance is
checked per statement; a gap is returned as a `BalanceGap` (the file is imported and flagged, as
for camt.053). Anything else that does not read is a located `RowError` and rejects the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from stdnum import iban as stdnum_iban

from backoffice import identifiers, money
from backoffice.export_format import RowError
from backoffice.statements import BalanceGap, StatementLine

__all__ = ["RECORD_LENGTH", "CfonbStatement", "looks_like_cfonb", "parse_amount", "read_cfonb",
           "rib_iban"]

RECORD_LENGTH = 120
RECORDS = ("01", "04", "05", "07")
# The last character of an amount: its last digit and its sign (the « caractère signé »).
_POSITIVE = {"{": 0, **{chr(ord("A") + i): i + 1 for i in range(9)}}
_NEGATIVE = {"}": 0, **{chr(ord("J") + i): i + 1 for i in range(9)}}
# 05 qualifiers whose text continues the movement's label, in the order they are joined
_LABEL_QUALIFIERS = ("LIB", "LCC", "LC2", "LCS")
_RIB_LETTERS = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "12345678912345678923456789")


@dataclass(frozen=True, slots=True)
class _Field:
    name: str  # French, for error messages
    start: int  # 1-based, as in the CFONB brochure
    end: int  # included

    def of(self, record: str) -> str:
        return record[self.start - 1 : self.end]

    @property
    def column(self) -> str:
        return f"{self.name} (positions {self.start}-{self.end})"


CODE = _Field("code enregistrement", 1, 2)
BANK = _Field("code banque", 3, 7)
DESK = _Field("code guichet", 12, 16)
CURRENCY = _Field("code devise", 17, 19)
DECIMALS = _Field("nombre de décimales", 20, 20)
ACCOUNT = _Field("numéro de compte", 22, 32)
OPERATION = _Field("code opération interbancaire", 33, 34)
DATE = _Field("date", 35, 40)
VALUE_DATE = _Field("date de valeur", 43, 48)
LABEL = _Field("libellé", 49, 79)
ENTRY = _Field("numéro d'écriture", 82, 88)
AMOUNT = _Field("montant", 91, 104)
REFERENCE = _Field("référence", 105, 120)
QUALIFIER = _Field("qualifiant", 46, 48)
COMPLEMENT = _Field("zone complémentaire", 49, 118)


@dataclass(frozen=True, slots=True)
class CfonbStatement:
    """What a CFONB 120 file holds: its lines, and the statements whose balances disagree."""

    lines: list[StatementLine]
    balance_gaps: tuple[BalanceGap, ...]
    accounts: frozenset[str]


def looks_like_cfonb(text: str) -> bool:
    """Whether the text is a CFONB 120 file: its first record is a `01` of 120 characters (or
    fewer, when the bank trims trailing spaces) with a numeric bank code."""
    first = next((r for r in records(text) if r.strip()), "")
    return bool(re.fullmatch(r"01\d{5}", first[:7])) and len(first) <= RECORD_LENGTH \
        and len(first) >= AMOUNT.end


def records(text: str) -> list[str]:
    """The records, one per line; a file of one long line is cut every 120 characters."""
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) == 1 and len(lines[0]) > RECORD_LENGTH and len(lines[0]) % RECORD_LENGTH == 0:
        whole = lines[0]
        return [whole[i : i + RECORD_LENGTH] for i in range(0, len(whole), RECORD_LENGTH)]
    return lines


def parse_amount(text: str, decimals: int) -> Decimal:
    """An amount of 13 digits and its signed last character, with `decimals` decimals.

    Raises ValueError (French message)."""
    if not re.fullmatch(r"\d{13}[{}A-R]", text):
        raise ValueError("montant illisible : 13 chiffres puis { } ou une lettre A à R attendus")
    last = text[-1]
    sign, digit = (1, _POSITIVE[last]) if last in _POSITIVE else (-1, _NEGATIVE[last])
    value = Decimal(f"{text[:-1]}{digit}").scaleb(-decimals)
    if value != value.quantize(money.CENT):
        raise ValueError(f"montant à plus de deux décimales ({value})")
    return money.quantize(sign * value)


def rib_iban(bank: str, desk: str, account: str) -> str:
    """The French IBAN of a RIB (bank, desk, account number): the RIB key and the IBAN check
    digits are computed (letters of the account number count as the RIB table says)."""
    digits = f"{bank}{desk}{account}".upper().translate(_RIB_LETTERS)
    key = 97 - (89 * int(digits[:5]) + 15 * int(digits[5:10]) + 3 * int(digits[10:21])) % 97
    bban = f"{bank}{desk}{account.upper()}{key:02d}"
    return f"FR{stdnum_iban.calc_check_digits('FR00' + bban)}{bban}"


@dataclass(slots=True)
class _Movement:
    number: int  # the physical line of its 04 record
    record: str
    amount: Decimal
    booking: date
    value_date: date | None
    account: str
    complements: list[tuple[str, str]] = field(default_factory=list)  # (qualifier, text)


@dataclass(slots=True)
class _Open:
    number: int
    key: tuple[str, str, str]  # bank, desk, account number
    account: str
    opening: Decimal
    movements: list[_Movement] = field(default_factory=list)


Report = Callable[[int, "_Field | str", str, str], None]


def read_cfonb(file_name: str, text: str, account: str = "") -> CfonbStatement | list[RowError]:
    """The booked lines of a CFONB 120 file, or every error that rejects it whole.

    `account`: our account for this file when the operator gave one (an IBAN, or the bank's
    account number); the file's own account must then be it."""
    given = identifiers.normalize_iban(account) if account else ""
    errors: list[RowError] = []

    def error(number: int, where: _Field | str, value: str, reason: str) -> None:
        column = where.column if isinstance(where, _Field) else where
        errors.append(RowError(file_name, number, column, value, reason))

    lines: list[StatementLine] = []
    gaps: list[BalanceGap] = []
    accounts: set[str] = set()
    current: _Open | None = None
    last: _Movement | None = None  # the movement a 05 complements
    for number, record in enumerate(records(text), start=1):
        code = CODE.of(record)
        if not record.strip():
            error(number, "", "", "ligne vide au milieu du fichier")
            continue
        if code not in RECORDS:
            error(number, CODE, code, "code enregistrement inconnu ; attendu : 01, 04, 05 ou 07")
            continue
        shortest = QUALIFIER.end if code == "05" else AMOUNT.end  # trailing spaces may be trimmed
        if not shortest <= len(record) <= RECORD_LENGTH:
            error(number, "", record[:40], f"{len(record)} caractères au lieu de {RECORD_LENGTH}")
            last = None
            continue
        record = record.ljust(RECORD_LENGTH)
        key = (BANK.of(record), DESK.of(record), ACCOUNT.of(record))
        if code == "01":
            if current is not None:
                error(number, CODE, code,
                      f"nouveau relevé avant la fin (07) de celui de la ligne {current.number}")
            current, last = _opening(number, record, key, given, error), None
            continue
        if current is None:
            error(number, CODE, code, "enregistrement hors d'un relevé (pas d'ancien solde 01 avant)")
            continue
        if key != current.key:
            error(number, ACCOUNT, " ".join(key),
                  f"autre compte que celui du relevé (ligne {current.number})")
            continue
        if code == "04":
            last = _movement(number, record, current.account, error)
            if last is not None:
                current.movements.append(last)
        elif code == "05":
            if last is not None:
                last.complements.append((QUALIFIER.of(record).strip(), COMPLEMENT.of(record)))
            elif not errors:  # after an unreadable 04, that error is enough
                error(number, CODE, code, "complément (05) sans opération (04) avant lui")
        else:  # 07
            closing = _balance(number, record, error)
            if closing is not None:
                booked = money.total([m.amount for m in current.movements])
                gap = BalanceGap(current.account, f"de la ligne {current.number}", current.opening,
                                 booked, closing)
                if gap.gap:
                    gaps.append(gap)
            lines.extend(_line(m) for m in current.movements)
            accounts.add(current.account)
            current, last = None, None
    if current is not None:
        error(current.number, CODE, "01", "relevé sans nouveau solde (07) : fichier incomplet")
    if errors:
        return errors
    if not accounts:
        return [RowError(file_name, 1, "", "", "aucun relevé (01 … 07) dans le fichier")]
    return CfonbStatement(lines, tuple(gaps), frozenset(accounts))


def _opening(number: int, record: str, key: tuple[str, str, str], given: str, error: Report) -> _Open:
    bank, desk, account_number = key
    own = given
    if not (bank.isdigit() and desk.isdigit() and re.fullmatch(r"[0-9A-Z]{11}", account_number)):
        error(number, ACCOUNT, " ".join(key), "banque, guichet ou compte illisible")
    else:
        own = rib_iban(bank, desk, account_number)
        if given and not (given == own or given in own or f"{bank}{desk}{account_number}" in given):
            error(number, ACCOUNT, account_number, f"relevé d'un autre compte que {given}")
    opening = _balance(number, record, error)
    return _Open(number, key, own, opening if opening is not None else money.ZERO)


def _decimals(number: int, record: str, error: Report) -> int | None:
    text = DECIMALS.of(record)
    if CURRENCY.of(record) != "EUR":
        error(number, CURRENCY, CURRENCY.of(record), "devise autre que l'euro : non prise en charge")
        return None
    if not text.isdigit() or int(text) > 3:
        error(number, DECIMALS, text, "nombre de décimales illisible (0 à 3 attendu)")
        return None
    return int(text)


def _amount(number: int, record: str, error: Report) -> Decimal | None:
    decimals = _decimals(number, record, error)
    if decimals is None:
        return None
    try:
        return parse_amount(AMOUNT.of(record), decimals)
    except ValueError as exc:
        error(number, AMOUNT, AMOUNT.of(record), str(exc))
        return None


def _balance(number: int, record: str, error: Report) -> Decimal | None:
    _date(number, record, DATE, error, required=True)
    return _amount(number, record, error)


def _date(number: int, record: str, where: _Field, error: Report, required: bool) -> date | None:
    text = where.of(record)
    if not text.strip() and not required:
        return None
    if not re.fullmatch(r"\d{6}", text):
        error(number, where, text, "date illisible (attendu : JJMMAA)")
        return None
    try:
        return date(2000 + int(text[4:]), int(text[2:4]), int(text[:2]))
    except ValueError:
        error(number, where, text, "date inexistante")
        return None


def _movement(number: int, record: str, account: str, error: Report) -> _Movement | None:
    booking = _date(number, record, DATE, error, required=True)
    value_date = _date(number, record, VALUE_DATE, error, required=False)
    amount = _amount(number, record, error)
    if booking is None or amount is None:
        return None
    return _Movement(number, record, amount, booking, value_date, account)


def _clean(text: str) -> str:
    return " ".join(text.split())


def _line(movement: _Movement) -> StatementLine:
    record = movement.record
    texts: dict[str, list[str]] = {}
    raw = {"04": record.rstrip()}
    for position, (qualifier, text) in enumerate(movement.complements, start=1):
        texts.setdefault(qualifier, []).append(text)
        raw[f"05[{position}] {qualifier}"] = text.rstrip()
    # a text cut at 70 characters continues in the next record: joined as written, then spaces
    continued = [_clean("".join(texts[q])) for q in _LABEL_QUALIFIERS if q in texts]
    label = " ".join(dict.fromkeys(t for t in (_clean(LABEL.of(record)), *continued) if t))
    party = "NPY" if movement.amount >= 0 else "NBE"
    counterparty = _clean("".join(texts.get(party, [])))
    party_id = "IPY" if movement.amount >= 0 else "IBE"
    party_iban = _first_iban(texts.get(party_id, []))
    references = [_clean(t[:35]) for q in ("RCN", "REF") for t in texts.get(q, [])]
    reference = " ".join(dict.fromkeys(r for r in references if r and r.upper() != "NOTPROVIDED"))
    bank_id = _clean(REFERENCE.of(record)) or _clean(ENTRY.of(record)).lstrip("0")
    return StatementLine(
        account=movement.account, booking_date=movement.booking, value_date=movement.value_date,
        amount=movement.amount, label=label, counterparty=counterparty, counterparty_iban=party_iban,
        reference=reference, bank_id=bank_id, line=movement.number, raw=raw,
    )


def _first_iban(texts: Sequence[str]) -> str:
    for text in texts:
        candidate = identifiers.normalize_iban(text[:35])
        if candidate and identifiers.iban_problem(candidate) is None:
            return candidate
    return ""
