"""Never pay twice, on PostgreSQL: two runs at the same time, and a run killed at each step then
run again, end with one payout per session, one batch, its file, and one e-mail per transfer."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from adapters.database import unit_of_work
from adapters.models import Effect, Payout, PayoutBatch, SelfBilledInvoice
from adapters.sepa import validate_pain001
from tests.payouts.payout_runner import KILL_POINTS
from tests.payouts.test_payouts import pay, statement
from tests.services.test_payments import setup_invoices

ROOT = Path(__file__).resolve().parents[2]
BATCH = "VIR-FORMATEURS-20270106-01"
TOTAL = "2 820,00"  # S-001 (1 500, self-billed) and S-002 (1 100 + 220 of VAT)


@pytest.fixture
def payable(engine, tmp_path):
    if engine.dialect.name != "postgresql":
        pytest.skip("the races that matter are PostgreSQL's (SQLite serialises writers)")
    invoices = setup_invoices(engine, tmp_path)
    pay(engine, tmp_path, "paid.csv", [invoices["s2"], invoices["opco"], invoices["company"]])
    return statement(tmp_path / "bank", "debit.csv", [
        f"06/01/2027;VIR SEPA EMIS;VIR SEPA EMIS REMISE {BATCH};-{TOTAL};EUR"])


def runner(engine, out: Path, debit: Path, *args: str) -> subprocess.Popen:
    url = engine.url.render_as_string(hide_password=False)
    return subprocess.Popen([sys.executable, "-m", "tests.payouts.payout_runner", url, str(out),
                             str(debit), *args], cwd=ROOT)


def assert_paid_once(engine, out: Path) -> None:
    with unit_of_work(engine) as db:
        payouts = list(db.scalars(select(Payout).order_by(Payout.id)))
        batches = list(db.scalars(select(PayoutBatch)))
        self_billed = list(db.scalars(select(SelfBilledInvoice.number)))
        keys = list(db.scalars(select(Effect.idempotency_key).where(
            Effect.idempotency_key.startswith("email:payout-executed:"))))
        states = set(db.scalars(select(Effect.state)))
    assert [(p.id, p.session_ref, p.status) for p in payouts] == [
        ("PO-2027-000001", "S-001", "executed"), ("PO-2027-000002", "S-002", "executed")]
    assert [b.id for b in batches] == [BATCH] and self_billed == ["AF-TR-01-2027-000001"]
    xml = (out / batches[0].path).read_bytes()
    assert hashlib.sha256(xml).hexdigest() == batches[0].sha256
    validate_pain001(xml, "03")
    assert sorted(keys) == ["email:payout-executed:PO-2027-000001",
                            "email:payout-executed:PO-2027-000002"]
    assert states == {"done"}
    sent = sorted((out / "outbox").glob("*.eml"))
    assert len([p for p in sent if "payout-executed" in p.name]) == 2


def test_two_runs_at_the_same_time_pay_each_session_once(engine, tmp_path, payable):
    start = str(time.time() + 3)  # they race on the statement's import too
    racers = [runner(engine, tmp_path / "out", payable, "", start) for _ in range(2)]
    assert [r.wait(timeout=120) for r in racers] == [0, 0]

    assert_paid_once(engine, tmp_path / "out")


def test_runs_killed_at_each_step_in_turn_then_run_again_pay_once(engine, tmp_path, payable):
    # each run dies (SIGKILL: no clean-up of any kind) one step further than the last, on
    # what the previous ones left: inside the decision's transaction, after it, inside the
    # batch's transaction, between the batch and its file, between the execution and the e-mail
    for kill_at in KILL_POINTS:
        killed = runner(engine, tmp_path / "out", payable, kill_at)
        assert killed.wait(timeout=120) == -9, kill_at

    assert runner(engine, tmp_path / "out", payable).wait(timeout=120) == 0

    assert_paid_once(engine, tmp_path / "out")
