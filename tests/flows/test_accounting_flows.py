"""The books' flows and commands: `fec` and `close-period`, deployed with French forms, and
`backoffice fec --year` / `backoffice close-period --through` (docs/accounting.md)."""

from __future__ import annotations

from datetime import date

import pytest

from backoffice.fec import check_fec
from flows.accounting import close_books, fec
from ops.cli import main
from tests.accounting.demo_ledger import build_demo_ledger
from tests.flows.test_deployments import deployments, load_flow

pytestmark = pytest.mark.prefect


def test_both_flows_are_deployed_on_demand():
    names = {name: load_flow(d["entrypoint"]).name for name, d in deployments().items()}
    assert names["fec"] == "fec" and names["close-period"] == "close-period"
    assert deployments()["close-period"]["concurrency_limit"] == 1


def test_the_fec_flow_and_command_write_a_valid_fec_and_a_period_closes_once(
        pipeline_env, engine, tmp_path, capsys):
    build_demo_ledger(engine, tmp_path)

    path = fec(year=2026)

    written = pipeline_env.output_dir / "fec" / "732829320FEC20261231.txt"
    assert path == str(written)
    assert check_fec(written.read_bytes().decode("utf-8"), written.name) == []

    assert main(["fec", "--year", "2026", "--out", str(tmp_path / "fec")]) == 0
    out = capsys.readouterr().out
    assert "732829320FEC20261231.txt" in out and "total débit = total crédit" in out
    assert (tmp_path / "fec" / written.name).read_bytes() == written.read_bytes()

    assert close_books(through=date(2026, 12, 1)).startswith("période close jusqu'au 2026-12-01")
    state = close_books(through=date(2026, 11, 30), return_state=True)
    assert state.name == "Refusé" and "déjà close jusqu'au 01/12/2026" in state.message
