"""Reference data committed under data/: opcos.csv, idcc_opco.csv, funding_criteria.csv.

Plain csv-module checks, no project import: the files must stay loadable by a loader that skips the
leading `#` comment lines, and every row must cite a source defined in those comments."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from itertools import combinations
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[2] / "data"

OPCO_CODES = frozenset({
    "AFDAS", "AKTO", "ATLAS", "CONSTRUCTYS", "OCAPIAT", "OPCO_2I", "OPCO_EP", "OPCO_MOBILITES",
    "OPCO_SANTE", "OPCOMMERCE", "UNIFORMATION",
})
MIN_IDCC_ROWS = 40  # floor asked for; the file holds more, each one backed by a cited source

IDCC = re.compile(r"^\d{4}$")
SIREN = re.compile(r"^\d{9}$")
SOURCE_DEFINITION = re.compile(r"^#\s*\[([A-Z0-9_]+)\]")
AMOUNT = re.compile(r"^\d+\.\d{2}$")
DOMAIN = re.compile(r"^[a-z0-9.-]+\.[a-z]{2,}$")
EMAIL = re.compile(r"^[^@\s]+@[a-z0-9.-]+\.[a-z]{2,}$")


@dataclass(frozen=True)
class Reference:
    comments: list[str]
    header: list[str]
    rows: list[dict[str, str]]

    @property
    def sources(self) -> set[str]:
        return {m.group(1) for line in self.comments if (m := SOURCE_DEFINITION.match(line))}


def read_reference(name: str) -> Reference:
    lines = (DATA_DIR / name).read_text(encoding="utf-8").splitlines(keepends=True)
    start = 0
    while start < len(lines) and lines[start].startswith("#"):
        start += 1
    reader = csv.DictReader(lines[start:])
    rows = list(reader)
    return Reference(comments=lines[:start], header=list(reader.fieldnames or []), rows=rows)


def luhn(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def cited(value: str) -> list[str]:
    return [part.strip() for part in value.split(";")]


def undefined_sources(ref: Reference) -> list[str]:
    known = ref.sources
    return [f"row {n}: {s!r}" for n, row in enumerate(ref.rows, start=1)
            for s in cited(row["source"]) if s not in known]


# --------------------------------------------------------------------------------- opcos.csv

def test_opcos_lists_exactly_the_eleven_codes_once():
    ref = read_reference("opcos.csv")
    assert ref.header == ["code", "name", "legal_name", "full_name", "sectors", "billing_email",
                          "billing_address", "billing_postcode", "billing_city", "siren", "siret",
                          "invoice_channel", "website", "source"]
    codes = [row["code"] for row in ref.rows]
    assert len(codes) == len(set(codes))
    assert set(codes) == OPCO_CODES


def test_opcos_rows_are_usable():
    errors = []
    for row in read_reference("opcos.csv").rows:
        if not row["name"].strip() or not row["sectors"].strip():
            errors.append(f"{row['code']}: empty name or sectors")
        if row["billing_email"] and not EMAIL.match(row["billing_email"]):
            errors.append(f"{row['code']}: billing_email {row['billing_email']!r}")
        if row["invoice_channel"] == "email" and not row["billing_email"]:
            errors.append(f"{row['code']}: invoice_channel email without billing_email")
        if row["website"] and not DOMAIN.match(row["website"]):
            errors.append(f"{row['code']}: website must be a bare domain, got {row['website']!r}")
        if row["siren"] and not (SIREN.match(row["siren"]) and luhn(row["siren"])):
            errors.append(f"{row['code']}: siren {row['siren']!r}")
        if row["siret"] and not (row["siret"].startswith(row["siren"]) and luhn(row["siret"])):
            errors.append(f"{row['code']}: siret {row['siret']!r} not of siren {row['siren']!r}")
        if row["invoice_channel"] not in ("portal", "email", "platform", "unknown"):
            errors.append(f"{row['code']}: invoice_channel {row['invoice_channel']!r}")
        if any(row[f"billing_{part}"] for part in ("address", "postcode", "city")) and not all(
                row[f"billing_{part}"] for part in ("address", "postcode", "city")):
            errors.append(f"{row['code']}: billing address incomplete")
    assert not errors, errors


def test_opcos_sources_are_defined_in_the_header():
    ref = read_reference("opcos.csv")
    assert ref.sources and not undefined_sources(ref)


def test_opcos_hold_no_placeholder_address():
    # an invoice prints its buyer's e-mail: a fictitious one would be on every OPCO invoice
    reserved = (".example", ".test", ".invalid", ".localhost")
    assert not [row["code"] for row in read_reference("opcos.csv").rows
                if row["billing_email"].endswith(reserved)]


# --------------------------------------------------------------------------------- idcc_opco.csv

def test_idcc_opco_has_the_expected_columns_and_enough_rows():
    ref = read_reference("idcc_opco.csv")
    assert ref.header == ["idcc", "opco", "branch", "source"]
    assert len(ref.rows) >= MIN_IDCC_ROWS


def test_idcc_opco_rows_are_well_formed():
    errors = []
    for n, row in enumerate(read_reference("idcc_opco.csv").rows, start=1):
        if not IDCC.match(row["idcc"]):
            errors.append(f"row {n}: idcc {row['idcc']!r} is not 4 digits")
        if row["opco"] not in OPCO_CODES:
            errors.append(f"row {n}: unknown opco {row['opco']!r}")
        if not row["branch"].strip():
            errors.append(f"row {n}: empty branch")
    assert not errors, errors


def test_idcc_opco_has_one_row_per_idcc():
    idccs = [row["idcc"] for row in read_reference("idcc_opco.csv").rows]
    duplicates = sorted({i for i in idccs if idccs.count(i) > 1})
    assert not duplicates


def test_idcc_opco_sources_are_defined_in_the_header():
    ref = read_reference("idcc_opco.csv")
    assert ref.sources, "no [SOURCE] definition in the header comments"
    assert not undefined_sources(ref)


def test_idcc_opco_header_names_the_official_reference_and_the_final_truth():
    text = "".join(read_reference("idcc_opco.csv").comments)
    assert "France compétences" in text
    assert "accord de prise en charge" in text


# --------------------------------------------------------------------------------- funding_criteria.csv

FUNDING_COLUMNS = ["opco", "scope", "idccs", "size_min", "size_max", "valid_from", "valid_to",
                   "hourly_cap_ht", "annual_cap_ht", "min_hours", "funded_share", "auto_apply", "source",
                   "note"]


@dataclass(frozen=True)
class Criterion:
    line: int
    opco: str
    idccs: frozenset[str]
    size_min: int
    size_max: int | None
    valid_from: date
    valid_to: date | None


def parse_criteria() -> tuple[list[Criterion], list[str]]:
    mapping = {row["idcc"]: row["opco"] for row in read_reference("idcc_opco.csv").rows}
    criteria, errors = [], []
    for n, row in enumerate(read_reference("funding_criteria.csv").rows, start=1):
        where = f"row {n}"
        if row["opco"] not in OPCO_CODES:
            errors.append(f"{where}: unknown opco {row['opco']!r}")
        if not row["scope"].strip():
            errors.append(f"{where}: empty scope")
        idccs = [i.strip() for i in row["idccs"].split(";")] if row["idccs"] else []
        for idcc in idccs:
            if not IDCC.match(idcc):
                errors.append(f"{where}: idcc {idcc!r} is not 4 digits")
            elif mapping.get(idcc) != row["opco"]:
                errors.append(f"{where}: idcc {idcc} is {mapping.get(idcc)} in idcc_opco.csv")
        for column in ("hourly_cap_ht", "annual_cap_ht"):
            if row[column] and not (AMOUNT.match(row[column]) and Decimal(row[column]) > 0):
                errors.append(f"{where}: {column} {row[column]!r} is not a positive amount with 2 decimals")
        for column, upper in (("min_hours", None), ("funded_share", Decimal(1))):
            if row[column]:
                try:
                    value = Decimal(row[column])
                except InvalidOperation:
                    errors.append(f"{where}: {column} {row[column]!r} is not a number")
                    continue
                if value <= 0 or (upper is not None and value > upper):
                    errors.append(f"{where}: {column} {row[column]!r} out of range")
        try:
            size_min = int(row["size_min"])
            size_max = int(row["size_max"]) if row["size_max"] else None
            valid_from = date.fromisoformat(row["valid_from"])
            valid_to = date.fromisoformat(row["valid_to"]) if row["valid_to"] else None
        except ValueError as exc:
            errors.append(f"{where}: {exc}")
            continue
        if size_min < 0 or (size_max is not None and size_max < size_min):
            errors.append(f"{where}: size band {size_min}-{size_max}")
        if valid_to is not None and valid_to < valid_from:
            errors.append(f"{where}: valid_to before valid_from")
        criteria.append(Criterion(n, row["opco"], frozenset(idccs), size_min, size_max, valid_from, valid_to))
    return criteria, errors


def test_funding_criteria_has_the_expected_columns():
    assert read_reference("funding_criteria.csv").header == FUNDING_COLUMNS


def test_funding_criteria_rows_parse():
    criteria, errors = parse_criteria()
    assert criteria
    assert not errors, errors


def test_funding_criteria_sources_are_defined_in_the_header():
    ref = read_reference("funding_criteria.csv")
    assert ref.sources
    assert not undefined_sources(ref)


def _overlap(low_a, high_a, low_b, high_b) -> bool:
    """Inclusive ranges; None as upper bound means unbounded."""
    return (high_b is None or low_a <= high_b) and (high_a is None or low_b <= high_a)


def test_funding_criteria_rows_never_contradict_each_other():
    criteria, _ = parse_criteria()
    clashes = [
        f"rows {a.line} and {b.line}"
        for a, b in combinations(criteria, 2)
        if a.opco == b.opco and a.idccs == b.idccs
        and _overlap(a.size_min, a.size_max, b.size_min, b.size_max)
        and _overlap(a.valid_from, a.valid_to, b.valid_from, b.valid_to)
    ]
    assert not clashes


def test_funding_criteria_keeps_the_domain_brief_examples():
    criteria = {(row["opco"], row["size_min"], row["size_max"], row["valid_from"]): row
                for row in read_reference("funding_criteria.csv").rows}
    atlas_217 = criteria[("ATLAS", "0", "10", "2024-01-01")]
    assert (atlas_217["hourly_cap_ht"], atlas_217["annual_cap_ht"]) == ("55.00", "6000.00")
    atlas_214_large = criteria[("ATLAS", "50", "99", "2020-07-17")]
    assert (atlas_214_large["annual_cap_ht"], atlas_214_large["funded_share"]) == ("11200.00", "0.50")
    assert criteria[("OPCO_EP", "0", "10", "2026-01-01")]["min_hours"] == "4"
    assert criteria[("OPCO_EP", "0", "49", "2024-01-01")]["hourly_cap_ht"] == "20.00"
