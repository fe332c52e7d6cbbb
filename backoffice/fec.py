"""The FEC, fichier des écritures comptables (LPF art. A47 A-1; BOI-CF-IOR-60-40-20): its
18 columns, its lines from numbered entries, and the checks of its rules (docs/accounting.md).

- a header line and one line per accounting line, the 18 fields in the article's order,
  separated by a tab; records end with CR LF; text in UTF-8;
- dates `AAAAMMJJ`; amounts with a decimal comma, no thousands separator, `Debit` and `Credit`
  both written (`0,00` for none);
- `EcritureNum` without a gap per journal, in date order; CompteNum's first three characters
  are digits (PCG); CompAuxNum/CompAuxLib, EcritureLet/DateLet and Montantdevise/Idevise are
  empty or filled in pairs; every entry balances, and so does the file;
- the file is named `<SIREN>FEC<AAAAMMJJ>.txt`, the date being the closing date of the period.

`check_fec` reads a FEC's text back and lists what breaks these rules: the service runs it
before writing a file, the tests on what it wrote.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date

from backoffice.accounting import JOURNALS, Entry, Lettered, entry_sequence

COLUMNS = ("JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib",
           "CompAuxNum", "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit",
           "EcritureLet", "DateLet", "ValidDate", "Montantdevise", "Idevise")
SEPARATOR = "\t"
RECORD_END = "\r\n"
ENCODING = "utf-8"
AMOUNT = re.compile(r"^\d+,\d{2}$")
FILE_NAME = re.compile(r"^(\d{9})FEC(\d{8})\.txt$")


def fec_date(day: date | None) -> str:
    return f"{day:%Y%m%d}" if day is not None else ""


def fec_amount(cents: int) -> str:
    """Cents as a FEC amount: `1234,50`, never a thousands separator, never negative."""
    units, rest = divmod(abs(cents), 100)
    return f"{units},{rest:02d}"


def file_name(siren: str, closing: date) -> str:
    """`<SIREN>FEC<AAAAMMJJ>.txt`, the date being the closing date of the period."""
    if not (len(siren) == 9 and siren.isdigit()):
        raise ValueError(f"SIREN invalide : « {siren} »")
    return f"{siren}FEC{fec_date(closing)}.txt"


def _text(value: str) -> str:
    """A field's text: no separator or line break inside it."""
    return " ".join(value.replace(SEPARATOR, " ").split())


def fec_rows(entries: Iterable[Entry], lettered: Mapping[object, Lettered],
             valid_date: date) -> list[tuple[str, ...]]:
    """The FEC's lines of numbered entries, in order; `lettered` by (EcritureNum, line index);
    an entry's ValidDate is its own (its period closed) or `valid_date`."""
    rows: list[tuple[str, ...]] = []
    for entry in entries:
        for index, line in enumerate(entry.lines):
            letter = lettered.get((entry.number, index))
            rows.append((
                entry.journal, JOURNALS[entry.journal], entry.number, fec_date(entry.day),
                line.account, _text(line.account_label), line.aux,
                _text(line.aux_label) if line.aux else "", _text(entry.piece_ref),
                fec_date(entry.piece_date), _text(entry.label),
                fec_amount(line.amount if line.amount > 0 else 0),
                fec_amount(-line.amount if line.amount < 0 else 0),
                letter.code if letter else "", fec_date(letter.day) if letter else "",
                fec_date(entry.valid_date or valid_date), "", ""))
    return rows


def fec_text(rows: Iterable[tuple[str, ...]]) -> str:
    return "".join(SEPARATOR.join(row) + RECORD_END for row in (COLUMNS, *rows))


# --- reading a FEC back: its rules -------------------------------------------------------------

def _valid_date(text: str) -> bool:
    if not re.fullmatch(r"\d{8}", text):
        return False
    try:
        date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return False
    return True


def _cents(text: str) -> int:
    units, rest = text.split(",")
    return int(units) * 100 + int(rest)


def check_fec(text: str, name: str | None = None) -> list[str]:
    """What breaks the FEC's rules in this text (and file name): nothing when it is right."""
    problems: list[str] = []
    if name is not None and not FILE_NAME.match(name):
        problems.append(f"nom de fichier « {name} » : attendu <SIREN>FEC<AAAAMMJJ>.txt")
    if text and not text.endswith(RECORD_END):
        problems.append("la dernière ligne ne se termine pas par CR LF")
    records = text.split(RECORD_END)
    if records and records[-1] == "":
        records.pop()
    if not records or tuple(records[0].split(SEPARATOR)) != COLUMNS:
        return [*problems, "en-tête : les 18 colonnes de l'article A47 A-1, dans l'ordre"]
    entries: dict[tuple[str, str], list[int]] = {}
    entry_dates: dict[tuple[str, str], set[str]] = {}
    letters: dict[tuple[str, str, str], list[tuple[int, str]]] = {}
    total = [0, 0]
    for number, record in enumerate(records[1:], start=2):
        fields = record.split(SEPARATOR)
        if len(fields) != len(COLUMNS):
            problems.append(f"ligne {number} : {len(fields)} champs au lieu de 18")
            continue
        row = dict(zip(COLUMNS, fields, strict=True))
        for column in ("JournalCode", "JournalLib", "EcritureNum", "CompteNum", "CompteLib",
                       "PieceRef", "EcritureLib"):
            if not row[column]:
                problems.append(f"ligne {number} : {column} vide")
        if not row["CompteNum"][:3].isdigit():
            problems.append(f"ligne {number} : CompteNum « {row['CompteNum']} » hors PCG")
        for column in ("EcritureDate", "PieceDate", "ValidDate"):
            if not _valid_date(row[column]):
                problems.append(f"ligne {number} : {column} « {row[column]} » n'est pas AAAAMMJJ")
        for first, second in (("CompAuxNum", "CompAuxLib"), ("EcritureLet", "DateLet"),
                              ("Montantdevise", "Idevise")):
            if bool(row[first]) != bool(row[second]):
                problems.append(f"ligne {number} : {first} et {second} vont ensemble")
        if row["DateLet"] and not _valid_date(row["DateLet"]):
            problems.append(f"ligne {number} : DateLet « {row['DateLet']} » n'est pas AAAAMMJJ")
        amounts = []
        for column in ("Debit", "Credit"):
            if not AMOUNT.match(row[column]):
                problems.append(f"ligne {number} : {column} « {row[column]} » : virgule "
                                "décimale, deux décimales, sans séparateur de milliers")
                amounts.append(0)
            else:
                amounts.append(_cents(row[column]))
        if amounts[0] and amounts[1]:
            problems.append(f"ligne {number} : débit et crédit à la fois")
        total[0] += amounts[0]
        total[1] += amounts[1]
        key = (row["JournalCode"], row["EcritureNum"])
        entries.setdefault(key, []).append(amounts[0] - amounts[1])
        entry_dates.setdefault(key, set()).add(row["EcritureDate"])
        if row["EcritureLet"]:
            letters.setdefault((row["CompteNum"], row["CompAuxNum"], row["EcritureLet"]),
                               []).append((amounts[0] - amounts[1], row["DateLet"]))
    for (journal, entry), amounts in entries.items():
        if sum(amounts) != 0:
            problems.append(f"écriture {journal} {entry} déséquilibrée : débit ≠ crédit")
        if len(entry_dates[(journal, entry)]) != 1:
            problems.append(f"écriture {journal} {entry} sur plusieurs dates")
    if total[0] != total[1]:
        problems.append(f"total débit {fec_amount(total[0])} ≠ total crédit "
                        f"{fec_amount(total[1])}")
    problems += _numbering(entries, entry_dates)
    for (account, aux, code), members in letters.items():
        if sum(amount for amount, _ in members) != 0:
            problems.append(f"lettrage {code} du compte {account} {aux} : non soldé")
        if len({day for _, day in members}) != 1:
            problems.append(f"lettrage {code} du compte {account} {aux} : plusieurs DateLet")
    return problems


def _numbering(entries: Mapping[tuple[str, str], list[int]],
               dates: Mapping[tuple[str, str], set[str]]) -> list[str]:
    """EcritureNum: per journal, 1, 2, 3… over the year without a gap, in date order."""
    problems = []
    journals: dict[str, list[tuple[int, str]]] = {}
    for journal, number in entries:
        journals.setdefault(journal, []).append(
            (entry_sequence(number), min(dates[(journal, number)])))
    for journal, numbers in journals.items():
        numbers.sort()
        sequence = [n for n, _ in numbers]
        if sequence != list(range(1, len(sequence) + 1)):
            problems.append(f"journal {journal} : numéros d'écriture avec un trou ou un doublon "
                            "(1, 2, 3… sur l'exercice)")
        days = [day for _, day in numbers]
        if days != sorted(days):
            problems.append(f"journal {journal} : numéros d'écriture hors de l'ordre des dates")
    return problems
