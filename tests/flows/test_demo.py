"""The demo, as `make demo` runs it, on the embedded defaults: twice, the second changing nothing,
each on another day far from today: the demo simulates its own nights, so what it makes does not
depend on the date it is run."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
import time_machine

from adapters.database import ready_engine
from adapters.sepa import validate_pain001
from demo.run import run_demo
from flows.audit_pack import audit_pack
from tests.conftest import FAKED_TODAYS
from tests.flows.demo_golden import GOLDEN, digests, outputs
from tests.services.test_ingest import snapshot

pytestmark = pytest.mark.prefect


def run_demo_on(today: str) -> int:
    """The demo run with the process's wall clock moved to `today`."""
    with time_machine.travel(datetime.fromisoformat(today), tick=True):
        return run_demo()


def test_the_demo_runs_and_a_second_run_changes_nothing(data_dirs, prefect_harness, capsys,
                                                       tmp_path):
    first_day, second_day = FAKED_TODAYS
    assert run_demo_on(first_day) == 0
    out = capsys.readouterr().out
    engine = ready_engine(f"sqlite:///{data_dirs / 'backoffice.sqlite3'}")
    first = snapshot(engine)

    assert run_demo_on(second_day) == 0

    assert snapshot(engine) == first
    assert len(first["sessions"]) >= 40
    # what it produced, by content, is what the code produced before its last refactoring
    # (tests/flows/demo_golden.py says how to make the reference again on purpose)
    texts = outputs(data_dirs)
    produced, expected = digests(texts), json.loads(GOLDEN.read_text())
    changed = sorted(name for name in produced.keys() | expected.keys()
                     if produced.get(name) != expected.get(name))
    if changed:  # what changed, to read
        for name in changed:
            saved = tmp_path / "demo-outputs" / name
            saved.parent.mkdir(parents=True, exist_ok=True)
            saved.write_text(texts.get(name, "(absent)"), encoding="utf-8")
    assert changed == [], (f"{len(changed)} sortie(s) de la démo changée(s), écrites dans "
                           f"{tmp_path / 'demo-outputs'} : {changed[:20]}")
    assert "Rapports CSV :" in out and str(data_dirs / "output" / "report") in out
    sessions_csv = (data_dirs / "output" / "report" / "sessions.csv").read_text(encoding="utf-8")
    assert sessions_csv.startswith("session_ref,status,")
    assert ",cancelled," in sessions_csv and ",draft," in sessions_csv
    report = data_dirs / "output" / "report"
    numbers = sorted(row["number"] for row in read_csv(report / "invoices.csv")
                     if row["kind"] == "invoice")
    assert numbers == [f"FA-2026-{n:06d}" for n in range(1, len(numbers) + 1)]  # no gap
    completed = {row["session_ref"] for row in read_csv(report / "sessions.csv")
                 if row["status"] == "completed"}
    invoiced = {row["session_ref"] for row in read_csv(report / "invoices.csv")}
    assert completed <= invoiced
    sent = [row["key"] for row in read_csv(report / "emails.csv")
            if row["key"].startswith("email:invoice:")]
    deposited = [folder.name for folder in (data_dirs / "output" / "deposits").glob("*/*")]
    assert deposited and sent  # the OPCOs' go to their portals, the companies' by e-mail
    assert any(path.name.startswith("emargement-signe-")  # with the attendance evidence
               for path in (data_dirs / "output" / "deposits").glob("*/*/*"))
    assert sorted([*sent, *(f"email:invoice:{n}" for n in deposited)]) == sorted(
        f"email:invoice:{n}" for n in numbers)  # each sent or deposited once

    # the sessions paid on the statement's day: their trainers in one valid SEPA file for the
    # next business day, then executed when the bank's camt.053 shows it, each told once
    payouts = read_csv(report / "payouts.csv")
    assert len(payouts) >= 3
    assert {(p["status"], p["batch"], p["execution_date"], p["executed_date"]) for p in payouts} \
        == {("executed", "VIR-FORMATEURS-20261202-01", "2026-12-02", "2026-12-02")}
    assert any(p["trainer_invoice"].startswith("AF-") for p in payouts)  # a self-billed one
    validate_pain001((data_dirs / "output" / "sepa" / "2026" / "VIR-FORMATEURS-20261202-01.xml")
                     .read_bytes(), "03")
    confirmations = [row["key"] for row in read_csv(report / "emails.csv")
                     if row["key"].startswith("email:payout-executed:")]
    assert sorted(confirmations) == sorted(f"email:payout-executed:{p['payout_id']}"
                                           for p in payouts)

    # the audit pack of a paid session, through its flow: every file hashed in the manifest
    paid = next(p["session_ref"] for p in payouts if p["trainer_invoice"].startswith("AF-"))
    pack = audit_pack(session_ref=paid)
    # (a session that had started before the demo's first night: no convention nor convocation
    # made after its start, but its signed attendance sheets and its certificats)
    assert_manifest_matches(Path(pack), expected=(
        "documents/emargement-signe-", "documents/certificat-", "pec/",
        "factures/FA-", "formateur/AF-", "formateur/virements.csv",
        "paiements/lignes-de-releve.csv"))
    first_bytes = Path(pack).read_bytes()
    assert audit_pack(session_ref=paid) == pack  # made again: the same bytes
    assert Path(pack).read_bytes() == first_bytes


def assert_manifest_matches(path, expected):
    with zipfile.ZipFile(path) as archive:
        manifest = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
        names = set(archive.namelist()) - {"manifest.csv"}
        assert {row["file"] for row in manifest if row["file"]} == names
        for row in manifest:
            if row["file"]:
                data = archive.read(row["file"])
                assert hashlib.sha256(data).hexdigest() == row["sha256"]
                assert int(row["bytes"]) == len(data) and row["proves"]
        assert not [row for row in manifest if row["proves"].startswith("MANQUE")]
    for prefix in expected:
        assert any(name.startswith(prefix) for name in names), prefix


def read_csv(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
