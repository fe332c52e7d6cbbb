"""Benchmark: importing bank statement lines and matching them to open invoices (issue 6).

Generates a Société Générale CSV export of N lines (half of them funder payments quoting an
invoice number, the rest other movements) and N/2 open legacy invoices, then prints: plain
pandas.read_csv of the same file, our import (parse + fingerprints + dedupe + store, SQLite),
and the matching of all credits. Targets: import ≤ 3 s and matching ≤ 5 s for 100,000 lines
and 50,000 invoices; 10× the data in ≤ 12× the time.

    .venv/bin/python benchmarks/import_and_match.py [--lines 100000]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pandas
from sqlalchemy import insert

from adapters.bank_import import import_statement_files
from adapters.database import ready_engine, unit_of_work
from adapters.models import LegacyInvoice
from adapters.payments import match_payments


def write_statement(path: Path, lines: int, invoices: list[tuple[str, Decimal]]) -> None:
    rng = random.Random(7)
    rows = ['="0001234567890";01/01/2026;31/12/2026;', "",
            "Date de l'opération;Libellé;Détail de l'écriture;Montant de l'opération;Devise"]
    start = date(2026, 1, 1)
    for n in range(lines):
        day = start + timedelta(days=n * 365 // lines)
        if n % 2 == 0 and invoices:
            number, amount = invoices[(n // 2) % len(invoices)]
            label = f"VIR RECU DE: OPCO ATLAS MOTIF: {number}"
        else:
            amount = Decimal(rng.randint(-500000, -100)) / 100
            label = f"CARTE X{rng.randint(1000, 9999)} ACHAT {n}"
        text = f"{amount:.2f}".replace(".", ",")
        rows.append(f"{day:%d/%m/%Y};{label[:20]};{label};{text};EUR")
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1252"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--skip-matching", action="store_true",
                        help="import only (matching is far too slow at 100,000 lines today)")
    args = parser.parse_args()
    invoices = [(f"F2025-{n:06d}", Decimal(1000 + n % 5000) + Decimal("0.50"))
                for n in range(args.lines // 2)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        engine = ready_engine(f"sqlite:///{folder / 'bench.sqlite3'}")
        with unit_of_work(engine) as db:
            db.execute(insert(LegacyInvoice), [
                {"number": number, "funder_name": "OPCO Atlas", "funder_kind": "opco",
                 "dossier_number": None, "session_ref": None, "amount_ttc": amount,
                 "issue_date": date(2025, 12, 1), "funder_iban": None,
                 "paid_amount": Decimal("0.00"), "status": "issued"}
                for number, amount in invoices])
        path = folder / "statement.csv"
        write_statement(path, args.lines, invoices)

        started = time.perf_counter()
        pandas.read_csv(path, sep=";", encoding="cp1252", skiprows=2, dtype=str)
        plain = time.perf_counter() - started

        started = time.perf_counter()
        (outcome,) = import_statement_files(
            engine, [path], archive_dir=folder / "archive", rejected_dir=folder / "rejected",
            own_ibans=set(), now=datetime.now(UTC))
        imported = time.perf_counter() - started

        matching, report = None, None
        if not args.skip_matching:
            started = time.perf_counter()
            report = match_payments(engine, now=datetime.now(UTC))
            matching = time.perf_counter() - started

    print(f"{args.lines} lines ({outcome.new_lines} stored), {len(invoices)} open invoices")
    print(f"pandas.read_csv            : {plain:6.2f} s")
    print(f"import (parse+dedupe+store): {imported:6.2f} s")
    if report is not None:
        print(f"matching                   : {matching:6.2f} s  ({len(report.applied)} applied, "
              f"{len(report.review)} to review)")


if __name__ == "__main__":
    main()
