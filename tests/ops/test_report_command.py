"""`backoffice report --out DIR [--as-of D]`: the receivables aged as of the day asked (a
month-end for the accountant), without Prefect."""

from __future__ import annotations

import csv
from pathlib import Path

from ops.cli import WITHOUT_PREFECT, main
from tasks import context
from tests.services.test_payments import setup_invoices


def receivables(folder: Path) -> dict[str, dict[str, str]]:
    with (folder / "receivables.csv").open(encoding="utf-8") as handle:
        return {row["funder_ref"]: row for row in csv.DictReader(handle)}


def test_the_receivables_are_aged_as_of_the_day_asked(data_dirs, tmp_path):
    assert "report" in WITHOUT_PREFECT
    setup_invoices(context.engine(), tmp_path)  # issued 10 Dec. 2026, due 9 Jan. 2027

    assert main(["report", "--out", str(tmp_path / "dec"), "--as-of", "2026-12-31"]) == 0
    assert main(["report", "--out", str(tmp_path / "mar"), "--as-of", "2027-03-31"]) == 0

    december, march = receivables(tmp_path / "dec")["ATLAS"], receivables(tmp_path / "mar")["ATLAS"]
    assert (december["as_of"], december["not_yet_due"], december["overdue"]) == (
        "2026-12-31", "1837.50", "0.00")
    assert (march["as_of"], march["not_yet_due"], march["days_61_90"], march["oldest_days_late"]
            ) == ("2027-03-31", "0.00", "1837.50", "81")
