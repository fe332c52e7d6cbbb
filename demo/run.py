"""The demo: a generated platform export through the nightly pipeline, on the embedded defaults."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine, select

from adapters.clock import night_of, use_clock
from adapters.database import unit_of_work
from adapters.models import Invoice, Payout, PayoutBatch
from adapters.settings import get_settings
from backoffice.masking import mask_text
from demo.generator import DEMO_AS_OF, write_demo_export
from demo.statements import (
    DemoInvoice,
    DemoTransfer,
    camt_payout_statement,
    write_demo_statement,
)
from flows.nightly import nightly
from services.reports import write_report
from tasks import context
from tasks.summary import RunSummary

PAYMENT_DAY = DEMO_AS_OF + timedelta(days=1)
# Every address of the demo data is on .example (RFC 2606): outside the demo, e-mail to such a
# domain is refused (adapters/mailer.py); the demo, and only it, lets it through.
RESERVED_DOMAINS_SWITCH = "BACKOFFICE_ALLOW_RESERVED_EMAIL_DOMAINS"


@contextmanager
def demo_settings() -> Iterator[None]:
    """The settings of the environment, with e-mail to reserved domains allowed, until the
    block ends (the previous value is put back, the settings read again)."""
    previous = os.environ.get(RESERVED_DOMAINS_SWITCH)
    os.environ[RESERVED_DOMAINS_SWITCH] = "yes"
    get_settings.cache_clear()
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(RESERVED_DOMAINS_SWITCH, None)
        else:
            os.environ[RESERVED_DOMAINS_SWITCH] = previous
        get_settings.cache_clear()


def demo_invoices(engine: Engine) -> list[DemoInvoice]:
    with unit_of_work(engine) as db:
        return [DemoInvoice(i.number, i.funder_kind, i.funder_name, i.dossier_number,
                            i.total_ttc)
                for i in db.scalars(select(Invoice).where(Invoice.kind == "invoice")
                                    .order_by(Invoice.number))]


def write_demo_payout_statement(engine: Engine, folder: Path, account_iban: str
                                ) -> tuple[Path, date] | None:
    """The bank's camt.053 of the execution day of the first payout batch: one batch-booked debit
    with one transaction per transfer, each quoting its EndToEndId."""
    with unit_of_work(engine) as db:
        batch = db.scalar(select(PayoutBatch).order_by(PayoutBatch.id))
        if batch is None:
            return None
        transfers = [DemoTransfer(p.id, p.creditor_name, p.iban, p.amount, p.remittance)
                     for p in db.scalars(select(Payout).where(Payout.batch_id == batch.id)
                                         .order_by(Payout.id))]
        day = batch.execution_date
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"camt053-{day:%Y%m%d}.xml"
    path.write_bytes(camt_payout_statement(account_iban, batch.id, transfers, day))
    return path, day


def night(day: date) -> RunSummary:
    """The nightly run of `day`, as it would run that night at 04:30 Paris time: the demo
    simulates its nights, so what it produces does not depend on the day it is run."""
    with use_clock(night_of(day)):
        return nightly(as_of=day)


def run_demo(seed: int = 2026) -> int:
    """Write the demo export into the inbox, run the nightly flow on the demo date, then on the
    next day with a bank statement paying some invoices (the trainers of the sessions now paid
    are put in a SEPA file), then on the execution day with the bank's camt.053 showing the
    transfers (the trainers are told), and write the reports.

    Each night runs on the clock of that night (`night`), whatever today's date: the same
    seed gives the same data, numbers and files on any day. Deterministic: a second run finds
    nothing new and changes nothing. Its e-mails, all to `.example` addresses, are let through
    (`demo_settings`).
    """
    with demo_settings():
        return _run_demo(seed)


def _run_demo(seed: int) -> int:
    settings = context.settings()
    if not settings.database_url.startswith("sqlite"):
        print("La démo n'écrit que dans la base SQLite embarquée : retirer DATABASE_URL.")
        return 2
    counts = write_demo_export(settings.export_inbox, seed=seed, as_of=DEMO_AS_OF)
    night(DEMO_AS_OF)
    # the next day, the bank statement brings the funders' first payments
    statement = write_demo_statement(demo_invoices(context.engine()), settings.bank_inbox,
                                     PAYMENT_DAY)
    summary = night(PAYMENT_DAY)
    # the execution day: the bank's camt.053 shows the batch of trainer transfers
    camt = write_demo_payout_statement(context.engine(), settings.bank_inbox,
                                       settings.marketplace.iban)
    if camt is not None:
        summary = night(camt[1])
    report_dir = settings.output_dir / "report"
    last_night = camt[1] if camt else PAYMENT_DAY  # the receivables as of the last night
    reports = write_report(context.engine(), report_dir, as_of=last_night)
    print(mask_text(summary.to_markdown()))
    print("Export de démonstration :", settings.export_inbox,
          "(" + ", ".join(f"{name} {count}" for name, count in counts.items()) + ")")
    print("Base de données :", settings.database_url)
    print("Relevés bancaires de démonstration :", statement.name,
          f"et {camt[0].name}" if camt else "", "(archivés dans",
          settings.bank_inbox.parent / "bank-archive", ")")
    print("Fichiers SEPA des virements formateurs :", settings.output_dir / "sepa")
    print("E-mails (.eml) :", settings.outbox_dir)
    print("Rapports CSV :", report_dir, f"({len(reports)} fichiers)")
    return 0
