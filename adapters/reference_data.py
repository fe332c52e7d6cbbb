"""Reference data shipped in data/: OPCOs, IDCC → OPCO, funding criteria (see data/README.md).

CSV files, UTF-8, with `#` comment lines at the top for their sources. A file that cannot be
read is an error naming the file, the line and the column: reference data is never half-loaded.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from backoffice.funding_estimate import FundingCriterion

DATA = Path(__file__).resolve().parent.parent / "data"


class ReferenceDataError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Opco:
    code: str
    name: str
    billing_email: str
    full_name: str = ""
    billing_address: str = ""
    billing_postcode: str = ""
    billing_city: str = ""
    siret: str = ""  # the head office's, when a source gives it
    legal_name: str = ""  # the registered name, when a source gives it
    siren: str = ""
    invoice_channel: str = "unknown"  # portal | email | platform | unknown


@dataclass(frozen=True, slots=True)
class ReferenceData:
    opcos: dict[str, Opco]
    idcc_opco: dict[str, str]
    funding_criteria: tuple[FundingCriterion, ...]


def read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """Rows with their line numbers, the leading `#` comment lines skipped."""
    lines = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    skipped = 0
    while skipped < len(lines) and lines[skipped].startswith("#"):
        skipped += 1
    reader = csv.DictReader(lines[skipped:])
    rows = []
    for record in reader:
        rows.append((skipped + reader.line_num, {k: (v or "").strip() for k, v in record.items()}))
    return rows


def _field(path: Path, line: int, row: dict[str, str], column: str,
           parse: Callable[[str], Any]) -> Any:
    value = row.get(column, "")
    if value == "":
        return None
    try:
        return parse(value)
    except (ValueError, InvalidOperation) as exc:
        raise ReferenceDataError(f"{path.name}, ligne {line}, colonne « {column} » : valeur "
                                 f"« {value} » illisible ({exc})") from exc


def _yes_no(path: Path, line: int, value: str) -> bool:
    if value not in ("yes", "no"):
        raise ReferenceDataError(f"{path.name}, ligne {line}, colonne « auto_apply » : « {value} » "
                                 "au lieu de yes ou no")
    return value == "yes"


def _default(value: Any, default: Any) -> Any:
    return default if value is None else value


def load_opcos(path: Path) -> dict[str, Opco]:
    return {row["code"]: Opco(row["code"], row["name"], row.get("billing_email", ""),
                              row.get("full_name", ""), row.get("billing_address", ""),
                              row.get("billing_postcode", ""), row.get("billing_city", ""),
                              row.get("siret", ""), row.get("legal_name", ""),
                              row.get("siren", ""), row.get("invoice_channel") or "unknown")
            for _, row in read_rows(path)}


def load_idcc_opco(path: Path) -> dict[str, str]:
    return {row["idcc"].zfill(4): row["opco"] for _, row in read_rows(path)}


def load_funding_criteria(path: Path) -> tuple[FundingCriterion, ...]:
    criteria = []
    for line, row in read_rows(path):
        def get(column: str, parse: Callable[[str], Any], row=row, line=line) -> Any:
            return _field(path, line, row, column, parse)
        criteria.append(FundingCriterion(
            opco=row["opco"], scope=row.get("scope", ""),
            idccs=frozenset(i.strip().zfill(4) for i in row.get("idccs", "").split(";") if i.strip()),
            size_min=_default(get("size_min", int), 0), size_max=get("size_max", int),
            valid_from=_default(get("valid_from", date.fromisoformat), date.min),
            valid_to=get("valid_to", date.fromisoformat),
            hourly_cap_ht=get("hourly_cap_ht", Decimal), annual_cap_ht=get("annual_cap_ht", Decimal),
            min_hours=get("min_hours", Decimal),
            funded_share=_default(get("funded_share", Decimal), Decimal("1")),
            source=row.get("source", ""),
            auto_apply=_yes_no(path, line, row.get("auto_apply", "") or "yes"),
        ))
    return tuple(criteria)


@cache
def reference_data(folder: Path = DATA) -> ReferenceData:
    return ReferenceData(
        opcos=load_opcos(folder / "opcos.csv"),
        idcc_opco=load_idcc_opco(folder / "idcc_opco.csv"),
        funding_criteria=load_funding_criteria(folder / "funding_criteria.csv"),
    )
