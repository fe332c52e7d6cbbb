"""Benchmark: importing bank statement lines and matching them to open invoices (issue 6).

Generates a Société Générale CSV export of N lines (half of them funder payments quoting an
invoice number, the rest other movements) and N/2 open legacy invoices, then prints, for each run:
plain pandas.read_csv of the same file, our import (parse + fingerprints + dedupe + store, SQLite,
`services.statements`), and the matching of all credits (`services.payments.match_payments`), each
as wall time and as this process's CPU time (time.process_time: comparable when other work shares
the machine). Each figure is measured `--repeat` times, on a new database each time: min and median.
Targets: import <= 3 s and matching <= 5 s for 100,000 lines and 50,000 invoices; 10x the data in
<= 12x the time (`--scales 1 10`).

    .venv/bin/python benchmarks/import_and_match.py [--lines 100000] [--repeat 3] [--scales 1 10]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pandas
from sqlalchemy import insert

from adapters.database import ready_engine, unit_of_work
from adapters.models import LegacyInvoice
from services.payments import match_payments
from services.statements import import_statement_files


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


DECIDED: dict[int, tuple[int, int]] = {}  # lines → (applied, to review) of the last run


def timed(work: Callable[[], object]) -> tuple[float, float, object]:
    """(wall seconds, this process's CPU seconds, result)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def one_run(lines: int, matching: bool) -> dict[str, tuple[float, float]]:
    invoices = [(f"F2025-{n:06d}", Decimal(1000 + n % 5000) + Decimal("0.50")) for n in range(lines // 2)]
    figures: dict[str, tuple[float, float]] = {}
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
        write_statement(path, lines, invoices)
        wall, cpu, _ = timed(lambda: pandas.read_csv(path, sep=";", encoding="cp1252", skiprows=2, dtype=str))
        figures["pandas.read_csv"] = (wall, cpu)
        wall, cpu, (outcome,) = timed(lambda: import_statement_files(
            engine, [path], archive_dir=folder / "archive", rejected_dir=folder / "rejected",
            own_ibans=set(), now=datetime.now(UTC)))
        assert outcome.new_lines == lines, outcome
        figures["import (parse+dedupe+store)"] = (wall, cpu)
        if matching:
            wall, cpu, report = timed(lambda: match_payments(engine, now=datetime.now(UTC)))
            figures["matching (+ allocations stored)"] = (wall, cpu)
            DECIDED[lines] = (len(report.applied), len(report.review))
        engine.dispose()
    return figures


def summary(runs: list[tuple[float, float]]) -> str:
    walls, cpus = [w for w, _ in runs], [c for _, c in runs]
    return (f"wall min {min(walls):6.2f} s, median {statistics.median(walls):6.2f} s | "
            f"CPU min {min(cpus):6.2f} s, median {statistics.median(cpus):6.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=100_000, help="statement lines at scale 1")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scales", type=int, nargs="*", default=[1])
    parser.add_argument("--skip-matching", action="store_true", help="import only")
    args = parser.parse_args()
    best: dict[int, dict[str, tuple[float, float]]] = {}
    for scale in args.scales:
        lines = args.lines * scale
        runs = [one_run(lines, not args.skip_matching) for _ in range(args.repeat)]
        decided = (" ({:,} applied, {:,} to review)".format(*DECIDED[lines]) if lines in DECIDED else "")
        print(f"x{scale}: {lines:,} lines, {lines // 2:,} open invoices, {args.repeat} runs{decided}")
        for name in runs[0]:
            print(f"  {name:32s}: {summary([run[name] for run in runs])}")
        best[scale] = {name: (min(run[name][0] for run in runs), min(run[name][1] for run in runs))
                       for name in runs[0]}
    if 1 in best:
        for scale in best:
            if scale == 1:
                continue
            for name in best[1]:
                if name.startswith("pandas"):
                    continue
                wall, cpu = (best[scale][name][k] / best[1][name][k] for k in (0, 1))
                print(f"x{scale} / x1, {name}: wall {wall:.1f}, CPU {cpu:.1f} (target <= {1.2 * scale:.0f})")


if __name__ == "__main__":
    main()
