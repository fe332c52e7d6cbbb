"""One payout run in its own process, for the concurrency and crash tests: decide, render,
export, import the bank's statement, track, deliver — optionally killed (SIGKILL) at a step.

    python -m tests.payouts.payout_runner DATABASE_URL OUT_DIR STATEMENT [KILL_AT] [START_AT]
"""

from __future__ import annotations

import os
import signal
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

import services.payouts as payouts_adapter
from adapters.database import make_engine
from adapters.mailer import EmlMailer, OutgoingEmail
from adapters.models import Payout, PayoutBatch
from adapters.outbox import perform_pending
from adapters.settings import Marketplace
from services.statements import import_statement_files

NOW = datetime(2027, 1, 5, 3, 30, tzinfo=UTC)
AS_OF = date(2027, 1, 5)
KILL_POINTS = ("in-schedule", "after-schedule", "in-export", "before-files", "after-track")


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def kill_inside_transaction(model: type) -> None:
    """Die just before the commit of the first transaction that adds a `model` row."""
    @event.listens_for(OrmSession, "before_flush")
    def _before_flush(session: OrmSession, context: object, instances: object) -> None:
        if any(isinstance(row, model) for row in session.new):
            session.info["adds"] = True

    @event.listens_for(OrmSession, "before_commit")
    def _before_commit(session: OrmSession) -> None:
        if session.info.get("adds") or any(isinstance(row, model) for row in session.new):
            die()


def main(url: str, out: Path, statement: Path, kill_at: str = "", start_at: str = "") -> None:
    engine, marketplace = make_engine(url), Marketplace()
    if kill_at == "in-schedule":
        kill_inside_transaction(Payout)
    if kill_at == "in-export":
        kill_inside_transaction(PayoutBatch)
    if kill_at == "before-files":  # the batch is committed, its file not written yet
        payouts_adapter.write_batch_files = lambda *args, **kwargs: die()
    if start_at:
        time.sleep(max(0.0, float(start_at) - time.time()))
    payouts_adapter.schedule_payouts(engine, as_of=AS_OF, now=NOW)
    if kill_at == "after-schedule":
        die()
    payouts_adapter.render_self_billed_invoices(engine, output_dir=out, now=NOW,
                                                marketplace=marketplace)
    payouts_adapter.export_batches(engine, as_of=AS_OF, now=NOW, output_dir=out,
                                   marketplace=marketplace)
    import_statement_files(engine, [statement], archive_dir=out / "archive",
                           rejected_dir=out / "rejected", own_ibans={marketplace.iban}, now=NOW,
                           move_files=False)
    payouts_adapter.track_executions(engine, now=NOW, marketplace=marketplace)
    if kill_at == "after-track":
        die()
    mailer = EmlMailer(out / "outbox", marketplace.email, marketplace.name)
    perform_pending(engine, "email", lambda key, payload: mailer.send(
        OutgoingEmail.from_outbox(key, payload)), now=lambda: NOW)


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), *sys.argv[4:])
